"""Flask integration: ``app.config`` filled from the secret store, resolved through the cache.

``FlaskSecrets(app, mapping={"SQLALCHEMY_DATABASE_URI": "database-url", ...})`` replaces the
app's config object with one whose mapped keys are references: each read goes through the
adapter's cache, so a rotated value is picked up without a restart, and a value is never copied
into the config dict (where a debug page or ``repr(app.config)`` could show it). Start-up fails
fast, naming every secret that is missing.

``JWT_SECRET_KEY`` reads as the current key of the rotated set (a plain string, as before
migration). With Flask-JWT-Extended, ``FlaskSecrets`` also wires its key hooks
(``integrations.flask_jwt``): tokens carry the signing key's ``kid`` and every key still in grace
verifies, so a rotation logs nobody out. That happens in ``init_app`` when the ``JWTManager`` is
already on the app, or with ``init_jwt(manager)`` when it comes after.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.errors import ConfigurationError, SecretsAdapterError
from secrets_adapter.references import SecretReference, parse_mapping_reference

if TYPE_CHECKING:
    from flask import Flask

__all__ = [
    "GAARA_STORE_MAPPING",
    "GAARA_STORE_SECRETS",
    "EXTENSION_KEY",
    "FlaskSecrets",
    "SecretReference",
]

EXTENSION_KEY = "secrets_adapter"
JWT_CONFIG_KEY = "JWT_SECRET_KEY"  # the key Flask-JWT-Extended signs with

GAARA_STORE_MAPPING: Mapping[str, str] = {
    "SQLALCHEMY_DATABASE_URI": "database-url",
    "JWT_SECRET_KEY": "jwt-secret-key",
    "JWT_REFRESH_SECRET_KEY": "jwt-refresh-secret-key",
    "ENCRYPTION_KEY": "encryption-key",
    "AWS_ACCESS_KEY_ID": "aws-access-key#access_key_id",  # the pair is one secret
    "AWS_SECRET_ACCESS_KEY": "aws-access-key#secret_access_key",
    "SENDGRID_API_KEY": "sendgrid-api-key",
    "STRIPE_API_KEY": "stripe-api-key",
    "OAUTH_CLIENT_SECRET": "oauth-client-secret",
}
"""The Gaara Store's nine secrets: Flask config key → secret name (relative to the prefix)."""

GAARA_STORE_SECRETS: tuple[str, ...] = tuple(
    dict.fromkeys(reference.partition("#")[0] for reference in GAARA_STORE_MAPPING.values())
)
"""The store's secrets behind those nine keys (the AWS key pair is one secret)."""


def _config_class(base: type[Any], adapter: SecretsAdapter) -> type[Any]:
    """A subclass of the app's config class whose reference values resolve on every read."""

    def resolve(value: Any) -> Any:
        if isinstance(value, SecretReference):
            return adapter.get_secret_value(value.name, value.key)
        return value

    class SecretConfig(base):  # type: ignore[misc]
        def __getitem__(self, key: str) -> Any:
            return resolve(super().__getitem__(key))

        def get(self, key: str, default: Any = None) -> Any:
            return resolve(super().get(key, default))

        def values(self) -> Iterator[Any]:
            return (resolve(value) for value in super().values())

        def items(self) -> Iterator[tuple[str, Any]]:
            return ((key, resolve(value)) for key, value in super().items())

        def __repr__(self) -> str:
            shown = {
                key: (str(value) if isinstance(value, SecretReference) else value)
                for key, value in dict(self).items()
            }
            return f"<SecretConfig {shown!r}>"

    SecretConfig.__name__ = f"Secret{base.__name__}"
    return SecretConfig


class FlaskSecrets:
    """The Flask extension. ``init_app`` wires the store into ``app.config`` and fails fast."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        adapter: SecretsAdapter | None = None,
        mapping: Mapping[str, str] = GAARA_STORE_MAPPING,
    ) -> None:
        self._adapter = adapter
        self._mapping = dict(mapping)
        if app is not None:
            self.init_app(app)

    @property
    def adapter(self) -> SecretsAdapter:
        if self._adapter is None:
            raise ConfigurationError("FlaskSecrets is not initialised: call init_app(app) first.")
        return self._adapter

    def init_app(self, app: Flask) -> None:
        """Open the store (development: the .env file; production: the configured store),
        check every mapped secret exists, and install reference-resolving config."""
        if self._adapter is None:
            self._adapter = SecretsAdapter.from_env()
        adapter = self._adapter
        references = {key: parse_mapping_reference(ref) for key, ref in self._mapping.items()}
        self._check_all_present(adapter, references)
        config = app.config
        config.__class__ = _config_class(type(config), adapter)
        for key, reference in references.items():
            dict.__setitem__(config, key, reference)
        app.extensions[EXTENSION_KEY] = self
        manager = app.extensions.get("flask-jwt-extended")
        if manager is not None and JWT_CONFIG_KEY in references:
            self.init_jwt(manager)

    def init_jwt(self, manager: Any, name: str | None = None) -> None:
        """Sign Flask-JWT-Extended tokens with the current key of ``name`` (default: the secret
        mapped to ``JWT_SECRET_KEY``), with its ``kid``; verify with any key still in grace."""
        from secrets_adapter.integrations.flask_jwt import wire_flask_jwt_extended

        if name is None:
            reference = self._mapping.get(JWT_CONFIG_KEY)
            if reference is None:
                raise ConfigurationError(
                    f"No secret is mapped to {JWT_CONFIG_KEY}: give init_jwt the secret's name."
                )
            name = parse_mapping_reference(reference).name
        wire_flask_jwt_extended(manager, self.adapter, name)

    @staticmethod
    def _check_all_present(
        adapter: SecretsAdapter, references: Mapping[str, SecretReference]
    ) -> None:
        names = sorted({ref.name for ref in references.values()})
        with contextlib.suppress(SecretsAdapterError):  # each failure is named below
            adapter.get_many(names)  # one batch call where the backend has one; warms the cache
        problems: list[str] = []
        for key, ref in sorted(references.items()):
            try:
                adapter.get_secret_value(ref.name, ref.key)
            except SecretsAdapterError as exc:
                where = adapter.qualify(ref.name) + (f"#{ref.key}" if ref.key else "")
                problems.append(f"{key} <- {where} ({type(exc).__name__})")
        if problems:
            raise ConfigurationError(
                "The app cannot start: these config values have no secret in the "
                f"{adapter.backend} store: {'; '.join(problems)}. Create them "
                "(secrets-adapter put NAME, or secrets-adapter migrate apply) and start again."
            )
