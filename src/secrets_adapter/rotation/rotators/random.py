"""The ``random`` rotator: a fresh random string of a configured length and alphabet.

For values this package may invent: webhook secrets, internal tokens, HMAC keys. It runs only
where ``rotation configure --rotator random`` chose it (never a default: a key a third party
issued cannot be replaced by a random string), and for data-encryption keys ``keyring`` is the
rotator that keeps old data readable. Options (tags):
``length`` (default 40) and ``alphabet`` (``urlsafe`` default, ``alphanumeric``, ``hex``,
``digits``, or the literal characters to draw from); or ``bytes=N`` for the URL-safe base64 of N
random bytes (``bytes=32`` is a Fernet key). Nothing to apply; the test checks the shape.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import string

from secrets_adapter.errors import ConfigurationError, SecretFormatError
from secrets_adapter.models import SecretValue, json_object
from secrets_adapter.rotation.rotator import RotationContext

__all__ = ["ALPHABETS", "RandomRotator", "random_value"]

ALPHABETS = {
    "urlsafe": string.ascii_letters + string.digits + "-_",
    "alphanumeric": string.ascii_letters + string.digits,
    "hex": "0123456789abcdef",
    "digits": string.digits,
}
DEFAULT_LENGTH = 40
MIN_LENGTH = 16
MAX_LENGTH = 4096


def _alphabet(context: RotationContext) -> str:
    raw = context.option("alphabet", "urlsafe")
    chars = ALPHABETS.get(raw, raw)
    if len(set(chars)) < 2:
        raise ConfigurationError(
            f"The alphabet of secret {context.name!r} needs at least two distinct characters.",
            secret_name=context.name,
        )
    return "".join(sorted(set(chars)))


def random_value(context: RotationContext) -> SecretValue:
    """A new value following the options in ``context`` (see the module docstring)."""
    n_bytes = context.int_option("bytes", 0)
    if n_bytes:
        if not MIN_LENGTH <= n_bytes <= MAX_LENGTH:
            raise ConfigurationError(
                f"Option bytes of secret {context.name!r} must be {MIN_LENGTH}-{MAX_LENGTH}.",
                secret_name=context.name,
            )
        return SecretValue(base64.urlsafe_b64encode(secrets.token_bytes(n_bytes)).decode())
    length = context.int_option("length", DEFAULT_LENGTH)
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ConfigurationError(
            f"Option length of secret {context.name!r} must be {MIN_LENGTH}-{MAX_LENGTH}.",
            secret_name=context.name,
        )
    chars = _alphabet(context)
    return SecretValue("".join(secrets.choice(chars) for _ in range(length)))


class RandomRotator:
    """New random value; nothing to apply; the test checks length and alphabet."""

    name = "random"

    def create(self, context: RotationContext) -> SecretValue:
        if context.current.value.reveal_bytes().lstrip()[:1] == b"{":
            raise ConfigurationError(
                f"Secret {context.name!r} holds a JSON object; a random string would replace all "
                "of it. Configure the rotator that fits it (e.g. --rotator postgres).",
                secret_name=context.name,
            )
        return random_value(context)

    def set(self, context: RotationContext, pending: SecretValue) -> None:
        """A random value is used by whoever reads it: nothing to apply."""

    def test(self, context: RotationContext, pending: SecretValue) -> None:
        """The value has the configured shape (length and alphabet, or exactly N bytes of
        base64url), differs from the current one, and — when the current value is a key (base64
        of 16-64 bytes) — is a key of the same size, so a key never becomes a plain string."""
        name = context.name
        text = pending.reveal_text()
        n_bytes = context.int_option("bytes", 0)
        problems: list[str] = []
        if n_bytes:
            if _key_size(text) != n_bytes:
                problems.append(f"it is not base64url of {n_bytes} bytes")
        else:
            length = context.int_option("length", DEFAULT_LENGTH)
            if len(text) != length or not set(text) <= set(_alphabet(context)):
                problems.append(f"it is not {length} characters of the configured alphabet")
        if json_object(context.current.value) is not None:
            problems.append("the current value is a JSON object and this is a plain string")
        current_size = _key_size(context.current.value.reveal_text())
        if current_size in KEY_SIZES and _key_size(text) != current_size:
            problems.append(
                f"the current value is a key (base64 of {current_size} bytes) and this is not; "
                f"configure --bytes {current_size}, or --rotator keyring for encryption keys"
            )
        if pending == context.current.value:
            problems.append("it equals the current value")
        if problems:
            raise SecretFormatError(
                f"The new value of secret {name!r} is not usable: {'; '.join(problems)}.",
                secret_name=name,
            )


KEY_SIZES = (16, 24, 32, 48, 64)


def _key_size(text: str) -> int | None:
    """How many bytes ``text`` is the standard or URL-safe base64 of (padded), or None."""
    if len(text) % 4:
        return None
    try:
        return len(base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True))
    except (binascii.Error, ValueError):
        return None
