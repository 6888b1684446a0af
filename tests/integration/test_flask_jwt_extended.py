"""Flask-JWT-Extended on a rotated key set, with the real extension: log in, rotate, the old
token still works, the new one carries the new kid; tokens from before migration (no kid) verify
through the first grace window; a key past its grace is refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from flask import Flask, Response, jsonify
from flask.testing import FlaskClient
from flask_jwt_extended import JWTManager, create_access_token, get_jwt_identity, jwt_required

from secrets_adapter import SecretsAdapter
from secrets_adapter.flask import FlaskSecrets
from secrets_adapter.localstore import init_store
from secrets_adapter.rotation.rotators.jwt import LEGACY_KID
from tests.unit.rotation.helpers import FakeClock, Ticker

PREFIX = "gaara/prod"
NAME = f"{PREFIX}/jwt-secret-key"
PLAIN = "demo-jwt-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e"
MAPPING = {"JWT_SECRET_KEY": "jwt-secret-key"}


def _app(adapter: SecretsAdapter, *, manager_first: bool) -> Flask:
    """The design's app (§4.2): config from the store, tokens by Flask-JWT-Extended."""
    app = Flask(__name__)
    if manager_first:
        JWTManager(app)
        FlaskSecrets(app, adapter=adapter, mapping=MAPPING)
    else:
        secrets = FlaskSecrets(app, adapter=adapter, mapping=MAPPING)
        secrets.init_jwt(JWTManager(app))

    def login() -> Response:
        return jsonify(access_token=create_access_token(identity="amina"))

    def me() -> Response:
        return jsonify(user=get_jwt_identity())

    app.add_url_rule("/login", view_func=login, methods=["POST"])
    app.add_url_rule("/me", view_func=jwt_required()(me))

    return app


@pytest.fixture
def store(tmp_path: Path) -> tuple[SecretsAdapter, FakeClock, Ticker]:
    init_store(tmp_path / "store")
    clock, ticker = FakeClock(), Ticker()
    adapter = SecretsAdapter(
        backend="local", path=tmp_path / "store", prefix=PREFIX, clock=clock,
        monotonic_clock=ticker,
    )  # fmt: skip
    adapter.put_secret(NAME, PLAIN)  # what migrate wrote from .env
    adapter.configure_rotation(NAME, rotator="jwt", options={"grace": "1h"})
    return adapter, clock, ticker


def _login(client: FlaskClient) -> str:
    response = client.post("/login")
    assert response.status_code == 200
    token: str = (response.json or {})["access_token"]
    return token


def _me(client: FlaskClient, token: str) -> int:
    return client.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.mark.parametrize("manager_first", [True, False])
def test_login_rotate_old_token_works_new_token_has_new_kid(
    store: tuple[SecretsAdapter, FakeClock, Ticker], manager_first: bool
) -> None:
    adapter, clock, ticker = store
    client = _app(adapter, manager_first=manager_first).test_client()
    before_migration = jwt.encode(
        {
            "sub": "amina",
            "type": "access",
            "fresh": False,
            "jti": "j0",
            "iat": 0,
            "nbf": 0,
            "exp": 4_102_444_800,
        },
        PLAIN,
        algorithm="HS256",
    )  # fmt: skip  (what the app issued from .env: no kid)
    first = _login(client)
    assert jwt.get_unverified_header(first)["kid"] == LEGACY_KID
    assert _me(client, first) == 200 and _me(client, before_migration) == 200

    adapter.rotate_secret(NAME)
    second = _login(client)
    assert jwt.get_unverified_header(second)["kid"] not in (LEGACY_KID, None)
    ticker.now += 2  # past the minimum interval between forced reloads
    assert [_me(client, t) for t in (first, second, before_migration)] == [200, 200, 200]

    clock.advance(timedelta(minutes=30))
    adapter.rotate_secret(NAME)  # the next key was published pending: known without a reload
    third = _login(client)
    assert len({jwt.get_unverified_header(t)["kid"] for t in (first, second, third)}) == 3
    assert [_me(client, t) for t in (first, second, third)] == [200, 200, 200]

    clock.advance(timedelta(minutes=30, seconds=1))  # the legacy key's grace (1h) ends
    ticker.now += 60  # past the verifier's max_age: it reloads and sees the retirement
    assert _me(client, first) == 422 and _me(client, before_migration) == 422
    assert [_me(client, t) for t in (second, third)] == [200, 200]
    assert client.application.config["JWT_SECRET_KEY"] == adapter.get_secret_value(NAME)


def test_forged_tokens_are_refused(store: tuple[SecretsAdapter, FakeClock, Ticker]) -> None:
    adapter, _clock, _ticker = store
    client = _app(adapter, manager_first=True).test_client()
    adapter.rotate_secret(NAME)
    claims = {"sub": "mallory", "type": "access", "fresh": False, "jti": "x", "exp": 4_102_444_800}
    unknown = jwt.encode(claims, "g" * 32, algorithm="HS256", headers={"kid": "nope"})
    wrong_key = jwt.encode(
        claims, "guess-guess-guess-guess-guess-guess", algorithm="HS256",
        headers={"kid": adapter.jwt_keys(NAME).active.kid},
    )  # fmt: skip
    assert _me(client, unknown) == 422 and _me(client, wrong_key) == 422
