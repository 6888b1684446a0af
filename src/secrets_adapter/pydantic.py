"""``from secrets_adapter.pydantic import SecretsAdapterSettingsSource``: the pydantic-settings
source (``secrets_adapter.integrations.pydantic``); needs the ``pydantic`` extra."""

from secrets_adapter.integrations.pydantic import SecretsAdapterSettingsSource

__all__ = ["SecretsAdapterSettingsSource"]
