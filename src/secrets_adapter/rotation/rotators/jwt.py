"""The ``jwt`` rotator: a signing key set with ``kid``s, rotated without logging anyone out.

The secret holds a JSON key set::

    {"keys": [{"kid": "...", "alg": "HS256", "key": "...", "created_at": "...",
               "verify_until": null}, ...]}

The active key is the newest one without ``verify_until``; it signs. A rotation adds a new active
key and gives the old one ``verify_until = now + grace``: tokens it signed keep verifying until
then (option ``grace``, default 30d — set it to your refresh-token lifetime), after which the
verifier (``rotation.jwt_verifier``) refuses them and the next rotation drops the key. Options:
``algorithm`` (HS256 default, HS384, HS512, ES256, RS256, EdDSA) and ``grace``.

Key generation uses ``cryptography`` only; PyJWT (the ``jwt`` extra) is needed to test a new key
set and in the verifier.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from secrets_adapter.errors import ConfigurationError, SecretFormatError
from secrets_adapter.models import SecretValue
from secrets_adapter.rotation.rotator import RotationContext
from secrets_adapter.rotation.schedule import parse_interval

__all__ = [
    "ALGORITHMS",
    "DEFAULT_GRACE",
    "JwtKey",
    "JwtKeySet",
    "JwtRotator",
    "new_key",
]

DEFAULT_GRACE = timedelta(days=30)
HMAC_ALGORITHMS = {"HS256": 32, "HS384": 48, "HS512": 64}
ALGORITHMS = (*HMAC_ALGORITHMS, "ES256", "RS256", "EdDSA")


@dataclass(frozen=True, slots=True, kw_only=True)
class JwtKey:
    """One signing key; ``key`` is the HMAC secret (base64url) or a PKCS#8 PEM private key."""

    kid: str
    alg: str
    key: str
    created_at: datetime
    verify_until: datetime | None = None

    def __repr__(self) -> str:
        return f"JwtKey(kid={self.kid!r}, alg={self.alg!r}, verify_until={self.verify_until!r})"

    @property
    def active(self) -> bool:
        return self.verify_until is None

    def verifies_at(self, now: datetime) -> bool:
        """True while tokens signed by this key are accepted."""
        return self.verify_until is None or now < self.verify_until

    def signing_key(self) -> Any:
        """What PyJWT signs with: bytes for HMAC, a private key object otherwise."""
        if self.alg in HMAC_ALGORITHMS:
            return base64.urlsafe_b64decode(self.key.encode())
        return serialization.load_pem_private_key(self.key.encode(), password=None)

    def verification_key(self) -> Any:
        """What PyJWT verifies with: bytes for HMAC, the public key otherwise."""
        if self.alg in HMAC_ALGORITHMS:
            return self.signing_key()
        return self.signing_key().public_key()

    def to_json(self) -> dict[str, str | None]:
        return {
            "kid": self.kid,
            "alg": self.alg,
            "key": self.key,
            "created_at": self.created_at.isoformat(),
            "verify_until": self.verify_until.isoformat() if self.verify_until else None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class JwtKeySet:
    """The keys of one secret, oldest first."""

    keys: tuple[JwtKey, ...] = ()

    def __repr__(self) -> str:
        return f"JwtKeySet(kids={[key.kid for key in self.keys]!r})"

    @classmethod
    def from_value(cls, value: SecretValue) -> JwtKeySet:
        """Parse a key set; errors never carry the value.

        A plain string (what a ``.env`` file held before migration: the HS256 secret itself) is
        a one-key set with kid ``legacy``: tokens it signed keep verifying through the first
        rotation's grace window instead of logging everyone out.
        """
        if value.is_binary or not value.reveal_text().lstrip().startswith("{"):
            return cls(keys=(_legacy_key(value),))
        data = value.json()
        try:
            return cls(keys=tuple(_key_from_json(item) for item in data["keys"]))
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # a parser's error may quote a field: raise outside the ``except``
        del data  # frames: the parsed keys; an error reporter prints this frame's locals
        raise SecretFormatError("The secret is not a JWT key set.")

    def to_value(self) -> SecretValue:
        return SecretValue(json.dumps({"keys": [key.to_json() for key in self.keys]}))

    @property
    def active(self) -> JwtKey:
        for key in reversed(self.keys):
            if key.active:
                return key
        raise SecretFormatError("The JWT key set has no active signing key.")

    def by_kid(self) -> Mapping[str, JwtKey]:
        return {key.kid: key for key in self.keys}

    def rotated(self, new: JwtKey, *, now: datetime, grace: timedelta) -> JwtKeySet:
        """Add ``new`` as the active key; old active keys verify for ``grace``; drop expired."""
        kept = []
        for key in self.keys:
            retired = replace(key, verify_until=now + grace) if key.active else key
            if retired.verifies_at(now):
                kept.append(retired)
        return JwtKeySet(keys=(*kept, new))


LEGACY_KID = "legacy"


def _legacy_key(value: SecretValue) -> JwtKey:
    """The pre-migration HS256 secret as a key: PyJWT signed with its UTF-8 bytes."""
    return JwtKey(
        kid=LEGACY_KID,
        alg="HS256",
        key=base64.urlsafe_b64encode(value.reveal_bytes()).decode(),
        created_at=datetime(1970, 1, 1, tzinfo=UTC),
    )


def _key_from_json(item: Mapping[str, Any]) -> JwtKey:
    until = item.get("verify_until")
    return JwtKey(
        kid=str(item["kid"]),
        alg=str(item["alg"]),
        key=str(item["key"]),
        created_at=datetime.fromisoformat(item["created_at"]),
        verify_until=datetime.fromisoformat(until) if until else None,
    )


def new_key(algorithm: str, *, now: datetime) -> JwtKey:
    """A fresh signing key with a random ``kid``."""
    if algorithm in HMAC_ALGORITHMS:
        material = base64.urlsafe_b64encode(secrets.token_bytes(HMAC_ALGORITHMS[algorithm]))
        key = material.decode()
    else:
        private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
        if algorithm == "ES256":
            private = ec.generate_private_key(ec.SECP256R1())
        elif algorithm == "RS256":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif algorithm == "EdDSA":
            private = ed25519.Ed25519PrivateKey.generate()
        else:
            raise ConfigurationError(
                f"Unknown JWT algorithm {algorithm!r}; use one of {', '.join(ALGORITHMS)}."
            )
        key = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
    return JwtKey(kid=uuid.uuid4().hex[:16], alg=algorithm, key=key, created_at=now)


def _current_keys(context: RotationContext) -> JwtKeySet:
    """The current key set; a value that is not one yet (a placeholder) counts as empty."""
    try:
        return JwtKeySet.from_value(context.current.value)
    except SecretFormatError:
        return JwtKeySet()


class JwtRotator:
    """Adds a new active signing key; the previous one verifies during the grace window."""

    name = "jwt"

    def create(self, context: RotationContext) -> SecretValue:
        algorithm = context.option("algorithm", "HS256")
        if algorithm not in ALGORITHMS:
            raise ConfigurationError(
                f"Unknown JWT algorithm {algorithm!r} for secret {context.name!r}; use one of "
                f"{', '.join(ALGORITHMS)}.",
                secret_name=context.name,
            )
        grace = parse_interval(context.option("grace", "30d"))
        keys = _current_keys(context)
        return keys.rotated(
            new_key(algorithm, now=context.now), now=context.now, grace=grace
        ).to_value()

    def set(self, context: RotationContext, pending: SecretValue) -> None:
        """Applications load the key set from the secret: nothing to apply."""

    def test(self, context: RotationContext, pending: SecretValue) -> None:
        """Sign and verify a probe token with the new active key (PyJWT, algorithm pinned)."""
        try:
            import jwt
        except ImportError:
            raise ConfigurationError(
                "Testing a JWT key set needs PyJWT: pip install 'secrets-adapter[jwt]'."
            ) from None
        active = JwtKeySet.from_value(pending).active
        probe = jwt.encode(
            {"probe": context.token},
            active.signing_key(),
            algorithm=active.alg,
            headers={"kid": active.kid},
        )
        claims = jwt.decode(probe, active.verification_key(), algorithms=[active.alg])
        if claims.get("probe") != context.token:
            raise SecretFormatError(
                f"The new JWT key of secret {context.name!r} failed its sign/verify probe.",
                secret_name=context.name,
            )
