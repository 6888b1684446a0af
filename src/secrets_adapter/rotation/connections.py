"""Database connections that survive a password rotation (psycopg 3 and SQLAlchemy).

``CredentialSource`` holds the latest credential and refreshes it *single-flight* (one thread
loads, the others wait and share the result) and at most once per ``min_interval``, so an outage
that looks like bad passwords cannot hammer the secret store. It also reloads after ``max_age``,
so an app follows alternating-user rotations before its old role's password changes.

``RotatingConnector.connect()`` opens a psycopg connection; on an *authentication* failure it
forces one refresh, tells the pool to recycle (listeners), and retries once. The refreshed
credential set holds the current login and, while a rotation is between *set* and *finish*, the
pending one: the single-user strategy changes the password before the secret's ``current``
moves, and trying the pending login then is what AWS's own rotation functions do.

A rotation made by another process (the adapter's cache was not invalidated) is recovered at
the first authentication failure at least ``min_interval`` after the last load: that refresh
reads through the cache with ``refresh=True``, which asks the backend once the cached value is
older than the cache's ``min_refresh_interval`` (both 1 s by default). Connection attempts inside
that window fail rather than hammer the store; once it has passed, the next attempt connects.

``rotating_sqlalchemy_engine`` builds a SQLAlchemy engine on top: connections come from the
connector, and pooled connections opened with an older credential are recycled at checkout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from secrets_adapter.clock import MonotonicClock, monotonic
from secrets_adapter.errors import ConfigurationError, SecretNotFoundError
from secrets_adapter.models import Secret, Stage
from secrets_adapter.rotation.rotators.postgres import (
    DatabaseCredentials,
    is_authentication_error,
    require_psycopg,
)

if TYPE_CHECKING:
    import psycopg
    import sqlalchemy

__all__ = [
    "CredentialSource",
    "Logins",
    "RotatingConnector",
    "SecretReader",
    "database_credentials",
    "rotating_sqlalchemy_engine",
]

T = TypeVar("T")

Logins = tuple[DatabaseCredentials, ...]
"""Logins to try, best first: the current one, then the pending one during a rotation."""


class SecretReader(Protocol):
    """What the helpers need from ``SecretsAdapter``: ``get(name, stage=..., refresh=True)``."""

    def get(
        self,
        name: str,
        *,
        version: str | None = None,
        stage: Stage = Stage.CURRENT,
        refresh: bool = False,
    ) -> Secret: ...


def database_credentials(reader: SecretReader, name: str) -> Callable[[], Logins]:
    """A loader for ``CredentialSource``: the current login, then the pending one if any.

    ``pending`` is read first: if a rotation finishes between the two reads, the current read
    already has the new password; if none is pending, the current one is up to date.
    """

    def load() -> Logins:
        try:
            pending: Secret | None = reader.get(name, stage=Stage.PENDING, refresh=True)
        except SecretNotFoundError:
            pending = None
        current = reader.get(name, refresh=True)
        logins = [DatabaseCredentials.from_value(current.value, name=name)]
        if pending is not None and pending.version_id != current.version_id:
            logins.append(DatabaseCredentials.from_value(pending.value, name=name))
        return tuple(logins)

    return load


class CredentialSource(Generic[T]):
    """The latest credential, with single-flight, rate-limited refreshes."""

    def __init__(
        self,
        load: Callable[[], T],
        *,
        min_interval: timedelta = timedelta(seconds=1),
        max_age: timedelta = timedelta(minutes=5),
        clock: MonotonicClock = monotonic,
    ) -> None:
        self._load = load
        self._min_interval = min_interval.total_seconds()
        self._max_age = max_age.total_seconds()
        self._clock = clock
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded_at = 0.0
        self._generation = 0
        self._listeners: tuple[Callable[[int], None], ...] = ()
        self.loads = 0

    @property
    def generation(self) -> int:
        """Increases with every load; connections remember the one they were opened with."""
        return self._generation

    def on_refresh(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(generation)`` after each forced refresh (a pool recycles then)."""
        self._listeners = (*self._listeners, listener)

    def current(self) -> tuple[int, T]:
        """``(generation, credential)``, loading on first use or when older than ``max_age``."""
        with self._lock:
            if self._value is None or self._clock() - self._loaded_at >= self._max_age:
                self._reload()
            assert self._value is not None  # noqa: S101 - set by _reload
            return self._generation, self._value

    def refresh(self, seen_generation: int) -> tuple[int, T]:
        """Reload unless someone already did since ``seen_generation`` or it is too soon."""
        with self._lock:
            fresh = self._generation != seen_generation
            too_soon = self._clock() - self._loaded_at < self._min_interval
            if self._value is None or not (fresh or too_soon):
                self._reload()
                generation, listeners = self._generation, self._listeners
            else:
                generation, listeners = self._generation, ()
            value = self._value
        for listener in listeners:
            listener(generation)
        assert value is not None  # noqa: S101 - set by _reload
        return generation, value

    def _reload(self) -> None:
        self._value = self._load()
        self._loaded_at = self._clock()
        self._generation += 1
        self.loads += 1


ConnectFunction = Callable[..., Any]


class RotatingConnector:
    """Opens psycopg connections with the latest credential; recovers from a rotation once."""

    def __init__(
        self,
        source: CredentialSource[Logins],
        *,
        connect: ConnectFunction | None = None,
        **connect_kwargs: Any,
    ) -> None:
        self._source = source
        self._connect = connect
        self._kwargs = connect_kwargs
        self.recovered = 0

    @property
    def source(self) -> CredentialSource[Logins]:
        return self._source

    def connect(self) -> psycopg.Connection[Any]:
        """A new connection; on an authentication failure: refresh once, recycle, retry once."""
        generation, logins = self._source.current()
        try:
            return self._open(logins[0])
        except Exception as exc:
            if not is_authentication_error(exc):
                raise
        _, logins = self._source.refresh(generation)
        connection = self._open_first(logins)
        self.recovered += 1
        return connection

    def _open_first(self, logins: Sequence[DatabaseCredentials]) -> psycopg.Connection[Any]:
        for login in logins[:-1]:
            try:
                return self._open(login)
            except Exception as exc:
                if not is_authentication_error(exc):
                    raise
        return self._open(logins[-1])

    def _open(self, login: DatabaseCredentials) -> psycopg.Connection[Any]:
        connect = self._connect or require_psycopg().connect
        connection: psycopg.Connection[Any] = connect(**login.connect_kwargs(), **self._kwargs)
        return connection


def rotating_sqlalchemy_engine(
    connector: RotatingConnector, url: str = "postgresql+psycopg://", **engine_kwargs: Any
) -> sqlalchemy.Engine:
    """A SQLAlchemy engine whose connections come from ``connector``.

    After a forced credential refresh, pooled connections opened with an older credential are
    discarded at their next checkout (``DisconnectionError`` makes the pool open a fresh one).
    """
    try:
        import sqlalchemy
        from sqlalchemy import event, exc
    except ImportError:
        raise ConfigurationError(
            "rotating_sqlalchemy_engine needs SQLAlchemy: pip install sqlalchemy."
        ) from None
    engine = sqlalchemy.create_engine(url, creator=connector.connect, **engine_kwargs)
    recycle_below = [0]

    def on_refresh(generation: int) -> None:
        recycle_below[0] = generation

    def stamp(dbapi_connection: Any, record: Any) -> None:
        record.info["credential_generation"] = connector.source.generation

    def check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if record.info.get("credential_generation", 0) < recycle_below[0]:
            raise exc.DisconnectionError("credential rotated; recycling this connection")

    connector.source.on_refresh(on_refresh)
    event.listen(engine, "connect", stamp)
    event.listen(engine, "checkout", check)
    return engine
