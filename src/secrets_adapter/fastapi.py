"""``from secrets_adapter.fastapi import secret, secrets_lifespan``: the FastAPI / Starlette
integration (``secrets_adapter.integrations.fastapi``); needs the ``fastapi`` extra."""

from secrets_adapter.integrations.fastapi import STATE_KEY, adapter_of, secret, secrets_lifespan

__all__ = ["STATE_KEY", "adapter_of", "secret", "secrets_lifespan"]
