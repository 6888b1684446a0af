"""The public API, locked: users and scripts depend on these names and signatures.

A change here is a change to the published interface. When a feature adds a parameter on purpose,
update the expected signature in the same commit (and the changelog); a test failing here without
that intent is a break for every caller.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

import secrets_adapter
from secrets_adapter import AsyncSecretsAdapter, SecretsAdapter, Stage
from secrets_adapter.clock import monotonic, utcnow

EMPTY = inspect.Parameter.empty
POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD
KEYWORD = inspect.Parameter.KEYWORD_ONLY
VAR_KEYWORD = inspect.Parameter.VAR_KEYWORD

EXPECTED_ALL = {
    "AccessDeniedError",
    "AsyncSecretsAdapter",
    "AuditUnavailableError",
    "ConfigurationError",
    "ConflictError",
    "CredentialSource",
    "DatabaseCredentials",
    "DecryptionError",
    "IntegrityError",
    "JwtKey",
    "JwtKeySet",
    "JwtVerifier",
    "KeyRing",
    "Keyring",
    "MigrationError",
    "PolicyDeniedError",
    "Provider",
    "ProviderError",
    "ProviderUnavailableError",
    "RotatingConnector",
    "RotationError",
    "Secret",
    "SecretFormatError",
    "SecretMetadata",
    "SecretNotFoundError",
    "SecretScheduledForDeletionError",
    "SecretSnapshot",
    "SecretValue",
    "SecretsAdapter",
    "SecretsAdapterError",
    "Stage",
    "ValidationError",
    "VersionInfo",
    "VersionedProvider",
    "WritableProvider",
    "__version__",
    "database_credentials",
    "rotating_sqlalchemy_engine",
    "secret_as_dict",
    "sign_token",
    "AlertEngine",
    "BackgroundSink",
    "LogSink",
    "SecretsMetrics",
    "Ticker",
    "WebhookSink",
    "default_rules",
}


@dataclass(frozen=True, slots=True)
class Param:
    """One expected parameter: name, kind, annotation (as written) and default."""

    name: str
    kind: inspect._ParameterKind
    annotation: str
    default: Any = EMPTY


def _kw(name: str, annotation: str, default: Any = EMPTY) -> Param:
    return Param(name, KEYWORD, annotation, default)


SELF = Param("self", POSITIONAL, "")
READ_OPTIONS = [
    _kw("version", "str | None", None),
    _kw("stage", "Stage | str", Stage.CURRENT),
    _kw("refresh", "bool", False),
]

EXPECTED_SIGNATURES: dict[str, tuple[list[Param], str]] = {
    "__init__": (
        [
            SELF,
            Param("backend", POSITIONAL, "str | None", None),
            _kw("provider", "Provider | None", None),
            _kw("settings", "Settings | None", None),
            _kw("prefix", "str | None", None),
            _kw("path", "str | os.PathLike[str] | None", None),
            _kw("master_key", "str | SecretValue | None", None),
            _kw("env_file", "str | os.PathLike[str] | None", None),
            _kw("region", "str | None", None),
            _kw("endpoint_url", "str | None", None),
            _kw("kms_key_id", "str | None", None),
            _kw("url", "str | None", None),
            _kw("token", "str | SecretValue | None", None),
            _kw("mount", "str | None", None),
            _kw("namespace", "str | None", None),
            _kw("principal", "str | None", None),
            _kw("audit_log", "str | os.PathLike[str] | AuditTrail | None", None),
            _kw("audit_mode", "str | None", None),
            _kw("policy", "str | os.PathLike[str] | Policy | None", None),
            _kw("listeners", "Iterable[Listener]", ()),
            _kw("clock", "WallClock", utcnow),
            _kw("cache", "bool | None", None),
            _kw("cache_ttl", "Duration | None", None),
            _kw("max_stale", "Duration | None", None),
            _kw("refresh_ahead", "float | None", None),
            _kw("max_entries", "int | None", None),
            _kw("cache_ttls", "Mapping[str, Duration] | None", None),
            _kw("monotonic_clock", "MonotonicClock", monotonic),
        ],
        "None",
    ),
    "get": ([SELF, Param("name", POSITIONAL, "str"), *READ_OPTIONS], "Secret"),
    "get_secret": ([SELF, Param("name", POSITIONAL, "str"), *READ_OPTIONS], "dict[str, Any]"),
    "get_secret_value": (
        [
            SELF,
            Param("name", POSITIONAL, "str"),
            Param("key", POSITIONAL, "str | None", None),
            *READ_OPTIONS,
        ],
        "str",
    ),
    "get_many": (
        [
            SELF,
            Param("names", POSITIONAL, "Sequence[str]"),
            _kw("errors", "BatchErrors", "raise"),
        ],
        "dict[str, Secret] | dict[str, Secret | SecretsAdapterError]",
    ),
    "snapshot_secret": ([SELF, Param("name", POSITIONAL, "str")], "SecretSnapshot"),
    "load_snapshot": (
        [SELF, Param("snapshot", POSITIONAL, "SecretSnapshot"), _kw("name", "str | None", None)],
        "int",
    ),
    "put_secret": (
        [
            SELF,
            Param("name", POSITIONAL, "str"),
            Param("value", POSITIONAL, "ValueInput"),
            _kw("expected_current", "str | None", None),
        ],
        "VersionInfo",
    ),
    "delete_secret": (
        [
            SELF,
            Param("name", POSITIONAL, "str"),
            _kw("recovery_window", "timedelta", timedelta(days=30)),
            _kw("force", "bool", False),
        ],
        "None",
    ),
    "restore_secret": ([SELF, Param("name", POSITIONAL, "str")], "None"),
    "describe_secret": ([SELF, Param("name", POSITIONAL, "str")], "SecretMetadata"),
    "list_secrets": ([SELF, Param("prefix", POSITIONAL, "str | None", None)], "list[str]"),
    "rotate_secret": (
        [SELF, Param("name", POSITIONAL, "str"), _kw("restart", "bool", False)],
        "VersionInfo",
    ),
    "keyring": ([SELF, Param("name", POSITIONAL, "str")], "Keyring"),
    "jwt_keys": (
        [SELF, Param("name", POSITIONAL, "str"), _kw("refresh", "bool", False)],
        "JwtKeySet",
    ),
    "jwt_verifier": (
        [SELF, Param("name", POSITIONAL, "str"), Param("options", VAR_KEYWORD, "Any")],
        "JwtVerifier",
    ),
    "retire_key": (
        [
            SELF,
            Param("name", POSITIONAL, "str"),
            Param("key_id", POSITIONAL, "str"),
            _kw("still_in_use", "Iterable[bytes]", ()),
            _kw("force", "bool", False),
        ],
        "VersionInfo",
    ),
    "from_env": (
        [
            Param("environ", POSITIONAL, "Mapping[str, str] | None", None),
            Param("overrides", VAR_KEYWORD, "Any"),
        ],
        "SecretsAdapter",
    ),
}


def _actual(method: str) -> tuple[list[Param], str]:
    signature = inspect.signature(getattr(SecretsAdapter, method))
    params = [
        Param(
            p.name,
            p.kind,
            "" if p.annotation is EMPTY else str(p.annotation),
            p.default,
        )
        for p in signature.parameters.values()
    ]
    return params, str(signature.return_annotation)


def test_all_is_exactly_the_published_names() -> None:
    assert set(secrets_adapter.__all__) == EXPECTED_ALL
    assert len(secrets_adapter.__all__) == len(EXPECTED_ALL), "a name is listed twice"
    for name in EXPECTED_ALL:
        assert hasattr(secrets_adapter, name), name


def test_every_error_is_a_secrets_adapter_error() -> None:
    for name in EXPECTED_ALL:
        value = getattr(secrets_adapter, name)
        if name.endswith("Error"):
            assert issubclass(value, secrets_adapter.SecretsAdapterError), name


@pytest.mark.parametrize("method", sorted(EXPECTED_SIGNATURES))
def test_signature_is_locked(method: str) -> None:
    expected_params, expected_return = EXPECTED_SIGNATURES[method]
    actual_params, actual_return = _actual(method)
    assert [p.name for p in actual_params] == [p.name for p in expected_params]
    for actual, expected in zip(actual_params, expected_params, strict=True):
        assert actual == expected, f"{method}: parameter {expected.name!r}"
    assert actual_return == expected_return


def test_from_env_is_a_classmethod() -> None:
    assert isinstance(inspect.getattr_static(SecretsAdapter, "from_env"), classmethod)


ASYNC_METHODS = {
    "get",
    "get_secret",
    "get_secret_value",
    "get_many",
    "preload",
    "list_secrets",
    "describe_secret",
    "put_secret",
    "delete_secret",
    "restore_secret",
    "configure_rotation",
    "rotate_secret",
}


@pytest.mark.parametrize("method", sorted(ASYNC_METHODS))
def test_the_async_face_mirrors_each_method_awaited(method: str) -> None:
    """Same parameters as the synchronous method, the same result once awaited."""
    sync = inspect.signature(getattr(SecretsAdapter, method))
    awaited = getattr(AsyncSecretsAdapter, method)
    assert inspect.iscoroutinefunction(awaited), method
    assert inspect.signature(awaited) == sync


def test_the_async_face_takes_the_sync_arguments_and_a_pool_size() -> None:
    sync = list(inspect.signature(SecretsAdapter.__init__).parameters.values())
    awaited = list(inspect.signature(AsyncSecretsAdapter.__init__).parameters.values())
    assert awaited[:-1] == sync
    assert (awaited[-1].name, awaited[-1].default) == ("max_workers", 8)
    assert isinstance(inspect.getattr_static(AsyncSecretsAdapter, "from_env"), classmethod)
    assert inspect.iscoroutinefunction(AsyncSecretsAdapter.aclose)
    assert inspect.iscoroutinefunction(AsyncSecretsAdapter.invalidate) is False
