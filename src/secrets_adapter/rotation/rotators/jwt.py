"""The ``jwt`` rotator: a signing key set with ``kid``s, rotated without logging anyone out.

The secret holds a JSON key set::

    {"format": "secrets-adapter/jwt-keys",
     "keys": [{"kid": "...", "alg": "HS256", "key": "...", "created_at": "...",
               "verify_until": null, "pending": false}, ...]}

Three kinds of key live in a set: the **current** key (the newest one neither pending nor
retiring) signs; **previous** keys (with ``verify_until``) keep verifying tokens they signed
until then (option ``grace``, default 30d — set it to your refresh-token lifetime); the
**pending** key is published one rotation ahead and verifies but never signs. A rotation promotes
the pending key to current, so every verifier that loaded the set since the last rotation already
knows the kid its peers start signing with: across a fleet no valid token meets an unknown kid.

An HMAC key is text (``key`` holds the base64url of its UTF-8 bytes): ``get_secret_value`` hands
an app the current key as the plain string it had in ``.env`` (``current_secret_text``). A plain
string value is a one-key set with kid ``legacy``. Options: ``algorithm`` (HS256 default, HS384,
HS512, ES256, RS256, EdDSA) and ``grace``. Key generation uses ``cryptography`` only; PyJWT (the
``jwt`` extra) is needed to test a new key set and in the verifier.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import uuid
from collections.abc import Callable, Mapping
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
    "JWT_FORMAT",
    "LEGACY_KID",
    "JwtKey",
    "JwtKeySet",
    "JwtRotator",
    "check_rotated_key_set",
    "new_key",
]

JWT_FORMAT = "secrets-adapter/jwt-keys"
DEFAULT_GRACE = timedelta(days=30)
HMAC_ALGORITHMS = {"HS256": 32, "HS384": 48, "HS512": 64}
ALGORITHMS = (*HMAC_ALGORITHMS, "ES256", "RS256", "EdDSA")
LEGACY_KID = "legacy"


@dataclass(frozen=True, slots=True, kw_only=True)
class JwtKey:
    """One signing key; ``key`` is the HMAC secret (base64url) or a PKCS#8 PEM private key."""

    kid: str
    alg: str
    key: str
    created_at: datetime
    verify_until: datetime | None = None
    pending: bool = False

    def __repr__(self) -> str:
        return (
            f"JwtKey(kid={self.kid!r}, alg={self.alg!r}, pending={self.pending!r}, "
            f"verify_until={self.verify_until!r})"
        )

    @property
    def active(self) -> bool:
        """May sign: neither published ahead (pending) nor retiring."""
        return self.verify_until is None and not self.pending

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

    def secret_text(self) -> str:
        """The key as an app configures it: the HMAC secret string, or the PEM private key."""
        if self.alg not in HMAC_ALGORITHMS:
            return self.key
        try:
            return bytes(self.signing_key()).decode("utf-8")
        except UnicodeDecodeError:
            raise SecretFormatError(
                f"JWT key {self.kid!r} is binary, not a text secret an app can be given; "
                "rotate the secret to get a text key."
            ) from None

    def verification_text(self) -> str:
        """What a library verifies with, as text: the HMAC secret, or the public key PEM."""
        if self.alg in HMAC_ALGORITHMS:
            return self.secret_text()
        public = self.verification_key()
        pem: bytes = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem.decode()

    def to_json(self) -> dict[str, str | bool | None]:
        return {
            "kid": self.kid,
            "alg": self.alg,
            "key": self.key,
            "created_at": self.created_at.isoformat(),
            "verify_until": self.verify_until.isoformat() if self.verify_until else None,
            "pending": self.pending,
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
        keys = [key.to_json() for key in self.keys]
        return SecretValue(json.dumps({"format": JWT_FORMAT, "keys": keys}))

    @property
    def active(self) -> JwtKey:
        """The current key: the one that signs."""
        for key in reversed(self.keys):
            if key.active:
                return key
        raise SecretFormatError("The JWT key set has no active signing key.")

    @property
    def current(self) -> JwtKey:
        return self.active

    @property
    def pending(self) -> JwtKey | None:
        """The key published ahead: it signs after the next rotation."""
        return next((key for key in reversed(self.keys) if key.pending), None)

    def by_kid(self) -> Mapping[str, JwtKey]:
        return {key.kid: key for key in self.keys}

    def rotated(
        self, *, now: datetime, grace: timedelta, make_key: Callable[[datetime], JwtKey]
    ) -> JwtKeySet:
        """The pending key (else a new one) becomes current; the old current verifies for
        ``grace``; keys past their grace are dropped; a new pending key is published.

        ``make_key(now)`` makes a fresh key.
        """
        promoted = self.pending
        kept: list[JwtKey] = []
        for key in self.keys:
            if key is promoted:
                continue
            retired = replace(key, verify_until=now + grace) if key.active else key
            if retired.verifies_at(now):
                kept.append(retired)
        current = replace(promoted, pending=False) if promoted else make_key(now)
        upcoming = replace(make_key(now), pending=True)
        return JwtKeySet(keys=(*kept, current, upcoming))


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
        pending=bool(item.get("pending", False)),
    )


def new_key(algorithm: str, *, now: datetime) -> JwtKey:
    """A fresh signing key with a random ``kid``; an HMAC key is URL-safe text."""
    if algorithm in HMAC_ALGORITHMS:
        text = secrets.token_urlsafe(HMAC_ALGORITHMS[algorithm])
        key = base64.urlsafe_b64encode(text.encode()).decode()
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


def _usable(key: JwtKey) -> bool:
    """The key material loads for its algorithm."""
    if key.alg not in ALGORITHMS:
        return False
    try:
        return bool(key.verification_key())
    except (ValueError, TypeError, binascii.Error):
        return False


def _signs_as_text(key: JwtKey) -> bool:
    """A new signing key must be something ``get_secret_value`` can hand an app: HMAC text at
    least as long as the algorithm's hash, or a PEM key."""
    if key.alg not in HMAC_ALGORITHMS:
        return True
    try:
        return len(key.secret_text()) >= HMAC_ALGORITHMS[key.alg]
    except (SecretFormatError, ValueError, binascii.Error):
        return False


def check_rotated_key_set(old: JwtKeySet, new: JwtKeySet, *, now: datetime, name: str) -> None:
    """The shape an app relies on after a rotation, or ``SecretFormatError`` saying what is off.

    Every key loads; kids are unique; exactly one key signs and it is new; a key is published
    pending; the key that signed until now still verifies (no token it signed is refused).
    """
    problems: list[str] = []
    kids = [key.kid for key in new.keys]
    if len(set(kids)) != len(kids):
        problems.append("two keys share a kid")
    if not all(_usable(key) for key in new.keys):
        problems.append("a key does not load for its algorithm")
    signers = [key for key in new.keys if key.active]
    if len(signers) != 1:
        problems.append(f"{len(signers)} keys can sign (must be exactly 1)")
    elif not _signs_as_text(signers[0]):
        problems.append("the signing key is not text of its algorithm's length")
    if new.pending is None:
        problems.append("no key is published pending for the next rotation")
    try:
        old_signer: JwtKey | None = old.active
    except SecretFormatError:
        old_signer = None
    if old_signer is not None:
        kept = new.by_kid().get(old_signer.kid)
        if kept is None or not kept.verifies_at(now):
            problems.append("the key that signed until now no longer verifies")
        if signers and signers[0].kid == old_signer.kid:
            problems.append("the signing key did not change")
    if problems:
        raise SecretFormatError(
            f"The new JWT key set of secret {name!r} is not usable: {'; '.join(problems)}.",
            secret_name=name,
        )


class JwtRotator:
    """Promotes the pending key to current and publishes a new pending key; the old current
    verifies during the grace window."""

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
            now=context.now,
            grace=grace,
            make_key=lambda now: new_key(algorithm, now=now),
        ).to_value()

    def set(self, context: RotationContext, pending: SecretValue) -> None:
        """Applications load the key set from the secret: nothing to apply."""

    def test(self, context: RotationContext, pending: SecretValue) -> None:
        """Check the set's shape, then sign and verify a probe token with the new signing key
        and with the pending key (PyJWT, algorithm pinned)."""
        try:
            import jwt
        except ImportError:
            raise ConfigurationError(
                "Testing a JWT key set needs PyJWT: pip install 'secrets-adapter[jwt]'."
            ) from None
        try:
            new = JwtKeySet.from_value(pending)
        except SecretFormatError:
            new = JwtKeySet()
        if new.keys == () or not pending.reveal_text().lstrip().startswith("{"):
            raise SecretFormatError(
                f"The new value of secret {context.name!r} is not a JWT key set.",
                secret_name=context.name,
            )
        check_rotated_key_set(_current_keys(context), new, now=context.now, name=context.name)
        for key in (new.active, new.pending):
            if key is None:
                continue
            probe = jwt.encode(
                {"probe": context.token},
                key.signing_key(),
                algorithm=key.alg,
                headers={"kid": key.kid},
            )
            claims = jwt.decode(probe, key.verification_key(), algorithms=[key.alg])
            if claims.get("probe") != context.token:
                raise SecretFormatError(
                    f"The new JWT key of secret {context.name!r} failed its sign/verify probe.",
                    secret_name=context.name,
                )
