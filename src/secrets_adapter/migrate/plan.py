"""Migration planning, pure: ``.env`` entries + what the store holds now → a plan of writes.

``desired_secrets`` decides what the store should hold (classification, name mapping, optional
grouping of ``DATABASE_*`` keys into one JSON secret ``…/database``, the AWS key pair into one
secret ``…/aws-access-key``) and proposes each secret's rotator; ``plan_migration`` compares
that with the store's current values and says, per secret, create / update / unchanged / blocked.
Values stay inside ``SecretValue``; plans show fingerprints only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from secrets_adapter.aws_key_pair import PAIR_KEY, pair_stem, pair_value
from secrets_adapter.dotenv_file import DotenvEntry
from secrets_adapter.env_names import key_to_name, normalize_prefix
from secrets_adapter.errors import MigrationError, SecretsAdapterError
from secrets_adapter.migrate.classify import KeyClass, classify_key, propose_rotator
from secrets_adapter.models import Secret, SecretValue, same_value, value_for_comparison

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
    rotator: str | None = None
    rotator_reason: str = ""


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
    rotator: str | None = None
    rotator_reason: str = ""


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
    pairs: dict[str, dict[str, DotenvEntry]] = {}
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
        stem = pair_stem(entry.key)
        if stem is not None:
            pairs.setdefault(stem, {})[entry.key] = entry
            continue
        proposal = propose_rotator(entry.key, entry.value)
        singles.append(
            DesiredSecret(
                name=name,
                keys=(entry.key,),
                value=SecretValue(entry.value),
                rotator=proposal.rotator,
                rotator_reason=proposal.reason,
            )
        )
    singles += _aws_pairs(pairs, prefix)
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
            DesiredSecret(
                name=group_name(group, prefix),
                keys=keys,
                value=value,
                group=group,
                rotator_reason="a group of variables: configure its rotation by hand",
            )
        )
    names = [secret.name for secret in singles]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        raise MigrationError(f"Two sources map to the same secret: {', '.join(clashes)}.")
    return tuple(sorted(singles, key=lambda s: s.name)), tuple(skipped)


def _aws_pairs(pairs: Mapping[str, Mapping[str, DotenvEntry]], prefix: str) -> list[DesiredSecret]:
    """Each complete AWS key pair as one JSON secret; half a pair stays a secret of its own."""
    made: list[DesiredSecret] = []
    for stem, found in pairs.items():
        id_entry = found.get(stem + "AWS_ACCESS_KEY_ID")
        secret_entry = found.get(stem + "AWS_SECRET_ACCESS_KEY")
        name = key_to_name(stem + PAIR_KEY, prefix)
        if id_entry is None or secret_entry is None or name is None:
            for entry in found.values():
                proposal = propose_rotator(entry.key, entry.value)
                made.append(
                    DesiredSecret(
                        name=key_to_name(entry.key, prefix) or entry.key,
                        keys=(entry.key,),
                        value=SecretValue(entry.value),
                        rotator=proposal.rotator,
                        rotator_reason="half an AWS key pair: rotate by hand",
                    )
                )
            continue
        made.append(
            DesiredSecret(
                name=name,
                keys=(id_entry.key, secret_entry.key),
                value=pair_value(id_entry.value, secret_entry.value),
                rotator="aws-iam-access-key",
                rotator_reason="an IAM user's access key pair, one secret",
            )
        )
    return made


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
            # a JSON object as an object: Vault reads one back in canonical form
            action = Action.UNCHANGED if same_value(now.value, secret.value) else Action.UPDATE
            current_fingerprint = fingerprint(value_for_comparison(now.value))
            current_version = now.version_id
        items.append(
            PlanItem(
                name=secret.name,
                keys=secret.keys,
                action=action,
                fingerprint=fingerprint(value_for_comparison(secret.value)),
                current_fingerprint=current_fingerprint,
                current_version=current_version,
                reason=reason,
                value=secret.value,
                rotator=secret.rotator,
                rotator_reason=secret.rotator_reason,
            )
        )
    return MigrationPlan(items=tuple(items), skipped=skipped)
