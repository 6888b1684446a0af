"""The Gaara Store on a real embedded store: it starts, serves, and survives rotations."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from flask.testing import FlaskClient
from gaara_store import create_app

from secrets_adapter import ConfigurationError, SecretsAdapter
from secrets_adapter.dotenv_file import entries_as_dict, read_dotenv_file
from secrets_adapter.env_names import key_to_name
from secrets_adapter.integrations.flask import GAARA_STORE_MAPPING
from secrets_adapter.localstore import init_store

ENV_EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"
PREFIX = "gaara/prod"


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Store:
    adapter: SecretsAdapter
    clock: Clock
    database: Path
    values: dict[str, str]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    values = entries_as_dict(read_dotenv_file(ENV_EXAMPLE))
    database = tmp_path / "gaara.db"
    values["DATABASE_URL"] = f"sqlite:///{database}"
    init_store(tmp_path / "secrets")
    clock = Clock()
    adapter = SecretsAdapter(backend="local", path=tmp_path / "secrets", prefix=PREFIX, clock=clock)
    for key in GAARA_STORE_MAPPING:
        env_key = "DATABASE_URL" if key == "SQLALCHEMY_DATABASE_URI" else key
        name = key_to_name(env_key, PREFIX)
        assert name is not None
        if not key.startswith("AWS_"):
            adapter.put_secret(name, values[env_key])
    pair = {"access_key_id": "AWS_ACCESS_KEY_ID", "secret_access_key": "AWS_SECRET_ACCESS_KEY"}
    adapter.put_secret(
        f"{PREFIX}/aws-access-key", json.dumps({f: values[k] for f, k in pair.items()})
    )  # the pair is one secret, as `migrate` stores it
    yield Store(adapter=adapter, clock=clock, database=database, values=values)
    adapter.close()


def _client(store: Store) -> FlaskClient:
    return create_app(store.adapter, clock=store.clock).test_client()


def _login(client: FlaskClient, email: str = "amina@example.com") -> dict[str, Any]:
    client.post("/auth/register", json={"email": email, "password": "correct horse"})
    response = client.post("/auth/login", json={"email": email, "password": "correct horse"})
    assert response.status_code == 200, response.json
    tokens: dict[str, Any] = response.json or {}
    return tokens


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_health_reports_integrations_without_values(store: Store) -> None:
    client = _client(store)
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "integrations": {
            "aws_access_key_id": True,
            "oauth_client_secret": True,
            "sendgrid_api_key": True,
            "stripe_api_key": True,
        },
    }
    body = response.get_data(as_text=True)
    assert all(value not in body for value in store.values.values() if len(value) > 8)


def test_orders_are_encrypted_at_rest_and_read_back(store: Store) -> None:
    client = _client(store)
    tokens = _login(client)
    placed = client.post(
        "/orders",
        json={"item": "sandals", "address": "12 Nile Street, Khartoum"},
        headers=_bearer(tokens["access_token"]),
    )
    assert placed.status_code == 201
    listed = client.get("/orders", headers=_bearer(tokens["access_token"]))
    assert listed.json == {
        "orders": [{"id": 1, "item": "sandals", "address": "12 Nile Street, Khartoum"}]
    }
    with sqlite3.connect(store.database) as conn:
        (raw,) = conn.execute("select address_encrypted from orders").fetchone()
    assert b"Nile" not in raw


def test_bad_credentials_and_tokens_are_refused(store: Store) -> None:
    client = _client(store)
    tokens = _login(client)
    wrong = {"email": "amina@example.com", "password": "x"}
    assert client.post("/auth/login", json=wrong).status_code == 401
    assert client.get("/orders").status_code == 401
    assert client.get("/orders", headers=_bearer(tokens["access_token"] + "x")).status_code == 401
    unsigned = jwt.encode({"sub": "1"}, key="", algorithm="none", headers={"kid": "legacy"})
    assert client.get("/orders", headers=_bearer(unsigned)).status_code == 401
    # a refresh token is not an access token
    assert client.get("/orders", headers=_bearer(tokens["refresh_token"])).status_code == 401


def test_refresh_issues_a_working_access_token(store: Store) -> None:
    client = _client(store)
    tokens = _login(client)
    refreshed = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    access = (refreshed.json or {})["access_token"]
    assert client.get("/orders", headers=_bearer(access)).status_code == 200


def test_jwt_rotation_logs_nobody_out_until_the_grace_ends(store: Store) -> None:
    client = _client(store)
    tokens = _login(client)
    old_access = tokens["access_token"]
    name = f"{PREFIX}/jwt-secret-key"
    store.adapter.describe_secret(name)
    store.adapter.configure_rotation(name, rotator="jwt", options={"grace": "1h"})
    store.adapter.rotate_secret(name)
    assert client.get("/orders", headers=_bearer(old_access)).status_code == 200
    new_access = _login(client)["access_token"]
    assert jwt.get_unverified_header(new_access)["kid"] != "legacy"
    assert client.get("/orders", headers=_bearer(new_access)).status_code == 200

    store.clock.now += timedelta(hours=1, seconds=1)
    assert client.get("/orders", headers=_bearer(old_access)).status_code == 401
    assert client.get("/orders", headers=_bearer(new_access)).status_code == 200


def test_encryption_key_rotation_keeps_old_rows_readable(store: Store) -> None:
    client = _client(store)
    access = _login(client)["access_token"]
    client.post("/orders", json={"item": "a", "address": "old key"}, headers=_bearer(access))
    store.adapter.put_secret("encryption-key", base64.b64encode(os.urandom(32)).decode())
    client.post("/orders", json={"item": "b", "address": "new key"}, headers=_bearer(access))
    listed = client.get("/orders", headers=_bearer(access)).json or {}
    assert [order["address"] for order in listed["orders"]] == ["old key", "new key"]


def test_orders_stay_readable_across_five_encryption_key_rotations(store: Store) -> None:
    """The issue's story: order #1 under the migrated key must survive every later rotation."""
    client = _client(store)
    access = _login(client)["access_token"]
    store.adapter.configure_rotation("encryption-key", rotator="keyring")
    for n in range(6):
        placed = client.post(
            "/orders", json={"item": f"i{n}", "address": f"address {n}"}, headers=_bearer(access)
        )
        assert placed.status_code == 201
        if n < 5:
            store.adapter.rotate_secret("encryption-key")
    listed = client.get("/orders", headers=_bearer(access))
    assert listed.status_code == 200
    assert [o["address"] for o in (listed.json or {})["orders"]] == [
        f"address {n}" for n in range(6)
    ]
    # what ENCRYPTION_KEY always held: base64 of 32 bytes, now the newest key
    assert len(base64.b64decode(store.adapter.get_secret_value("encryption-key"))) == 32


def test_the_app_keeps_working_while_every_rotatable_secret_rotates(store: Store) -> None:
    """JWT keys and ENCRYPTION_KEY rotate again and again; the app, unchanged, reads its config
    as before (plain strings, as the design's §4.2 reads them) and logs nobody out."""
    client = _client(store)
    tokens = _login(client)
    client.post(
        "/orders", json={"item": "a", "address": "before"}, headers=_bearer(tokens["access_token"])
    )
    for name in ("jwt-secret-key", "jwt-refresh-secret-key"):
        store.adapter.configure_rotation(name, rotator="jwt", options={"grace": "1d"})
    store.adapter.configure_rotation("encryption-key", rotator="keyring")
    config = client.application.config
    for _ in range(3):
        for name in ("jwt-secret-key", "jwt-refresh-secret-key", "encryption-key"):
            store.adapter.rotate_secret(name)
        for key in ("JWT_SECRET_KEY", "JWT_REFRESH_SECRET_KEY", "ENCRYPTION_KEY"):
            assert not str(config[key]).startswith("{"), key
        assert config["JWT_SECRET_KEY"] == store.adapter.get_secret_value("jwt-secret-key")
        fresh = _login(client)["access_token"]
        for access in (tokens["access_token"], fresh):
            listed = client.get("/orders", headers=_bearer(access))
            assert listed.status_code == 200
            assert (listed.json or {})["orders"][0]["address"] == "before"
        refreshed = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert refreshed.status_code == 200


def test_start_fails_fast_naming_missing_secrets(store: Store) -> None:
    store.adapter.delete_secret("stripe-api-key", force=True)
    with pytest.raises(ConfigurationError, match="STRIPE_API_KEY <- gaara/prod/stripe-api-key"):
        create_app(store.adapter)


class _Ticker:
    """A monotonic clock moved by hand (the second instance's cache clock)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_rotated_by_another_instance_is_accepted_here(store: Store) -> None:
    """Two app instances (two workers) on one store: A rotates and signs with the new key; B,
    whose cache still holds the old key set, reloads it on meeting the unknown kid."""
    ticker = _Ticker()
    other = SecretsAdapter(
        backend="local",
        path=store.database.parent / "secrets",
        prefix=PREFIX,
        clock=store.clock,
        monotonic_clock=ticker,
    )
    try:
        instance_b = create_app(other, clock=store.clock).test_client()
        _login(instance_b, "bo@example.com")  # B has read (and cached) the old key set
        name = f"{PREFIX}/jwt-secret-key"
        store.adapter.configure_rotation(name, rotator="jwt", options={"grace": "1h"})
        instance_a = _client(store)
        store.adapter.rotate_secret(name)
        new_access = _login(instance_a)["access_token"]
        ticker.now += 2  # past the cache's minimum interval between forced refreshes
        assert instance_b.get("/orders", headers=_bearer(new_access)).status_code == 200
    finally:
        other.close()
