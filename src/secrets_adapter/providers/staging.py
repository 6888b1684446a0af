"""Pure stage bookkeeping shared by the backends that keep stages themselves (memory, local, Vault).

A label map is ``{version_id: frozenset[Stage]}`` in creation order. The rules are AWS Secrets
Manager's: exactly one version is ``current``; moving ``current`` labels the old holder
``previous``; ``pending`` and ``previous`` are at most on one version each.
"""

from __future__ import annotations

from collections.abc import Mapping

from secrets_adapter.errors import ConflictError, SecretNotFoundError, ValidationError
from secrets_adapter.models import Stage

__all__ = ["LabelMap", "holder_of", "move_label", "prunable_versions"]

LabelMap = Mapping[str, frozenset[Stage]]


def holder_of(labels: LabelMap, stage: Stage) -> str | None:
    """The version carrying ``stage``, or None."""
    for version_id, stages in labels.items():
        if stage in stages:
            return version_id
    return None


def move_label(
    labels: LabelMap,
    stage: Stage,
    *,
    to_version: str | None,
    from_version: str | None = None,
    name: str | None = None,
) -> dict[str, frozenset[Stage]]:
    """Return the label map after moving ``stage`` (see ``VersionedProvider.move_stage``)."""
    holder = holder_of(labels, stage)
    if from_version is not None and holder != from_version:
        raise ConflictError(
            f"Stage {stage.value!r} of secret {name!r} is on version {holder!r}, not "
            f"{from_version!r}: another writer moved it; re-read and try again.",
            secret_name=name,
        )
    if to_version is not None and to_version not in labels:
        raise SecretNotFoundError(
            f"Secret {name!r} has no version {to_version!r}.", secret_name=name
        )
    if to_version is None and stage is Stage.CURRENT:
        raise ValidationError(
            f"Cannot remove stage 'current' from secret {name!r}: move it to another version.",
            secret_name=name,
        )
    result = {vid: set(stages) for vid, stages in labels.items()}
    if holder is not None and holder != to_version:
        result[holder].discard(stage)
        if stage is Stage.CURRENT:
            for stages in result.values():
                stages.discard(Stage.PREVIOUS)
            result[holder].add(Stage.PREVIOUS)
    if to_version is not None:
        if stage is Stage.CURRENT:
            result[to_version].discard(Stage.PREVIOUS)
        result[to_version].add(stage)
    return {vid: frozenset(stages) for vid, stages in result.items()}


def prunable_versions(labels: LabelMap, *, keep: int) -> list[str]:
    """Unlabelled versions past the newest ``keep`` versions, oldest first (creation order)."""
    unlabelled = [vid for vid, stages in labels.items() if not stages]
    excess = len(labels) - keep
    if excess <= 0:
        return []
    return unlabelled[:excess]
