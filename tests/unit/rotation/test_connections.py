"""Credential refresh (single-flight, minimum interval, max age) and the connector's one retry,
with a fake connect function; the real PostgreSQL paths are in tests/integration."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.errors import SecretFormatError
from secrets_adapter.models import SecretValue
from secrets_adapter.rotation.connections import (
    CredentialSource,
    Logins,
    RotatingConnector,
    database_credentials,
)
from secrets_adapter.rotation.rotators.postgres import DatabaseCredentials, is_authentication_error
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL
from tests.unit.rotation.helpers import Ticker

NAME = "db/app"


def _login(password: str, username: str = "app") -> DatabaseCredentials:
    return DatabaseCredentials(
        host="127.0.0.1", port=5432, username=username, password=SecretValue(password), dbname="db"
    )


class AuthFailedError(Exception):
    sqlstate = "28P01"


class ServerDownError(Exception):
    pass


class FakeDatabase:
    """Accepts one password; counts connection attempts."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.attempts: list[str] = []
        self.down = False

    def connect(self, **kwargs: Any) -> Any:
        self.attempts.append(kwargs["password"])
        if self.down:
            raise ServerDownError("connection refused")
        if kwargs["password"] != self.password:
            raise AuthFailedError('password authentication failed for user "app"')
        return f"connection as {kwargs['user']}"


def test_refresh_is_single_flight_and_rate_limited() -> None:
    ticker = Ticker()
    gate = threading.Event()
    loads: list[int] = []

    def load() -> int:
        gate.wait(timeout=5)
        loads.append(1)
        return len(loads)

    source = CredentialSource(load, min_interval=timedelta(seconds=10), clock=ticker)
    gate.set()
    generation, value = source.current()
    assert value == 1
    gate.clear()
    ticker.now = 100.0
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(source.refresh(generation)[1]))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.05)  # let all threads queue on the refresh (not waiting for time to pass)
    gate.set()
    for thread in threads:
        thread.join(timeout=5)
    assert results == [2] * 8 and len(loads) == 2  # one load served all eight
    newest, _ = source.current()
    ticker.now = 105.0
    assert source.refresh(newest)[1] == 2  # too soon: no load
    ticker.now = 110.0
    assert source.refresh(newest)[1] == 3


def test_a_credential_is_reloaded_when_older_than_max_age() -> None:
    ticker = Ticker()
    count = iter(range(1, 100))
    source = CredentialSource(lambda: next(count), max_age=timedelta(minutes=5), clock=ticker)
    assert source.current()[1] == 1
    ticker.now = 299
    assert source.current()[1] == 1
    ticker.now = 300
    assert source.current()[1] == 2


def test_an_authentication_failure_refreshes_once_and_retries_once() -> None:
    database = FakeDatabase("old")
    logins: list[Logins] = [(_login("old"),)]
    source = CredentialSource(lambda: logins[-1], min_interval=timedelta(0))
    refreshed: list[int] = []
    source.on_refresh(refreshed.append)
    connector = RotatingConnector(source, connect=database.connect)
    assert str(connector.connect()) == "connection as app"
    database.password = "new"
    logins.append((_login("new"),))
    assert str(connector.connect()) == "connection as app"
    assert connector.recovered == 1 and refreshed == [2]
    assert database.attempts == ["old", "old", "new"]


def test_between_set_and_finish_the_pending_login_is_tried() -> None:
    database = FakeDatabase("pending")
    source: CredentialSource[Logins] = CredentialSource(lambda: (_login("old"), _login("pending")))
    connector = RotatingConnector(source, connect=database.connect)
    assert str(connector.connect()) == "connection as app"
    assert database.attempts == ["old", "old", "pending"]


def test_a_still_failing_login_raises_after_the_single_retry() -> None:
    database = FakeDatabase("unknown")
    source: CredentialSource[Logins] = CredentialSource(
        lambda: (_login("old"),), min_interval=timedelta(0)
    )
    connector = RotatingConnector(source, connect=database.connect)
    with pytest.raises(AuthFailedError):
        connector.connect()
    assert database.attempts == ["old", "old"]


def test_other_failures_are_not_retried() -> None:
    database = FakeDatabase("old")
    database.down = True
    source: CredentialSource[Logins] = CredentialSource(lambda: (_login("old"),))
    connector = RotatingConnector(source, connect=database.connect)
    with pytest.raises(ServerDownError):
        connector.connect()
    assert database.attempts == ["old"] and source.loads == 1


def test_authentication_errors_are_recognised() -> None:
    assert is_authentication_error(AuthFailedError("x"))
    assert is_authentication_error(Exception('FATAL: password authentication failed for "a"'))
    assert is_authentication_error(Exception('FATAL: role "app_clone" does not exist'))
    assert not is_authentication_error(ServerDownError("connection refused"))


def test_the_adapter_loader_reads_current_and_pending() -> None:
    provider = InMemoryProvider()
    provider.put(NAME, _login("old").to_value())
    adapter = SecretsAdapter(provider=provider, cache=False)
    load = database_credentials(adapter, NAME)
    assert [login.password.reveal_text() for login in load()] == ["old"]
    provider.put_version(NAME, _login("new").to_value(), token="t1")
    assert [login.password.reveal_text() for login in load()] == ["old", "new"]


def test_a_rotation_by_another_process_is_recovered_within_the_minimum_interval() -> None:
    """The adapter's cache holds the old login; nothing here invalidates it (the rotation ran
    elsewhere). Attempts within ``min_interval`` of the last load fail (no hammering of the
    store); the first one after it forces a refresh through the cache and connects."""
    ticker = Ticker(now=1000.0)
    provider = InMemoryProvider()
    provider.put(NAME, _login("old").to_value())
    adapter = SecretsAdapter(provider=provider, monotonic_clock=ticker)  # cached, 5 min TTL
    source = CredentialSource(database_credentials(adapter, NAME), clock=ticker)
    database = FakeDatabase("old")
    connector = RotatingConnector(source, connect=database.connect)
    assert str(connector.connect()) == "connection as app"

    provider.put(NAME, _login("new").to_value())  # another process rotated it
    database.password = "new"
    ticker.now = 1000.5
    with pytest.raises(AuthFailedError):
        connector.connect()  # inside the 1 s bound: the old login is all there is
    ticker.now = 1001.0
    assert str(connector.connect()) == "connection as app"
    assert connector.recovered == 1
    assert database.attempts[-1] == "new"


def test_database_credentials_never_show_the_password() -> None:
    login = _login(SENTINEL).with_login("app", SecretValue(SENTINEL))
    assert SENTINEL not in repr(login) and SENTINEL not in str(login)
    url = login.database_url()
    assert SENTINEL not in repr(url)
    assert url.reveal_text().startswith("postgresql://app:")
    round_trip = DatabaseCredentials.from_value(login.to_value())
    assert round_trip == login
    with pytest.raises(SecretFormatError) as caught:
        DatabaseCredentials.from_value(SecretValue(f'{{"password": "{SENTINEL}"}}'), name=NAME)
    assert SENTINEL not in str(caught.value)


def test_a_malformed_credential_chains_no_parser_error() -> None:
    """``int("<port>")``'s ValueError quotes the field; not even a suppressed context keeps it."""
    text = f'{{"host": "h", "port": "{SENTINEL}", "username": "u", "password": "{SENTINEL}"}}'
    with pytest.raises(SecretFormatError) as caught:
        DatabaseCredentials.from_value(SecretValue(text), name=NAME)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_a_database_url_quotes_special_characters() -> None:
    url = _login("p@ss/w:rd?#").database_url().reveal_text()
    assert url == "postgresql://app:p%40ss%2Fw%3Ard%3F%23@127.0.0.1:5432/db"
