"""Migration planning, pure: ``.env`` entries + what the store holds now → a plan of writes.

``desired_secrets`` decides what the store should hold (classification, name mapping, optional
grouping of ``DATABASE_*`` keys into one JSON secret ``…/database``); ``plan_migration`` compares
that with the store's current values and says, per secret, create / update / unchanged / blocked.
Values stay inside ``SecretValue``; plans show fingerprints only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from secrets_adapter.dotenv_file import DotenvEntry
from secrets_adapter.env_names import key_to_name, normalize_prefix
from secrets_adapter.errors import MigrationError, SecretsAdapterError
from secrets_adapter.migrate.classify import KeyClass, classify_key
from secrets_adapter.models import Secret, SecretValue

__all__ = [
    "Action",
    "DesiredSecret",
    "MigrationPlan",
    "MigrationRules",
    "PlanItem",
    "SkippedKey",
    "desired_secrets",
    "group_name",
    "plan_migration",
]

Fingerprint = Callable[[SecretValue], str]


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationRules:
    """How keys become secrets: the name prefix, classification overrides, JSON groups.

    ``groups=("DATABASE",)`` puts every ``DATABASE_*`` key into one JSON object secret
    ``<prefix>/database`` whose fields are the rest of each key in lower case (``url``).
    """

    prefix: str = ""
    secret_patterns: tuple[str, ...] = ()
    config_patterns: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DesiredSecret:
    """One secret the store should hold, and the ``.env`` keys it comes from."""

    name: str
    keys: tuple[str, ...]
    value: SecretValue = field(repr=False)
    group: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedKey:
    """A key that stays in the ``.env`` file, and why."""

    key: str
    line: int
    reason: str


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanItem:
    """What apply will do for one secret. ``current_version`` makes the write a check-and-set."""

    name: str
    keys: tuple[str, ...]
    action: Action
    fingerprint: str
    current_fingerprint: str | None = None
    current_version: str | None = None
    reason: str = ""
    value: SecretValue = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationPlan:
    items: tuple[PlanItem, ...]
    skipped: tuple[SkippedKey, ...] = ()

    @property
    def to_write(self) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if i.action in (Action.CREATE, Action.UPDATE))

    def count(self, action: Action) -> int:
        return sum(1 for item in self.items if item.action is action)


def group_name(group: str, prefix: str) -> str:
    """The secret name of a key group: ``DATABASE`` → ``<prefix>/database``."""
    name = key_to_name(group, prefix)
    if name is None:
        raise MigrationError(
            f"Group {group!r} is not an upper-case variable stem such as DATABASE or STRIPE."
        )
    return name


def desired_secrets(
    entries: Iterable[DotenvEntry], rules: MigrationRules
) -> tuple[tuple[DesiredSecret, ...], tuple[SkippedKey, ...]]:
    """What the store should hold for these entries, and the keys left in the file."""
    prefix = normalize_prefix(rules.prefix)
    singles: list[DesiredSecret] = []
    skipped: list[SkippedKey] = []
    grouped: dict[str, dict[str, DotenvEntry]] = {group: {} for group in rules.groups}
    for entry in entries:
        group = next((g for g in rules.groups if entry.key.startswith(g + "_")), None)
        if group is not None:
            grouped[group][entry.key[len(group) + 1 :].lower()] = entry
            continue
        verdict = classify_key(
            entry.key,
            entry.value,
            secret_patterns=rules.secret_patterns,
            config_patterns=rules.config_patterns,
        )
        if verdict.kind is KeyClass.CONFIG:
            skipped.append(SkippedKey(key=entry.key, line=entry.line, reason=verdict.reason))
            continue
        name = key_to_name(entry.key, prefix)
        problem = _problem(entry, name)
        if name is None or problem is not None:
            reason = problem or "no secret name for this key"
            skipped.append(SkippedKey(key=entry.key, line=entry.line, reason=reason))
            continue
        singles.append(DesiredSecret(name=name, keys=(entry.key,), value=SecretValue(entry.value)))
    for group, fields in grouped.items():
        if not fields:
            continue
        text = json.dumps(
            {field_name: e.value for field_name, e in sorted(fields.items())},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        first = min(fields.values(), key=lambda e: e.line)
        try:
            value = SecretValue(text)
        except SecretsAdapterError as exc:
            skipped.append(SkippedKey(key=first.key, line=first.line, reason=exc.message))
            continue
        keys = tuple(e.key for e in sorted(fields.values(), key=lambda e: e.line))
        singles.append(
            DesiredSecret(name=group_name(group, prefix), keys=keys, value=value, group=group)
        )
    names = [secret.name for secret in singles]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        raise MigrationError(f"Two sources map to the same secret: {', '.join(clashes)}.")
    return tuple(sorted(singles, key=lambda s: s.name)), tuple(skipped)


def _problem(entry: DotenvEntry, name: str | None) -> str | None:
    if name is None:
        return "no secret name for this key (use UPPER_CASE_WITH_UNDERSCORES)"
    if not entry.value:
        return "empty value"
    try:
        SecretValue(entry.value)
    except SecretsAdapterError as exc:
        return exc.message
    return None


def plan_migration(
    desired: Iterable[DesiredSecret],
    current: Mapping[str, Secret | SecretsAdapterError | None],
    fingerprint: Fingerprint,
    *,
    skipped: tuple[SkippedKey, ...] = (),
) -> MigrationPlan:
    """Compare what should be with what is. ``current[name]``: the secret, None if absent, or
    the error that makes it unwritable (e.g. scheduled for deletion)."""
    items: list[PlanItem] = []
    for secret in desired:
        now = current.get(secret.name)
        action, reason = Action.CREATE, ""
        current_fingerprint = current_version = None
        if isinstance(now, SecretsAdapterError):
            action, reason = Action.BLOCKED, now.message
        elif now is not None:
            action = Action.UNCHANGED if now.value == secret.value else Action.UPDATE
            current_fingerprint, current_version = fingerprint(now.value), now.version_id
        items.append(
            PlanItem(
                name=secret.name,
                keys=secret.keys,
                action=action,
                fingerprint=fingerprint(secret.value),
                current_fingerprint=current_fingerprint,
                current_version=current_version,
                reason=reason,
                value=secret.value,
            )
        )
    return MigrationPlan(items=tuple(items), skipped=skipped)
