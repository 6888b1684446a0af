"""FastAPI / Starlette: an ``AsyncSecretsAdapter`` opened by the app's lifespan, and dependencies
that inject a secret, read through the adapter's cache on every request.

``FastAPI(lifespan=secrets_lifespan(preload=["stripe-api-key"]))`` opens the adapter at start-up
(``AsyncSecretsAdapter.from_env()`` unless one is given), warms the cache with one batch read —
a missing secret fails start-up, naming every one missing — keeps it in ``app.state.secrets``,
and closes it at shutdown. ``Depends(secret("stripe-api-key"))`` then injects the value, resolved
per request rather than once at import, so a rotation is picked up on the next request after the
cache forgets the old value (at once for a rotation done through the adapter).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from secrets_adapter.async_adapter import AsyncSecretsAdapter
from secrets_adapter.errors import ConfigurationError

try:
    from starlette.requests import HTTPConnection
except ImportError:
    raise ConfigurationError(
        "The FastAPI integration needs FastAPI (or Starlette): "
        "pip install 'secrets-adapter[fastapi]'."
    ) from None

__all__ = ["STATE_KEY", "adapter_of", "secret", "secrets_lifespan"]

STATE_KEY = "secrets"
"""Where the lifespan keeps the adapter: ``app.state.secrets``."""

Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]


def secrets_lifespan(
    adapter: AsyncSecretsAdapter | Callable[[], AsyncSecretsAdapter] | None = None,
    *,
    preload: Sequence[str] = (),
) -> Lifespan:
    """A lifespan for ``FastAPI(lifespan=...)`` / ``Starlette(lifespan=...)``.

    ``adapter``: an adapter, or a factory called at start-up (default
    ``AsyncSecretsAdapter.from_env``). To combine it with a lifespan of your own, enter it there:
    ``async with secrets_lifespan(...)(app): yield``.
    """

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        if isinstance(adapter, AsyncSecretsAdapter):
            opened = adapter
        else:
            opened = (adapter or AsyncSecretsAdapter.from_env)()
        try:
            if preload:
                await opened.preload(list(preload))
            setattr(app.state, STATE_KEY, opened)
            yield
        finally:
            await opened.aclose()

    return lifespan


def adapter_of(connection: HTTPConnection) -> AsyncSecretsAdapter:
    """The app's adapter, as a dependency: ``secrets = Depends(adapter_of)``."""
    adapter = getattr(connection.app.state, STATE_KEY, None)
    if not isinstance(adapter, AsyncSecretsAdapter):
        raise ConfigurationError(
            "No secrets adapter on this app: create it with "
            "FastAPI(lifespan=secrets_lifespan(...)) (from secrets_adapter.fastapi)."
        )
    return adapter


def secret(name: str, key: str | None = None) -> Callable[[HTTPConnection], Awaitable[str]]:
    """A dependency giving the text of ``name`` (or one ``key`` of its JSON object), read
    through the cache — and checked by the policy and recorded — on every request:
    ``stripe_key: str = Depends(secret("stripe-api-key"))``."""

    async def dependency(connection: HTTPConnection) -> str:
        return await adapter_of(connection).get_secret_value(name, key)

    dependency.__name__ = f"secret_{name.replace('/', '_').replace('-', '_')}"
    return dependency
