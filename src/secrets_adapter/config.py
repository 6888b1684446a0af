"""Settings as frozen dataclasses and ``load_settings(environ)`` — pure, no I/O.

Environment variables (names kept compatible with the design the project comes from):
``ENVIRONMENT`` (development | staging | production), ``SECRETS_BACKEND`` (local | env | aws |
vault), ``SECRETS_MANAGER_PREFIX``, ``SECRETS_ADAPTER_PATH``, ``SECRETS_ADAPTER_MASTER_KEY``,
``SECRETS_ADAPTER_MASTER_KEY_FILE``, ``SECRETS_ADAPTER_GENERATION_FILE``,
``SECRETS_ADAPTER_ENV_FILE``, ``SECRETS_ADAPTER_CACHE_TTL``,
``SECRETS_ADAPTER_MAX_STALE``, ``SECRETS_ADAPTER_MIN_REFRESH_INTERVAL`` (seconds),
``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL``,
``AWS_RETRY_MODE`` (standard | adaptive), ``SECRETS_ADAPTER_KMS_KEY_ID``,
``SECRETS_ADAPTER_ROTATION_LAMBDA_ARN``, ``VAULT_ADDR``, ``VAULT_TOKEN``, ``VAULT_NAMESPACE``,
``VAULT_MOUNT``, ``VAULT_AUTH_METHOD`` (token | approle | kubernetes), ``VAULT_ROLE_ID``,
``VAULT_SECRET_ID_FILE``, ``VAULT_KUBERNETES_ROLE``, ``VAULT_KUBERNETES_JWT_PATH``,
``VAULT_ADDRESSES`` (comma-separated fail-over nodes); audit and policy:
``SECRETS_ADAPTER_PRINCIPAL``, ``SECRETS_ADAPTER_AUDIT_LOG``,
``SECRETS_ADAPTER_AUDIT_MODE`` (durable | buffered), ``SECRETS_ADAPTER_AUDIT_FAIL_OPEN``
(development only), ``SECRETS_ADAPTER_POLICY``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from secrets_adapter.errors import ConfigurationError
from secrets_adapter.models import SecretValue

__all__ = [
    "BACKENDS",
    "BACKEND_ARGUMENTS",
    "AuditSettings",
    "AwsSettings",
    "CacheSettings",
    "EnvSettings",
    "LocalSettings",
    "Settings",
    "VaultSettings",
    "backend_for_arguments",
    "load_local_settings",
    "load_settings",
]

BACKENDS = ("local", "env", "aws", "vault")
ENVIRONMENTS = ("development", "test", "staging", "production")
KUBERNETES_JWT_PATH = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheSettings:
    """The in-process cache (see ``secrets_adapter.cache``)."""

    enabled: bool = True
    ttl: timedelta = timedelta(minutes=5)
    max_stale: timedelta = timedelta(hours=1)
    refresh_ahead: float = 0.1
    max_entries: int = 1024
    # How long a reader holding an expired value waits for the backend before being served it.
    stale_wait: timedelta = timedelta(milliseconds=100)
    # A forced refresh (``refresh=True``) of a value younger than this returns that value.
    min_refresh_interval: timedelta = timedelta(seconds=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalSettings:
    """The embedded encrypted store."""

    path: Path = Path(".secrets")
    master_key: SecretValue | None = None  # base64 of 32 bytes
    master_key_file: Path | None = None
    passphrase: SecretValue | None = None
    max_versions: int = 100
    # Where the store's write counter is recorded outside it, to detect a rolled-back copy.
    generation_file: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvSettings:
    """The process environment plus a .env file, read-only."""

    env_file: Path | None = Path(".env")
    prefix: str = ""
    include_environ: bool = True
    interpolate: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AwsSettings:
    """AWS Secrets Manager + KMS; credentials come from boto3's standard chain."""

    region: str | None = None
    endpoint_url: str | None = None
    prefix: str = ""
    kms_key_id: str | None = None
    profile: str | None = None
    connect_timeout: float = 2.0
    read_timeout: float = 5.0
    max_attempts: int = 3
    retry_mode: str = "standard"  # or "adaptive" (client-side rate limiting)
    rotation_lambda_arn: str | None = None  # turns on managed rotation when rotation is configured


@dataclass(frozen=True, slots=True, kw_only=True)
class VaultSettings:
    """HashiCorp Vault / OpenBao KV v2 + Transit."""

    url: str = "http://127.0.0.1:8200"
    token: SecretValue | None = None
    namespace: str | None = None
    mount: str = "secret"
    prefix: str = ""
    auth_method: str = "token"  # token | approle | kubernetes
    role_id: str | None = None
    secret_id_file: Path | None = None
    kubernetes_role: str | None = None
    kubernetes_jwt_path: Path = KUBERNETES_JWT_PATH
    verify: bool | str = True
    timeout: float = 5.0
    transit_mount: str = "transit"
    addresses: tuple[str, ...] = ()  # more nodes of the same cluster, tried when ``url`` fails
    auth_mount: str | None = None  # where the approle/kubernetes auth method is mounted
    path_root: str = ""  # a folder under the mount holding every (already prefixed) name


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditSettings:
    """Who the app is, where its accesses are recorded, and the policy it is held to."""

    principal: str = "app"
    log: Path | None = None
    mode: str = "durable"  # durable | buffered
    fail_open: bool = False  # refused in production
    policy: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything ``SecretsAdapter`` needs; build with ``load_settings`` or by hand."""

    backend: str = "local"
    environment: str = "development"
    prefix: str = ""
    local: LocalSettings = field(default_factory=LocalSettings)
    env: EnvSettings = field(default_factory=EnvSettings)
    aws: AwsSettings = field(default_factory=AwsSettings)
    vault: VaultSettings = field(default_factory=VaultSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


BACKEND_ARGUMENTS: Mapping[str, frozenset[str]] = {
    "local": frozenset({"path", "master_key"}),
    "env": frozenset({"env_file"}),
    "aws": frozenset({"region", "endpoint_url", "kms_key_id"}),
    "vault": frozenset({"url", "token", "mount", "namespace"}),
}
"""The constructor arguments each backend uses; giving one to another backend is an error."""


def backend_for_arguments(backend: str | None, given: Mapping[str, object]) -> str | None:
    """The backend the given arguments choose, checked against an explicit ``backend``.

    With no ``backend``, arguments of one backend choose it (``region=`` → aws, ``url=`` or
    ``token=`` → vault, as the design's ``SecretsAdapter(region='us-east-1')`` expects); None
    when they choose nothing. An argument the chosen backend does not use is a
    ``ConfigurationError`` naming it, never silently ignored.
    """
    named = sorted(key for key, value in given.items() if value is not None)
    owners = {owner for key in named for owner, keys in BACKEND_ARGUMENTS.items() if key in keys}
    if backend is None:
        if len(owners) > 1:
            listed = ", ".join(
                f"{key}= ({owner})"
                for key in named
                for owner, keys in BACKEND_ARGUMENTS.items()
                if key in keys
            )
            raise ConfigurationError(
                f"Arguments of different backends were given: {listed}; pass backend= and "
                "only that backend's arguments."
            )
        return owners.pop() if owners else None
    unused = [key for key in named if key not in BACKEND_ARGUMENTS.get(backend, frozenset())]
    if unused:
        shown = ", ".join(f"{key}=" for key in unused)
        uses = ", ".join(f"{key}=" for key in sorted(BACKEND_ARGUMENTS.get(backend, ()))) or (
            "none of them"
        )
        raise ConfigurationError(
            f"The {backend} backend does not use {shown} (it takes {uses}); remove "
            f"{'it' if len(unused) == 1 else 'them'} or choose the backend that uses "
            f"{'it' if len(unused) == 1 else 'them'}."
        )
    return backend


def _secret(environ: Mapping[str, str], key: str) -> SecretValue | None:
    raw = environ.get(key, "")
    return SecretValue(raw) if raw else None


def _path(environ: Mapping[str, str], key: str) -> Path | None:
    raw = environ.get(key, "")
    return Path(raw) if raw else None


def _seconds(environ: Mapping[str, str], key: str, default: timedelta) -> timedelta:
    raw = environ.get(key, "")
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        raise ConfigurationError(f"{key} must be a number of seconds, got {raw!r}.") from None
    if seconds < 0:
        raise ConfigurationError(f"{key} must not be negative, got {raw!r}.")
    return timedelta(seconds=seconds)


def load_local_settings(environ: Mapping[str, str]) -> LocalSettings:
    """The embedded store's settings alone: what ``init`` needs whatever the backend."""
    return LocalSettings(
        path=_path(environ, "SECRETS_ADAPTER_PATH") or Path(".secrets"),
        master_key=_secret(environ, "SECRETS_ADAPTER_MASTER_KEY"),
        master_key_file=_path(environ, "SECRETS_ADAPTER_MASTER_KEY_FILE"),
        passphrase=_secret(environ, "SECRETS_ADAPTER_PASSPHRASE"),
        generation_file=_path(environ, "SECRETS_ADAPTER_GENERATION_FILE"),
    )


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Settings from environment variables. Pure: pass ``os.environ`` or a dict.

    Development defaults to the env provider (the .env file); production never falls back to it
    silently: it needs ``SECRETS_BACKEND`` set explicitly.
    """
    environment = environ.get("ENVIRONMENT", "development").strip().lower() or "development"
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(
            f"ENVIRONMENT={environment!r} is not one of {', '.join(ENVIRONMENTS)}."
        )
    backend = environ.get("SECRETS_BACKEND", "").strip().lower()
    if not backend:
        if environment in ("staging", "production"):
            raise ConfigurationError(
                f"SECRETS_BACKEND is not set and ENVIRONMENT={environment}: set it to one of "
                f"{', '.join(BACKENDS)} (a {environment} app never falls back to .env silently)."
            )
        backend = "env"
    if backend not in BACKENDS:
        raise ConfigurationError(
            f"SECRETS_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}."
        )
    prefix = environ.get("SECRETS_MANAGER_PREFIX", "").strip().strip("/")
    return Settings(
        backend=backend,
        environment=environment,
        prefix=prefix,
        local=load_local_settings(environ),
        env=EnvSettings(
            env_file=_path(environ, "SECRETS_ADAPTER_ENV_FILE") or Path(".env"),
            prefix=prefix,
        ),
        aws=AwsSettings(
            region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None,
            endpoint_url=environ.get("AWS_ENDPOINT_URL") or None,
            prefix=prefix,
            kms_key_id=environ.get("SECRETS_ADAPTER_KMS_KEY_ID") or None,
            profile=environ.get("AWS_PROFILE") or None,
            retry_mode=environ.get("AWS_RETRY_MODE", "").strip().lower() or "standard",
            rotation_lambda_arn=environ.get("SECRETS_ADAPTER_ROTATION_LAMBDA_ARN") or None,
        ),
        vault=VaultSettings(
            url=environ.get("VAULT_ADDR") or "http://127.0.0.1:8200",
            token=_secret(environ, "VAULT_TOKEN"),
            namespace=environ.get("VAULT_NAMESPACE") or None,
            mount=environ.get("VAULT_MOUNT") or "secret",
            prefix=prefix,
            auth_method=environ.get("VAULT_AUTH_METHOD") or "token",
            role_id=environ.get("VAULT_ROLE_ID") or None,
            secret_id_file=_path(environ, "VAULT_SECRET_ID_FILE"),
            kubernetes_role=environ.get("VAULT_KUBERNETES_ROLE") or None,
            kubernetes_jwt_path=_path(environ, "VAULT_KUBERNETES_JWT_PATH") or KUBERNETES_JWT_PATH,
            addresses=tuple(
                a.strip() for a in environ.get("VAULT_ADDRESSES", "").split(",") if a.strip()
            ),
        ),
        cache=CacheSettings(
            ttl=_seconds(environ, "SECRETS_ADAPTER_CACHE_TTL", timedelta(minutes=5)),
            max_stale=_seconds(environ, "SECRETS_ADAPTER_MAX_STALE", timedelta(hours=1)),
            min_refresh_interval=_seconds(
                environ, "SECRETS_ADAPTER_MIN_REFRESH_INTERVAL", timedelta(seconds=1)
            ),
        ),
        audit=AuditSettings(
            principal=environ.get("SECRETS_ADAPTER_PRINCIPAL", "").strip() or "app",
            log=_path(environ, "SECRETS_ADAPTER_AUDIT_LOG"),
            mode=environ.get("SECRETS_ADAPTER_AUDIT_MODE", "").strip().lower() or "durable",
            fail_open=environ.get("SECRETS_ADAPTER_AUDIT_FAIL_OPEN", "").strip().lower()
            in ("1", "true", "yes"),
            policy=_path(environ, "SECRETS_ADAPTER_POLICY"),
        ),
    )
