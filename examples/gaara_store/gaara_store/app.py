"""The Gaara Store backend: register, log in, refresh, place and list orders.

Every secret comes from secrets-adapter through ``FlaskSecrets``; nothing reads ``os.environ``
for a secret. Run with ``flask --app gaara_store.app:create_app run``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import jwt
from flask import Flask, Response, current_app, g, jsonify, request
from sqlalchemy import Engine, create_engine, insert, select
from sqlalchemy.exc import IntegrityError as DuplicateRowError
from werkzeug.security import check_password_hash, generate_password_hash

from gaara_store.db import metadata, orders, users
from gaara_store.fields import address_cipher, row_context
from gaara_store.tokens import TokenService
from secrets_adapter import SecretsAdapter
from secrets_adapter.clock import WallClock, utcnow
from secrets_adapter.integrations.flask import EXTENSION_KEY, GAARA_STORE_MAPPING, FlaskSecrets

P = ParamSpec("P")
R = TypeVar("R")

INTEGRATIONS = ("AWS_ACCESS_KEY_ID", "SENDGRID_API_KEY", "STRIPE_API_KEY", "OAUTH_CLIENT_SECRET")


def _adapter() -> SecretsAdapter:
    extension: FlaskSecrets = current_app.extensions[EXTENSION_KEY]
    return extension.adapter


def _tokens() -> TokenService:
    service: TokenService = current_app.extensions["gaara_tokens"]
    return service


def _engine() -> Engine:
    engine: Engine = current_app.extensions["gaara_engine"]
    return engine


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def require_token(view: Callable[P, R]) -> Callable[P, R | tuple[Response, int]]:
    """Let the request through only with a valid access token; sets ``g.user_id``."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | tuple[Response, int]:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return _error(401, "missing bearer token")
        try:
            claims = _tokens().verify(header.removeprefix("Bearer "), "access")
        except jwt.InvalidTokenError:
            return _error(401, "invalid or expired token")
        g.user_id = int(claims["sub"])
        return view(*args, **kwargs)

    return wrapper


def _credentials() -> tuple[str, str] | None:
    body = request.get_json(silent=True) or {}
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
        return None
    return email.strip().lower(), password


def register() -> tuple[Response, int]:
    credentials = _credentials()
    if credentials is None:
        return _error(400, "email and password are required")
    email, password = credentials
    try:
        with _engine().begin() as conn:
            conn.execute(
                insert(users).values(email=email, password_hash=generate_password_hash(password))
            )
    except DuplicateRowError:
        return _error(409, "this email is already registered")
    return jsonify({"email": email}), 201


def login() -> tuple[Response, int]:
    credentials = _credentials()
    if credentials is None:
        return _error(400, "email and password are required")
    email, password = credentials
    with _engine().connect() as conn:
        row = conn.execute(select(users).where(users.c.email == email)).first()
    if row is None or not check_password_hash(row.password_hash, password):
        return _error(401, "wrong email or password")
    return jsonify(_tokens().issue_pair(row.id)), 200


def refresh() -> tuple[Response, int]:
    body = request.get_json(silent=True) or {}
    token = body.get("refresh_token")
    if not isinstance(token, str):
        return _error(400, "refresh_token is required")
    try:
        claims = _tokens().verify(token, "refresh")
    except jwt.InvalidTokenError:
        return _error(401, "invalid or expired refresh token")
    return jsonify({"access_token": _tokens().issue_access(int(claims["sub"]))}), 200


@require_token
def place_order() -> tuple[Response, int]:
    body = request.get_json(silent=True) or {}
    item, address = body.get("item"), body.get("address")
    if not isinstance(item, str) or not isinstance(address, str) or not item or not address:
        return _error(400, "item and address are required")
    sealed = address_cipher(_adapter()).encrypt(
        address.encode(), associated_data=row_context(g.user_id)
    )
    with _engine().begin() as conn:
        result = conn.execute(
            insert(orders).values(user_id=g.user_id, item=item, address_encrypted=sealed)
        )
    order_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
    return jsonify({"id": order_id, "item": item}), 201


@require_token
def list_orders() -> tuple[Response, int]:
    cipher = address_cipher(_adapter())
    with _engine().connect() as conn:
        rows = conn.execute(
            select(orders).where(orders.c.user_id == g.user_id).order_by(orders.c.id)
        ).all()
    listed = [
        {
            "id": row.id,
            "item": row.item,
            "address": cipher.decrypt(
                row.address_encrypted, associated_data=row_context(g.user_id)
            ).decode(),
        }
        for row in rows
    ]
    return jsonify({"orders": listed}), 200


def health() -> tuple[Response, int]:
    """Liveness plus which integrations are configured — never a value."""
    configured = {key.lower(): bool(current_app.config.get(key)) for key in INTEGRATIONS}
    return jsonify({"status": "ok", "integrations": configured}), 200


def create_app(adapter: SecretsAdapter | None = None, *, clock: WallClock = utcnow) -> Flask:
    """The app; ``adapter`` defaults to ``SecretsAdapter.from_env()`` (.env in development)."""
    app = Flask("gaara_store")
    app.json.sort_keys = True  # type: ignore[attr-defined]
    secrets = FlaskSecrets(app, adapter=adapter, mapping=GAARA_STORE_MAPPING)
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    metadata.create_all(engine)
    app.extensions["gaara_engine"] = engine
    app.extensions["gaara_tokens"] = TokenService(secrets.adapter, clock=clock)
    app.add_url_rule("/health", view_func=health)
    app.add_url_rule("/auth/register", view_func=register, methods=["POST"])
    app.add_url_rule("/auth/login", view_func=login, methods=["POST"])
    app.add_url_rule("/auth/refresh", view_func=refresh, methods=["POST"])
    app.add_url_rule("/orders", view_func=place_order, methods=["POST"])
    app.add_url_rule("/orders", view_func=list_orders, methods=["GET"], endpoint="orders_list")
    return app
