"""Environment variable ⇄ secret name, both ways, reversibly: ``DATABASE_URL`` ⇄ ``database-url``.

Pure functions shared by the env provider, migration, rollback and ``exec``.

Two spellings, so that every valid secret name has exactly one variable and back:

- **Plain** — a name of lowercase words joined by single ``-`` or ``/`` that starts with a letter
  maps to upper case with ``-`` → ``_`` and ``/`` → ``__``: ``db/primary-url`` ⇄
  ``DB__PRIMARY_URL``. This is what real ``.env`` files use.
- **Escaped** — any other name (capitals, ``_ + = . @``, doubled or trailing separators, a leading
  digit) becomes ``_`` followed by its characters with the case of letters swapped, digits kept, and
  each punctuation mark written as ``_`` plus a code letter (:data:`PUNCTUATION_CODES`):
  ``App.Key`` ⇄ ``_aPP_DkEY``. Plain variables never start with ``_``, so the two cannot collide.

A prefix (``gaara/prod``) is joined to the name with ``/``: ``DATABASE_URL`` ⇄
``gaara/prod/database-url``; a name outside the prefix has no variable. A variable that fits
neither spelling (``database_url``, ``A___B``) has no name: it is configuration, not a secret.
"""

from __future__ import annotations

import re

from secrets_adapter.validation import MAX_NAME_LENGTH

__all__ = [
    "PUNCTUATION_CODES",
    "join_prefix",
    "key_to_name",
    "name_to_key",
    "normalize_prefix",
    "split_prefix",
]

PUNCTUATION_CODES = {"-": "H", "/": "S", "_": "U", "+": "P", "=": "E", ".": "D", "@": "A"}
_CODE_TO_PUNCTUATION = {code: mark for mark, code in PUNCTUATION_CODES.items()}

_PLAIN_NAME = re.compile(r"[a-z][a-z0-9]*(?:[-/][a-z0-9]+)*")
_PLAIN_KEY = re.compile(r"[A-Z][A-Z0-9]*(?:__?[A-Z0-9]+)*")
_NAME_CHARS = re.compile(r"[A-Za-z0-9/_+=.@-]+")


def normalize_prefix(prefix: str) -> str:
    """``/gaara/prod/`` → ``gaara/prod``."""
    return prefix.strip().strip("/")


def join_prefix(prefix: str, relative: str) -> str:
    """``gaara/prod`` + ``database-url`` → ``gaara/prod/database-url``."""
    prefix = normalize_prefix(prefix)
    return f"{prefix}/{relative}" if prefix else relative


def split_prefix(name: str, prefix: str) -> str | None:
    """The part of ``name`` under ``prefix``, or None when ``name`` is outside it."""
    prefix = normalize_prefix(prefix)
    if not prefix:
        return name
    head = prefix + "/"
    return name[len(head) :] if name.startswith(head) and len(name) > len(head) else None


def name_to_key(name: str, prefix: str = "") -> str | None:
    """The variable for secret ``name``; None when the name is outside ``prefix`` or invalid."""
    relative = split_prefix(name, prefix)
    if relative is None or _NAME_CHARS.fullmatch(relative) is None:
        return None
    if _PLAIN_NAME.fullmatch(relative):
        return relative.replace("/", "__").replace("-", "_").upper()
    escaped = (
        "_" + PUNCTUATION_CODES[char] if char in PUNCTUATION_CODES else char.swapcase()
        for char in relative
    )
    return "_" + "".join(escaped)


def key_to_name(key: str, prefix: str = "") -> str | None:
    """The secret name for variable ``key``; None when the key fits neither spelling."""
    if _PLAIN_KEY.fullmatch(key):
        relative = key.replace("__", "/").replace("_", "-").lower()
    elif key.startswith("_"):
        decoded = _decode_escaped(key[1:])
        if decoded is None or name_to_key(decoded) != key:  # only the one canonical spelling
            return None
        relative = decoded
    else:
        return None
    name = join_prefix(prefix, relative)
    return name if len(name) <= MAX_NAME_LENGTH else None


def _decode_escaped(body: str) -> str | None:
    chars: list[str] = []
    position = 0
    while position < len(body):
        char = body[position]
        if char == "_":
            mark = _CODE_TO_PUNCTUATION.get(body[position + 1 : position + 2])
            if mark is None:
                return None
            chars.append(mark)
            position += 2
            continue
        if not (char.isascii() and char.isalnum()):
            return None
        chars.append(char.swapcase())
        position += 1
    return "".join(chars) or None
