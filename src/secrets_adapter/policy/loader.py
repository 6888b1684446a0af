"""Policies as data: a TOML or JSON file of ``[[statement]]`` tables, checked strictly.

::

    [[statement]]
    sid = "api-reads-its-secrets"
    effect = "allow"                 # allow | deny
    principals = ["api"]             # "*" wildcards allowed
    actions = ["read", "describe"]   # read list write delete rotate describe, or "*"
    secrets = ["gaara/prod/api/*"]   # name patterns; "*" matches any characters, "/" included

A typo must not silently widen or narrow access, so unknown keys and actions are errors.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from secrets_adapter.errors import ConfigurationError
from secrets_adapter.policy.model import ACTIONS, Effect, Policy, Statement

__all__ = ["load_policy", "parse_policy"]

_KEYS = {"sid", "effect", "principals", "actions", "secrets"}


def _strings(raw: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(item, str) and item for item in raw)
    ):
        raise ConfigurationError(f"{where}: {key!r} must be a non-empty list of strings.")
    return tuple(raw)


def _statement(raw: Any, where: str) -> Statement:
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"{where} must be a table.")
    unknown = set(raw) - _KEYS
    if unknown:
        raise ConfigurationError(
            f"{where} has unknown key(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(_KEYS))}."
        )
    missing = {"effect", "principals", "actions", "secrets"} - set(raw)
    if missing:
        raise ConfigurationError(f"{where} is missing {', '.join(sorted(missing))}.")
    effect_text = str(raw["effect"]).strip().lower()
    try:
        effect = Effect(effect_text)
    except ValueError:
        raise ConfigurationError(
            f"{where}: effect {raw['effect']!r} is neither 'allow' nor 'deny'."
        ) from None
    actions = tuple(action.lower() for action in _strings(raw["actions"], "actions", where))
    wrong = [action for action in actions if action != "*" and action not in ACTIONS]
    if wrong:
        raise ConfigurationError(
            f"{where}: unknown action(s) {', '.join(wrong)}; known: {', '.join(ACTIONS)} or '*'."
        )
    sid = raw.get("sid", "")
    if not isinstance(sid, str):
        raise ConfigurationError(f"{where}: 'sid' must be a string.")
    return Statement(
        sid=sid,
        effect=effect,
        principals=_strings(raw["principals"], "principals", where),
        actions=actions,
        secrets=_strings(raw["secrets"], "secrets", where),
    )


def parse_policy(data: Mapping[str, Any], *, source: str = "the policy") -> Policy:
    """A ``Policy`` from parsed TOML/JSON: ``{"statement": [ {...}, ... ]}``."""
    unknown = set(data) - {"statement", "version"}
    if unknown:
        raise ConfigurationError(
            f"{source} has unknown top-level key(s) {', '.join(sorted(unknown))}; "
            "statements go in [[statement]] tables."
        )
    raw = data.get("statement", [])
    if not isinstance(raw, list):
        raise ConfigurationError(f"{source}: 'statement' must be a list of tables.")
    return Policy(
        statements=tuple(
            _statement(item, f"{source}, statement {index + 1}") for index, item in enumerate(raw)
        )
    )


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read a ``.toml`` or ``.json`` policy file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot read the policy file {str(file)!r}: {exc.strerror}."
        ) from None
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"The policy file {str(file)!r} does not parse: {exc}.") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"The policy file {str(file)!r} must hold an object.")
    return parse_policy(data, source=f"policy file {str(file)!r}")
