"""The ``random`` rotator: a fresh random string of a configured length and alphabet.

For API keys, webhook secrets and ``ENCRYPTION_KEY``-style keys. Options (tags):
``length`` (default 40) and ``alphabet`` (``urlsafe`` default, ``alphanumeric``, ``hex``,
``digits``, or the literal characters to draw from); or ``bytes=N`` for the URL-safe base64 of N
random bytes (``bytes=32`` is a Fernet key). Nothing to apply; the test checks the shape.
"""

from __future__ import annotations

import base64
import secrets
import string

from secrets_adapter.errors import ConfigurationError, SecretFormatError
from secrets_adapter.models import SecretValue
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
        text = pending.reveal_text()
        n_bytes = context.int_option("bytes", 0)
        if n_bytes:
            ok = len(base64.urlsafe_b64decode(text.encode())) == n_bytes
        else:
            ok = len(text) == context.int_option("length", DEFAULT_LENGTH) and set(text) <= set(
                _alphabet(context)
            )
        if not ok or pending == context.current.value:
            raise SecretFormatError(
                f"The pending value of secret {context.name!r} does not match its rotator "
                "options (length/alphabet) or equals the current value.",
                secret_name=context.name,
            )
