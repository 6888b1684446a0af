"""Stages on KV v2, derived from Vault's own version history (pure; no I/O).

Vault has versions and nothing else, so every other Vault client treats the newest version as
the value. We agree, and keep in the secret's ``custom_metadata`` only what Vault cannot know:

- ``secrets-adapter.stage.current`` / ``.previous`` / ``.pending``: version numbers, and
  ``secrets-adapter.stage.as-of``: Vault's newest version number when they were written;
- ``secrets-adapter.token.<token>``: the version a ``put_version`` token created (the last
  ``TOKENS_KEPT`` only: a retried rotation step needs its own, nothing older);
- ``secrets-adapter.deletion-date``: the end of a recovery window; every other key is a tag.

**Deriving the stages** (``derive_stages``): while the record is as of the newest version, it is
the truth (a rotation's ``pending`` above ``current``, a rollback). When another tool wrote since
(``bao kv put``: the newest version is above ``as-of``), that write is ``current``, ``previous``
is the version before it — the one the record called ``current`` if the other tool wrote once —
and an unfinished rotation's ``pending`` is dropped (the other write superseded it). With no
record, ``current`` is the newest version and ``previous`` the one before.

A stage may point at a version someone deleted or destroyed (``bao kv delete``/``destroy``):
that stage then reads as *not found*, never as some older version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from secrets_adapter.errors import ValidationError
from secrets_adapter.models import Stage
from secrets_adapter.providers.staging import move_label

__all__ = [
    "RESERVED_PREFIX",
    "TOKENS_KEPT",
    "KvState",
    "StageRecord",
    "VersionStatus",
    "check_tag_key",
    "check_token",
    "derive_stages",
    "parse_state",
    "parse_vault_time",
    "record_from_custom",
    "record_new_version",
]

RESERVED_PREFIX = "secrets-adapter."
_STAGE_KEY = RESERVED_PREFIX + "stage."
_AS_OF_KEY = _STAGE_KEY + "as-of"
_TOKEN_KEY = RESERVED_PREFIX + "token."
DELETION_KEY = RESERVED_PREFIX + "deletion-date"
_MAX_METADATA_KEY = 128  # Vault's limit on a custom_metadata key, in bytes
TOKENS_KEPT = 3


def check_token(token: str, *, name: str) -> str:
    """A ``put_version`` token fits a metadata key and cannot be mistaken for a version number."""
    if not token or token.isdigit() or len((_TOKEN_KEY + token).encode()) > _MAX_METADATA_KEY:
        raise ValidationError(
            f"Invalid version token for secret {name!r}: it must not be a bare number and must "
            f"be at most {_MAX_METADATA_KEY - len(_TOKEN_KEY)} bytes.",
            secret_name=name,
        )
    return token


def check_tag_key(key: str, *, name: str) -> str:
    if not key or key.startswith(RESERVED_PREFIX) or len(key.encode()) > _MAX_METADATA_KEY:
        raise ValidationError(
            f"Invalid tag key for secret {name!r}: 1-{_MAX_METADATA_KEY} bytes, not starting "
            f"with {RESERVED_PREFIX!r}.",
            secret_name=name,
        )
    return key


def parse_vault_time(raw: object) -> datetime | None:
    """Vault's RFC 3339 timestamps (nanoseconds) as aware datetimes; empty → None."""
    if not isinstance(raw, str) or not raw:
        return None
    text = raw.replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _number(raw: object) -> int | None:
    return int(raw) if isinstance(raw, str) and raw.isdigit() and int(raw) > 0 else None


@dataclass(frozen=True, slots=True, kw_only=True)
class StageRecord:
    """The stages as we last wrote them, and Vault's newest version number at that moment."""

    stages: Mapping[Stage, int] = field(default_factory=dict)
    as_of: int | None = None


def record_from_custom(custom: Mapping[str, str]) -> StageRecord:
    stages = {
        stage: number
        for stage in Stage
        if (number := _number(custom.get(_STAGE_KEY + stage.value))) is not None
    }
    return StageRecord(stages=stages, as_of=_number(custom.get(_AS_OF_KEY)))


def _default_stages(latest: int) -> dict[Stage, int]:
    return (
        {Stage.CURRENT: latest, Stage.PREVIOUS: latest - 1}
        if latest > 1
        else {Stage.CURRENT: latest}
    )


def derive_stages(record: StageRecord, latest: int) -> dict[Stage, int]:
    """Which version number holds each stage (see the module docstring)."""
    if latest <= 0:
        return {}
    as_of = record.as_of
    recorded_current = record.stages.get(Stage.CURRENT)
    if as_of is None or recorded_current is None:
        return _default_stages(latest)
    if as_of < latest:  # another tool wrote since we recorded
        previous = latest - 1 if latest - 1 > as_of else recorded_current
        stages = {Stage.CURRENT: latest}
        if previous != latest:
            stages[Stage.PREVIOUS] = previous
        return stages
    # as of the newest version (or our own write is still landing: drop what is not there yet)
    stages = {stage: number for stage, number in record.stages.items() if number <= latest}
    stages.setdefault(Stage.CURRENT, latest)
    if stages.get(Stage.PREVIOUS) == stages[Stage.CURRENT]:
        del stages[Stage.PREVIOUS]
    return stages


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionStatus:
    """One version as Vault lists it."""

    created_at: datetime | None = None
    deleted: bool = False
    destroyed: bool = False

    @property
    def live(self) -> bool:
        return not (self.deleted or self.destroyed)


@dataclass(slots=True, kw_only=True)
class KvState:
    """What a secret's metadata says, in our terms. Mutable while an operation builds a change."""

    versions: dict[int, VersionStatus] = field(default_factory=dict)
    latest: int = 0
    stages: dict[Stage, int] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    deletion_date: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def live_versions(self) -> list[int]:
        return [number for number, status in self.versions.items() if status.live]

    @property
    def soft_deleted(self) -> list[int]:
        return [n for n, s in self.versions.items() if s.deleted and not s.destroyed]

    def labels(self, number: int) -> frozenset[Stage]:
        return frozenset(stage for stage, held in self.stages.items() if held == number)

    def id_labels(self) -> dict[str, frozenset[Stage]]:
        """The label map in ``providers.staging`` terms (ids are numbers), every version Vault
        lists included: a stage on a deleted or destroyed version stays there when another
        stage moves (moving ``current`` off it makes it ``previous``, as anywhere)."""
        return {str(number): self.labels(number) for number in sorted(self.versions)}

    def set_id_labels(self, labels: Mapping[str, frozenset[Stage]]) -> None:
        """Take the stages of ``labels``; a stage left on a version not in it (deleted) stays."""
        stages = {stage: int(version_id) for version_id, held in labels.items() for stage in held}
        for stage, number in self.stages.items():
            if str(number) not in labels:
                stages.setdefault(stage, number)
        self.stages = stages

    def number_of(self, version_id: str) -> int | None:
        """The Vault version number behind a version id (a number, or a recent token)."""
        number = int(version_id) if version_id.isdigit() else self.tokens.get(version_id)
        return number if number is not None and number in self.versions else None

    def token_of(self, number: int) -> str | None:
        return next((token for token, made in self.tokens.items() if made == number), None)

    def custom_metadata(self) -> dict[str, str]:
        """The ``custom_metadata`` that records this state, as of ``latest``."""
        result = dict(self.tags)
        for stage, number in sorted(self.stages.items(), key=lambda item: item[0].value):
            result[_STAGE_KEY + stage.value] = str(number)
        result[_AS_OF_KEY] = str(self.latest)
        newest = sorted(self.tokens.items(), key=lambda item: item[1])[-TOKENS_KEPT:]
        for token, number in newest:
            result[_TOKEN_KEY + token] = str(number)
        if self.deletion_date is not None:
            result[DELETION_KEY] = self.deletion_date.isoformat()
        return result


def parse_state(metadata: Mapping[str, Any]) -> KvState:
    """A ``KvState`` from a KV v2 metadata response's ``data``."""
    custom: Mapping[str, str] = metadata.get("custom_metadata") or {}
    versions = {
        int(raw): VersionStatus(
            created_at=parse_vault_time(info.get("created_time")),
            deleted=bool(info.get("deletion_time")),
            destroyed=bool(info.get("destroyed")),
        )
        for raw, info in (metadata.get("versions") or {}).items()
    }
    latest = int(metadata.get("current_version") or 0)
    tokens = {
        key[len(_TOKEN_KEY) :]: number
        for key, raw in custom.items()
        if key.startswith(_TOKEN_KEY) and (number := _number(raw)) is not None
    }
    return KvState(
        versions=dict(sorted(versions.items())),
        latest=latest,
        stages=derive_stages(record_from_custom(custom), latest),
        tokens=tokens,
        tags={k: v for k, v in custom.items() if not k.startswith(RESERVED_PREFIX)},
        deletion_date=parse_vault_time(custom.get(DELETION_KEY)),
        created_at=parse_vault_time(metadata.get("created_time")),
        updated_at=parse_vault_time(metadata.get("updated_time")),
    )


def record_new_version(
    state: KvState,
    number: int,
    *,
    stage: Stage | None,
    token: str | None,
    created_at: datetime,
    name: str,
) -> None:
    """``state`` once version ``number`` is written: ``stage`` moves to it (``current`` too when
    the secret has none), ``token`` names it, and the record is as of it."""
    state.versions[number] = VersionStatus(created_at=created_at)
    labels = {**state.id_labels(), str(number): frozenset[Stage]()}
    if stage is Stage.CURRENT or Stage.CURRENT not in state.stages:
        labels = move_label(labels, Stage.CURRENT, to_version=str(number), name=name)
    if stage is not None and stage is not Stage.CURRENT:
        labels = move_label(labels, stage, to_version=str(number), name=name)
    state.set_id_labels(labels)
    state.latest = number
    if token is not None:
        state.tokens[token] = number
