"""A Vault/OpenBao session: who we are (token, AppRole, Kubernetes), for how long, and where.

``VaultSession.call(operation)`` runs one hvac call with a valid token on a reachable server:

- the token is renewed when two thirds of its lease have passed (on the injected clock); when a
  renewal grants less than the last one and less than that last third of the login's lease, the
  token is near its max TTL (renewing stops extending it) and the session logs in again;
- a fixed token (``VAULT_TOKEN``) is not looked up before the first call — the first read is one
  request; its lease is looked up once, before the second call, to schedule renewals;
- a 403 (an expired or revoked token) triggers one login and one retry, never a loop (not when
  Vault words it as a policy refusal of a valid token: a new token would fare no better); with a
  fixed token, a 403 is checked with ``lookup-self``: a token Vault no longer accepts raises
  ``TokenRejectedError`` (say "renew the token"), a valid one re-raises the policy refusal;
- a transient failure (connection refused, timeout, 429, 5xx, sealed, no active node) moves on to
  the next configured address, round after round with a short backoff, until ``timeout`` passes.

The raw hvac/requests exception is re-raised; ``providers.vault`` translates it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import hvac
import hvac.exceptions
import requests

from secrets_adapter.clock import MonotonicClock, monotonic
from secrets_adapter.errors import AccessDeniedError, ConfigurationError
from secrets_adapter.models import SecretValue

__all__ = [
    "AppRoleAuth",
    "KubernetesAuth",
    "LoginResult",
    "TokenAuth",
    "TokenRejectedError",
    "VaultAuth",
    "VaultSession",
    "is_transient",
]

T = TypeVar("T")

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    hvac.exceptions.RateLimitExceeded,
    hvac.exceptions.InternalServerError,
    hvac.exceptions.VaultNotInitialized,
    hvac.exceptions.VaultDown,
    hvac.exceptions.BadGateway,
)

_KV_UPGRADING = "unavailable for a brief period"
_POLICY_REFUSAL = "1 error occurred"  # how Vault words a valid token's policy refusal


class TokenRejectedError(hvac.exceptions.Forbidden):
    """Vault refuses the token itself (expired, revoked, mistyped), not a path of its policy."""


def is_transient(exc: BaseException) -> bool:
    """Worth trying again, here or on another address: network, throttling, 5xx, sealed."""
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    if isinstance(exc, hvac.exceptions.InvalidRequest) and _KV_UPGRADING in str(exc):
        return True  # a KV v2 mount on a freshly elected leader, for a moment
    status = getattr(exc, "status_code", None)
    return isinstance(exc, hvac.exceptions.UnexpectedError) and (status or 0) >= 500


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginResult:
    """A token and its lease as the server granted it (lease 0: never expires)."""

    token: SecretValue
    lease_seconds: int
    renewable: bool


class VaultAuth(Protocol):
    """How the session gets a token."""

    @property
    def method(self) -> str: ...

    @property
    def can_login(self) -> bool:
        """False for a fixed token: there is nothing to log in again with."""
        ...

    def login(self, client: hvac.Client) -> LoginResult: ...


def _login_refused(method: str, exc: Exception) -> AccessDeniedError:
    return AccessDeniedError(
        f"Vault refused the {method} login (HTTP {getattr(exc, 'status_code', None) or 'error'}):"
        " check the role and its credential.",
        provider="vault",
    )


def _auth_result(response: Any) -> LoginResult:
    auth = response["auth"]
    return LoginResult(
        token=SecretValue(auth["client_token"]),
        lease_seconds=int(auth.get("lease_duration") or 0),
        renewable=bool(auth.get("renewable")),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenAuth:
    """A token given in settings (``VAULT_TOKEN``); renewed if renewable, never re-obtained."""

    token: SecretValue

    @property
    def method(self) -> str:
        return "token"

    @property
    def can_login(self) -> bool:
        return False

    def login(self, client: hvac.Client) -> LoginResult:
        """No request: the token is used as given (``lookup`` tells its lease, later)."""
        return LoginResult(token=self.token, lease_seconds=0, renewable=False)

    def lookup(self, client: hvac.Client) -> LoginResult:
        """The token's lease as Vault tells it (``lookup-self``)."""
        client.token = self.token.reveal_text()
        try:
            data = client.auth.token.lookup_self()["data"]
        except hvac.exceptions.Forbidden:
            # A token without lookup-self rights still works; it just is not renewed.
            return LoginResult(token=self.token, lease_seconds=0, renewable=False)
        return LoginResult(
            token=self.token,
            lease_seconds=int(data.get("ttl") or 0),
            renewable=bool(data.get("renewable")),
        )


def _read_credential(path: Path, what: str) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot read the Vault {what} file {str(path)!r}: {exc.strerror}."
        ) from None
    if not text:
        raise ConfigurationError(f"The Vault {what} file {str(path)!r} is empty.")
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class AppRoleAuth:
    """AppRole: a role id from settings and a secret id read from a file at every login."""

    role_id: str
    secret_id_file: Path
    mount: str = "approle"

    @property
    def method(self) -> str:
        return "approle"

    @property
    def can_login(self) -> bool:
        return True

    def login(self, client: hvac.Client) -> LoginResult:
        secret_id = _read_credential(self.secret_id_file, "AppRole secret id")
        try:
            response = client.auth.approle.login(
                role_id=self.role_id, secret_id=secret_id, use_token=False, mount_point=self.mount
            )
        except (hvac.exceptions.InvalidRequest, hvac.exceptions.Forbidden) as exc:
            raise _login_refused(self.method, exc) from exc
        return _auth_result(response)


@dataclass(frozen=True, slots=True, kw_only=True)
class KubernetesAuth:
    """Kubernetes: the service-account JWT is re-read at every login (kubelet rotates it)."""

    role: str
    jwt_path: Path
    mount: str = "kubernetes"

    @property
    def method(self) -> str:
        return "kubernetes"

    @property
    def can_login(self) -> bool:
        return True

    def login(self, client: hvac.Client) -> LoginResult:
        jwt = _read_credential(self.jwt_path, "Kubernetes service-account token")
        try:
            response = client.auth.kubernetes.login(
                role=self.role, jwt=jwt, use_token=False, mount_point=self.mount
            )
        except (hvac.exceptions.InvalidRequest, hvac.exceptions.Forbidden) as exc:
            raise _login_refused(self.method, exc) from exc
        return _auth_result(response)


class VaultSession:
    """Token lifecycle and fail-over over one or more hvac clients (one per address)."""

    def __init__(
        self,
        clients: Sequence[hvac.Client],
        auth: VaultAuth,
        *,
        timeout: float = 5.0,
        clock: MonotonicClock = monotonic,
        sleep: Callable[[float], None] = time.sleep,
        renew_fraction: float = 2 / 3,
    ) -> None:
        if not clients:
            raise ConfigurationError("A Vault session needs at least one address.")
        self._clients = list(clients)
        self._auth = auth
        self._timeout = timeout
        self._clock = clock
        self._sleep = sleep
        self._renew_fraction = renew_fraction
        self._lock = threading.RLock()
        self._active = 0
        self._token: SecretValue | None = None
        self._lease = 0
        self._login_lease = 0
        self._renewable = False
        self._renew_at: float | None = None
        self._used = False  # a call succeeded: a fixed token's lease may now be looked up
        self._looked_up = False
        self.logins = 0
        self.renewals = 0

    @property
    def auth_method(self) -> str:
        return self._auth.method

    @property
    def addresses(self) -> list[str]:
        return [str(client.url) for client in self._clients]

    @property
    def active_address(self) -> str:
        return str(self._clients[self._active].url)

    def close(self) -> None:
        """Close each client's HTTP connections."""
        for client in self._clients:
            client.adapter.close()

    def call(self, operation: Callable[[hvac.Client], T]) -> T:
        """Run ``operation`` with a valid token, failing over between addresses until timeout."""
        deadline = self._clock() + self._timeout
        relogged = False
        tried_in_round = 0
        round_number = 0
        while True:
            client = self._clients[self._active]
            try:
                self._ensure_token(client)
                result = operation(client)
                self._used = True
                return result
            except hvac.exceptions.Forbidden as exc:
                if not self._auth.can_login:
                    self._check_fixed_token(client, exc)
                    raise
                if relogged or _POLICY_REFUSAL in str(exc):
                    raise  # a policy refusal: a fresh token would be refused alike
                relogged = True
                with self._lock:
                    self._token = None  # log in again on the next pass, then retry once
            except Exception as exc:
                if not is_transient(exc):
                    raise
                remaining = deadline - self._clock()
                if remaining <= 0:
                    raise
                with self._lock:
                    self._active = (self._active + 1) % len(self._clients)
                tried_in_round += 1
                if tried_in_round >= len(self._clients):
                    tried_in_round = 0
                    round_number += 1
                    self._sleep(min(0.05 * 2**round_number, 1.0, remaining))

    def _ensure_token(self, client: hvac.Client) -> None:
        with self._lock:
            token = self._token
            if token is None:
                token = self._login(client)
            elif isinstance(self._auth, TokenAuth) and self._used and not self._looked_up:
                self._looked_up = True
                self._adopt(self._auth.lookup(client))
            elif self._renew_at is not None and self._clock() >= self._renew_at:
                token = self._renew(client, token)
        client.token = token.reveal_text()

    def _check_fixed_token(self, client: hvac.Client, refusal: Exception) -> None:
        """After a 403 with a fixed token: raise ``TokenRejectedError`` if the token is dead."""
        try:
            client.auth.token.lookup_self()
        except hvac.exceptions.Forbidden as exc:
            if _POLICY_REFUSAL not in str(exc):
                raise TokenRejectedError(str(exc)) from refusal
        except Exception:  # noqa: BLE001 - only a diagnosis: the original refusal is raised
            return

    def _adopt(self, result: LoginResult) -> None:
        self._lease = self._login_lease = result.lease_seconds
        self._renewable = result.renewable
        self._schedule(result.lease_seconds)

    def _login(self, client: hvac.Client) -> SecretValue:
        result = self._auth.login(client)
        self.logins += 1
        self._token = result.token
        self._adopt(result)
        return result.token

    def _schedule(self, lease_seconds: int) -> None:
        renewable = self._renewable or self._auth.can_login
        if lease_seconds > 0 and renewable:
            self._renew_at = self._clock() + lease_seconds * self._renew_fraction
        else:
            self._renew_at = None

    def _renew(self, client: hvac.Client, token: SecretValue) -> SecretValue:
        if not self._renewable:
            return self._login(client)
        client.token = token.reveal_text()
        try:
            response = client.auth.token.renew_self(increment=f"{self._lease}s")
        except hvac.exceptions.Forbidden:
            if not self._auth.can_login:
                raise
            return self._login(client)
        granted = int(response["auth"].get("lease_duration") or 0)
        self.renewals += 1
        grace = self._login_lease * (1 - self._renew_fraction)
        if granted < self._lease and granted < grace and self._auth.can_login:
            # The max TTL caps renewals now: renewing again would not keep the token alive.
            return self._login(client)
        self._lease = granted
        self._schedule(granted)
        return token
