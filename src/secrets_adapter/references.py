"""``secret://NAME`` and ``secret://NAME#key`` references in environment values and config.

A value that is exactly a reference is replaced by the secret (or one key of a JSON object
secret); every other value passes through untouched. Used by ``SecretsAdapter.resolve_env`` and
``secrets-adapter exec``. A reference that cannot be resolved is an error naming the variable and
the reference (names, never values).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from secrets_adapter.errors import SecretsAdapterError, ValidationError
from secrets_adapter.validation import validate_name

__all__ = [
    "SCHEME",
    "SecretReference",
    "parse_mapping_reference",
    "parse_reference",
    "resolve_references",
]

SCHEME = "secret://"

Lookup = Callable[[str, str | None], str]
"""``lookup(name, key) -> text``: ``SecretsAdapter.get_secret_value`` has this shape."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretReference:
    """A parsed ``secret://NAME#key``."""

    name: str
    key: str | None = None

    def __str__(self) -> str:
        return SCHEME + self.name + (f"#{self.key}" if self.key is not None else "")


def parse_reference(text: str) -> SecretReference | None:
    """The reference ``text`` holds, None if it is not one; a malformed one is a ValidationError."""
    if not text.startswith(SCHEME):
        return None
    body = text[len(SCHEME) :]
    name, hashmark, key = body.partition("#")
    if hashmark and not key:
        raise ValidationError(f"Reference {SCHEME}{name}# has an empty key after '#'.")
    return SecretReference(name=validate_name(name), key=key if hashmark else None)


def parse_mapping_reference(text: str) -> SecretReference:
    """A reference in a config mapping, where the scheme is optional: ``database#url``,
    ``secret://database#url`` and ``database`` all parse, by the same rules as ``parse_reference``.
    """
    reference = parse_reference(text if text.startswith(SCHEME) else SCHEME + text)
    assert reference is not None  # noqa: S101 - the scheme was just ensured
    return reference


def resolve_references(values: Mapping[str, str], lookup: Lookup) -> dict[str, str]:
    """A copy of ``values`` with every reference replaced by what ``lookup`` returns for it."""
    resolved: dict[str, str] = {}
    for variable, text in values.items():
        try:
            reference = parse_reference(text)
            resolved[variable] = (
                text if reference is None else lookup(reference.name, reference.key)
            )
        except SecretsAdapterError as exc:
            del resolved, values  # frames: values resolved so far; error reporters print locals
            shown = text if len(text) <= 200 else text[:200] + "..."
            raise exc.reworded(f"{variable}={shown}: {exc.message}") from None
    return resolved
