"""Short keyed fingerprints: how plans and reports show a value without showing it.

``fp:3a9c0e12b7d4`` is an HMAC-SHA256 under a key drawn at random per ``Fingerprinter``: two
values in one report compare equal exactly when their fingerprints do, yet a fingerprint cannot
be brute-forced offline against a list of likely passwords (an unkeyed hash could).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from secrets_adapter.models import SecretValue

__all__ = ["Fingerprinter"]


class Fingerprinter:
    """``fingerprint(value) -> "fp:…"``; comparable within one instance only."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def __call__(self, value: SecretValue) -> str:
        digest = hmac.new(self._key, value.reveal_bytes(), hashlib.sha256).hexdigest()
        kind = "b" if value.is_binary else ""
        return f"fp:{kind}{digest[:12]}"

    def __repr__(self) -> str:
        return "Fingerprinter()"
