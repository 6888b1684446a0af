"""Access and refresh tokens on the two JWT secrets, each a rotated key set.

Signing always uses the current key; verification accepts the next key (published pending one
rotation ahead, so a token another worker signs right after it rotated is known here) and a
retired key until its grace window ends: a JWT key rotation logs nobody out.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from secrets_adapter import JwtVerifier, SecretsAdapter, sign_token
from secrets_adapter.clock import WallClock, utcnow

ACCESS_KEY_NAME = "jwt-secret-key"
REFRESH_KEY_NAME = "jwt-refresh-secret-key"
ACCESS_LIFETIME = timedelta(minutes=15)
REFRESH_LIFETIME = timedelta(days=30)


class TokenService:
    """Issues and checks the store's tokens; keys are read through the adapter's cache (the
    verifier's reloads force a refresh)."""

    def __init__(self, adapter: SecretsAdapter, *, clock: WallClock = utcnow) -> None:
        self._adapter = adapter
        self._clock = clock
        self._verifiers = {
            "access": self._verifier(ACCESS_KEY_NAME, "access"),
            "refresh": self._verifier(REFRESH_KEY_NAME, "refresh"),
        }

    def _verifier(self, name: str, kind: str) -> JwtVerifier:
        # Loads past the cache (at most one backend call per second): a key rotated by another
        # process (another worker, the CLI) is seen within max_age.
        return self._adapter.jwt_verifier(
            name,
            audience=f"gaara-store-{kind}",
            clock=self._clock,
            reload_interval=timedelta(seconds=1),
            max_age=timedelta(seconds=5),
        )

    def _issue(self, name: str, kind: str, subject: int, lifetime: timedelta) -> str:
        keys = self._adapter.jwt_keys(name)
        now = self._clock()
        claims = {
            "sub": str(subject),
            "aud": f"gaara-store-{kind}",
            "iat": int(now.timestamp()),
            "exp": int((now + lifetime).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return sign_token(keys, claims)

    def issue_pair(self, user_id: int) -> dict[str, str]:
        return {
            "access_token": self._issue(ACCESS_KEY_NAME, "access", user_id, ACCESS_LIFETIME),
            "refresh_token": self._issue(REFRESH_KEY_NAME, "refresh", user_id, REFRESH_LIFETIME),
        }

    def issue_access(self, user_id: int) -> str:
        return self._issue(ACCESS_KEY_NAME, "access", user_id, ACCESS_LIFETIME)

    def verify(self, token: str, kind: str) -> dict[str, Any]:
        """The claims of a valid token; ``jwt.InvalidTokenError`` otherwise."""
        return self._verifiers[kind].verify(token)
