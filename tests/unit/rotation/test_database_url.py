"""The URL form of a database login: parsed, and written back with only the login changed."""

from __future__ import annotations

import pytest

from secrets_adapter.errors import SecretFormatError
from secrets_adapter.models import SecretValue
from secrets_adapter.rotation.rotators.postgres import DatabaseCredentials
from tests.sentinel import SENTINEL


def _login(url: str) -> DatabaseCredentials:
    return DatabaseCredentials.from_value(SecretValue(url), name="gaara/prod/database-url")


@pytest.mark.parametrize(
    ("url", "rotated"),
    [
        (
            "postgresql://gaara:demo-Pa55word@127.0.0.1:5432/gaara_store",
            "postgresql://gaara:n%2Fw%3Ap%40ss%3F%23%25@127.0.0.1:5432/gaara_store",
        ),
        (
            "postgresql+psycopg://gaara:old@db.internal/gaara?sslmode=require&connect_timeout=5",
            "postgresql+psycopg://gaara:n%2Fw%3Ap%40ss%3F%23%25@db.internal/gaara?sslmode=require&connect_timeout=5",
        ),
        (
            "postgres://gaara:old@[::1]:6543/my%20db",
            "postgres://gaara:n%2Fw%3Ap%40ss%3F%23%25@[::1]:6543/my%20db",
        ),
    ],
)
def test_only_the_password_changes(url: str, rotated: str) -> None:
    login = _login(url)
    assert login.to_value() == SecretValue(url)
    new = login.with_login("gaara", SecretValue("n/w:p@ss?#%"))
    assert new.to_value().reveal_text() == rotated
    assert _login(rotated).password.reveal_text() == "n/w:p@ss?#%"


def test_connect_keywords_come_from_the_url() -> None:
    login = _login("postgresql+psycopg://us%40er:p%3Aw@db:6000/my%20db?sslmode=require")
    assert login.connect_kwargs() == {
        "sslmode": "require",
        "user": "us@er",
        "password": "p:w",
        "dbname": "my db",
        "host": "db",
        "port": 6000,
    }
    assert "port" not in _login("postgresql://u:p@db/x").connect_kwargs()  # libpq's default


def test_the_alternating_user_is_encoded_too() -> None:
    new = _login("postgresql://app:old@db/x").with_login("app_clone", SecretValue("pw"))
    assert new.to_value().reveal_text() == "postgresql://app_clone:pw@db/x"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (f"mysql://u:{SENTINEL}@db/x", "its scheme 'mysql'"),
        (f"postgresql://:{SENTINEL}@db/x", "names no user"),
        (f"postgresql://u:{SENTINEL}@db:port/x", "host or port"),
        ("postgresql://u@db/x", "holds no password"),
        (f"{SENTINEL}", "needs a URL"),
    ],
)
def test_a_bad_url_says_what_is_wrong_without_the_value(url: str, problem: str) -> None:
    with pytest.raises(SecretFormatError) as caught:
        _login(url)
    assert problem in caught.value.message
    assert SENTINEL not in str(caught.value)
    assert caught.value.__context__ is None and caught.value.__cause__ is None
