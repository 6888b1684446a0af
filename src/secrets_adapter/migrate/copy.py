"""Copy secrets between stores, versions and stages preserved where both sides keep them.

Between two ``VersionedProvider``s every version is copied under its own id (``put_version`` with
the id as token, so a re-run writes nothing twice) and the ``current``/``previous``/``pending``
labels are moved to match. When either side keeps no versions (the env backend, or a target
that refuses the source's ids), only the current value is copied, and only if it differs.
One secret's failure does not stop the others; the report names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from secrets_adapter.errors import SecretNotFoundError, SecretsAdapterError, ValidationError
from secrets_adapter.models import Stage
from secrets_adapter.providers.base import Provider, VersionedProvider, WritableProvider

__all__ = ["CopyReport", "copy_secrets"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyReport:
    copied: tuple[str, ...] = ()
    """Secrets that needed at least one write (a version or a stage move)."""
    unchanged: tuple[str, ...] = ()
    writes: int = 0
    failed: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failed


def copy_secrets(
    source: Provider,
    target: WritableProvider,
    *,
    names: Sequence[str] | None = None,
    prefix: str = "",
) -> CopyReport:
    """Copy ``names`` (default: every live secret under ``prefix``) from source to target."""
    copied: list[str] = []
    unchanged: list[str] = []
    failed: list[tuple[str, str]] = []
    writes = 0
    for name in names if names is not None else source.list_names(prefix):
        try:
            if isinstance(source, VersionedProvider) and isinstance(target, VersionedProvider):
                try:
                    written = _copy_versions(source, target, name)
                except ValidationError:  # the target refuses the source's version ids
                    written = _copy_current(source, target, name)
            else:
                written = _copy_current(source, target, name)
        except SecretsAdapterError as exc:
            failed.append((name, f"{type(exc).__name__}: {exc.message}"))
            continue
        writes += written
        (copied if written else unchanged).append(name)
    return CopyReport(
        copied=tuple(copied),
        unchanged=tuple(unchanged),
        writes=writes,
        failed=tuple(failed),
    )


def _copy_current(source: Provider, target: WritableProvider, name: str) -> int:
    value = source.get(name).value
    try:
        if target.get(name).value == value:
            return 0
    except SecretNotFoundError:
        pass
    target.put(name, value)
    return 1


def _copy_versions(source: VersionedProvider, target: VersionedProvider, name: str) -> int:
    meta = source.describe(name)
    try:
        existing = {info.version_id for info in target.describe(name).versions}
    except SecretNotFoundError:
        existing = set()
    written = 0
    for info in meta.versions:
        if info.version_id in existing:
            continue
        value = source.get(name, version=info.version_id).value
        target.put_version(name, value, token=info.version_id, stage=None)
        written += 1
    wanted = {stage: meta.version_for(stage) for stage in Stage}
    for stage in (Stage.CURRENT, Stage.PREVIOUS, Stage.PENDING):
        holder = wanted[stage]
        target_holder = target.describe(name).version_for(stage)
        want = holder.version_id if holder is not None else None
        have = target_holder.version_id if target_holder is not None else None
        if want != have:
            target.move_stage(name, stage, to_version=want)
            written += 1
    return written
