"""Sign and verify application JWTs with a rotated key set (PyJWT, the ``jwt`` extra).

``JwtVerifier`` is what an application puts in front of its token checks:

- the algorithm is pinned per key (the key set says which one each ``kid`` uses), so a token
  cannot choose its own algorithm, and ``alg: none`` is always refused;
- a token signed by a retired key verifies until that key's ``verify_until`` (the grace window),
  measured on an injected clock, then is refused;
- the pending key (published one rotation ahead) verifies too, so a token a peer signs right
  after it rotated never meets an unknown ``kid``;
- an unknown ``kid`` reloads the key set, at most once per ``reload_interval`` (1 s), so a
  flood of forged kids cannot hammer the secret store — this also covers the first rotation of a
  migrated key, which had no key published ahead; the set is also reloaded when older than
  ``max_age`` so that retirements are seen (keep ``max_age`` below the rotation interval);
- a token with no ``kid`` (signed before migration, by an app that knew one key) is checked
  against the ``legacy`` key while it is in the set.

``load`` returns the key set: ``adapter.jwt_keys(name, refresh=True)``, or a ``SecretValue``
holding one; ``peek`` (optional) the cached set, which
an unknown kid between reloads consults — so a rotation done by this very process is seen at
once, with no backend call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from secrets_adapter.clock import MonotonicClock, WallClock, monotonic, utcnow
from secrets_adapter.errors import ConfigurationError
from secrets_adapter.models import SecretValue
from secrets_adapter.rotation.rotators.jwt import LEGACY_KID, JwtKey, JwtKeySet

try:
    import jwt
except ImportError:  # pragma: no cover - exercised only without the extra
    raise ConfigurationError(
        "The JWT verifier needs PyJWT: pip install 'secrets-adapter[jwt]'."
    ) from None

__all__ = ["JwtVerifier", "TokenRejectedError", "sign_token"]


class TokenRejectedError(jwt.InvalidTokenError):
    """The token's header asks for something the key set does not allow (never echoes it)."""


def sign_token(
    keys: JwtKeySet, claims: Mapping[str, Any], *, headers: Mapping[str, Any] | None = None
) -> str:
    """A JWT signed by the active key, with its ``kid`` in the header."""
    active = keys.active
    return jwt.encode(
        dict(claims),
        active.signing_key(),
        algorithm=active.alg,
        headers={**(headers or {}), "kid": active.kid},
    )


class JwtVerifier:
    """Verifies tokens against the key set ``load()`` returns (``adapter.jwt_keys(name,
    refresh=True)``); ``adapter.jwt_verifier(name)`` builds one."""

    def __init__(
        self,
        load: Callable[[], SecretValue | JwtKeySet],
        *,
        audience: str | None = None,
        issuer: str | None = None,
        leeway: timedelta = timedelta(0),
        reload_interval: timedelta = timedelta(seconds=1),
        max_age: timedelta = timedelta(minutes=5),
        clock: WallClock = utcnow,
        monotonic_clock: MonotonicClock = monotonic,
        peek: Callable[[], SecretValue | JwtKeySet] | None = None,
    ) -> None:
        self._load = load
        self._peek = peek
        self._audience = audience
        self._issuer = issuer
        self._leeway = leeway
        self._reload_interval = reload_interval.total_seconds()
        self._max_age = max_age.total_seconds()
        self._clock = clock
        self._monotonic = monotonic_clock
        self._lock = threading.Lock()
        self._keys: Mapping[str, JwtKey] = {}
        self._loaded_at: float | None = None
        self.loads = 0

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or a ``jwt.InvalidTokenError`` saying why it was refused."""
        key = self.key_for_header(jwt.get_unverified_header(token))
        claims: dict[str, Any] = jwt.decode(
            token,
            key.verification_key(),
            algorithms=[key.alg],
            audience=self._audience,
            issuer=self._issuer,
            leeway=self._leeway,
        )
        return claims

    def key_for_header(self, header: Mapping[str, Any]) -> JwtKey:
        """The key that may verify a token with this (unverified) header, or
        ``TokenRejectedError``: what a library's key loader (Flask-JWT-Extended's
        ``decode_key_loader``) calls before it checks the signature itself."""
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg.lower() == "none":
            raise TokenRejectedError("Unsigned tokens (alg none) are refused.")
        if kid is None:
            kid = LEGACY_KID  # made before migration, with the one key the app had
        if not isinstance(kid, str) or not kid:
            raise TokenRejectedError("The token has no key id (kid).")
        key = self._key(kid)
        if key is None:
            raise TokenRejectedError("The token's key id is not in the key set.")
        if alg != key.alg:
            raise TokenRejectedError("The token's algorithm is not the one pinned for its key.")
        if not key.verifies_at(self._clock()):
            raise TokenRejectedError("The token's signing key was retired and its grace ended.")
        return key

    def _key(self, kid: str) -> JwtKey | None:
        with self._lock:
            now = self._monotonic()
            stale = self._loaded_at is None or now - self._loaded_at >= self._max_age
            may_reload = self._loaded_at is None or now - self._loaded_at >= self._reload_interval
            if stale or (kid not in self._keys and may_reload):
                self._keys = _parsed(self._load()).by_kid()
                self._loaded_at = now
                self.loads += 1
            elif kid not in self._keys and self._peek is not None:
                # Between reloads, the cached set (no backend call) may already be newer: this
                # process rotated, and the rotation refreshed its cache.
                peeked = _parsed(self._peek()).by_kid()
                if kid in peeked:
                    self._keys = peeked
            return self._keys.get(kid)


def _parsed(loaded: SecretValue | JwtKeySet) -> JwtKeySet:
    return JwtKeySet.from_value(loaded) if isinstance(loaded, SecretValue) else loaded
