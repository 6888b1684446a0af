"""A secret's versions, values and stage labels, read from one store and written into another.

``copy`` is a read of the whole secret on the source and a write of it on the target: the faces
run each through the pipeline (``read`` on the source, ``write`` on the target, one record each)
and these functions do the provider calls. Between two ``VersionedProvider``s every version keeps
its id (``put_version`` with the id as token, so a re-run writes nothing twice) and the stage
labels are moved to match; where either side keeps no versions (the env backend, or a target
that refuses the source's ids) only the current value is written, and only if it differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from secrets_adapter.errors import SecretNotFoundError, ValidationError
from secrets_adapter.models import SecretValue, Stage, same_value
from secrets_adapter.providers.base import Provider, VersionedProvider, WritableProvider

__all__ = ["SecretSnapshot", "read_snapshot", "write_snapshot"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretSnapshot:
    """One secret as a copy carries it. Values stay ``SecretValue`` (masked in every repr)."""

    name: str
    versions: tuple[tuple[str, SecretValue], ...]
    """``(version id, value)``, oldest first; only the current one from an unversioned store."""
    stages: Mapping[Stage, str | None]
    """Which version holds each stage label (None: no version does)."""
    versioned: bool
    """False when the source keeps no versions: the target gets the current value only."""

    @property
    def current_version(self) -> str | None:
        return self.stages.get(Stage.CURRENT)

    @property
    def current_value(self) -> SecretValue | None:
        wanted = self.current_version
        for version_id, value in self.versions:
            if version_id == wanted:
                return value
        return None


def read_snapshot(source: Provider, name: str) -> SecretSnapshot:
    """Every version of ``name`` with its stage labels, or its current value alone."""
    if not isinstance(source, VersionedProvider):
        secret = source.get(name)
        return SecretSnapshot(
            name=name,
            versions=((secret.version_id, secret.value),),
            stages={Stage.CURRENT: secret.version_id},
            versioned=False,
        )
    meta = source.describe(name)
    versions = tuple(
        (info.version_id, source.get(name, version=info.version_id).value) for info in meta.versions
    )
    stages: dict[Stage, str | None] = {}
    for stage in Stage:
        holder = meta.version_for(stage)
        stages[stage] = holder.version_id if holder is not None else None
    return SecretSnapshot(name=name, versions=versions, stages=stages, versioned=True)


def write_snapshot(target: WritableProvider, snapshot: SecretSnapshot, name: str) -> int:
    """Make ``name`` on ``target`` hold ``snapshot``; the number of writes (0: already equal)."""
    if snapshot.versioned and isinstance(target, VersionedProvider):
        try:
            return _write_versions(target, snapshot, name)
        except ValidationError:  # the target refuses the source's version ids
            pass
    value = snapshot.current_value
    return 0 if value is None else _write_current(target, value, name)


def _write_current(target: WritableProvider, value: SecretValue, name: str) -> int:
    try:
        if same_value(target.get(name).value, value):
            return 0
    except SecretNotFoundError:
        pass
    target.put(name, value)
    return 1


def _write_versions(target: VersionedProvider, snapshot: SecretSnapshot, name: str) -> int:
    try:
        existing = {info.version_id for info in target.describe(name).versions}
    except SecretNotFoundError:
        existing = set()
    written = 0
    for version_id, value in snapshot.versions:
        if version_id in existing:
            continue
        target.put_version(name, value, token=version_id, stage=None)
        written += 1
    for stage in (Stage.CURRENT, Stage.PREVIOUS, Stage.PENDING):
        want = snapshot.stages.get(stage)
        holder = target.describe(name).version_for(stage)
        have = holder.version_id if holder is not None else None
        if want != have:
            target.move_stage(name, stage, to_version=want)
            written += 1
    return written
