"""Secrets Manager's staging labels as this library's stages, and custom labels as they are.

``AWSCURRENT``/``AWSPENDING``/``AWSPREVIOUS`` are ``current``/``pending``/``previous``; every other
label on a version (set by ``aws secretsmanager update-secret-version-stage`` or by a rotation
Lambda) is kept in ``VersionInfo.labels`` and can be read by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from secrets_adapter.errors import (
    ConflictError,
    SecretNotFoundError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.models import SecretMetadata, Stage, VersionInfo, stage_or_label
from secrets_adapter.providers.aws_errors import PROVIDER, translate_aws_errors

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

__all__ = [
    "AWS_STAGE",
    "MAX_LABEL_LENGTH",
    "all_versions",
    "aws_label",
    "custom_labels",
    "move_stage",
    "stages_of",
    "version_info",
]

AWS_STAGE = {
    Stage.CURRENT: "AWSCURRENT",
    Stage.PENDING: "AWSPENDING",
    Stage.PREVIOUS: "AWSPREVIOUS",
}
_STAGE_OF = {label: stage for stage, label in AWS_STAGE.items()}
MAX_LABEL_LENGTH = 256
_STAGE_MOVED = frozenset({"InvalidParameterException"})


def aws_label(stage: Stage | str) -> str:
    """The label to send: ``current``/``AWSCURRENT`` → ``AWSCURRENT``; a custom label as is."""
    chosen = stage_or_label(stage)
    if isinstance(chosen, Stage):
        return AWS_STAGE[chosen]
    if not isinstance(chosen, str) or not 1 <= len(chosen) <= MAX_LABEL_LENGTH:
        raise ValidationError(
            f"Invalid stage label {chosen!r}: a staging label is 1-{MAX_LABEL_LENGTH} characters "
            "(current, pending, previous, their AWS names, or a custom label)."
        )
    return chosen


def stages_of(labels: Iterable[str] | None) -> frozenset[Stage]:
    """The stages among a version's labels."""
    return frozenset(_STAGE_OF[label] for label in labels or () if label in _STAGE_OF)


def custom_labels(labels: Iterable[str] | None) -> frozenset[str]:
    """The labels that are not one of the three stages."""
    return frozenset(label for label in labels or () if label not in _STAGE_OF)


def version_info(name: str, entry: Mapping[str, Any]) -> VersionInfo:
    """A ``ListSecretVersionIds`` entry (or a ``VersionIdsToStages`` item) as ``VersionInfo``."""
    labels = entry.get("VersionStages")
    return VersionInfo(
        name=name,
        version_id=str(entry["VersionId"]),
        stages=stages_of(labels),
        labels=custom_labels(labels),
        created_at=entry.get("CreatedDate"),
    )


def all_versions(client: SecretsManagerClient, name: str) -> Iterator[VersionInfo]:
    """Every version with all its labels (``ListSecretVersionIds``, deprecated ones too).
    Call inside ``translate_aws_errors``."""
    pages: dict[str, Any] = {}
    while True:
        page = client.list_secret_version_ids(SecretId=name, IncludeDeprecated=True, **pages)
        for entry in page.get("Versions", []):
            yield version_info(name, entry)
        token = page.get("NextToken")
        if not token:
            return
        pages = {"NextToken": token}


def move_stage(
    client: SecretsManagerClient,
    meta: SecretMetadata,
    stage: Stage,
    *,
    to_version: str | None,
    from_version: str | None,
) -> None:
    """``UpdateSecretVersionStage`` for ``VersionedProvider.move_stage``: checked against
    ``meta`` first (``from_version``, the target exists), and ``RemoveFromVersionId`` names the
    holder, so AWS refuses the move if another writer moved the label meanwhile."""
    name = meta.name
    if meta.deletion_date is not None:
        raise SecretScheduledForDeletionError(
            f"Secret {name!r} is scheduled for deletion; restore it to change its stages.",
            secret_name=name,
            provider=PROVIDER,
        )
    holder_info = meta.version_for(stage)
    holder = holder_info.version_id if holder_info else None
    if from_version is not None and holder != from_version:
        raise ConflictError(
            f"Stage {stage.value!r} of secret {name!r} is on version {holder!r}, not "
            f"{from_version!r}: another writer moved it; re-read and try again.",
            secret_name=name,
            provider=PROVIDER,
        )
    if to_version is not None and to_version not in {v.version_id for v in meta.versions}:
        raise SecretNotFoundError(
            f"Secret {name!r} has no version {to_version!r}.", secret_name=name, provider=PROVIDER
        )
    if to_version is None and stage is Stage.CURRENT:
        raise ValidationError(
            f"Cannot remove stage 'current' from secret {name!r}: move it to another version.",
            secret_name=name,
        )
    if holder == to_version:
        return
    params: dict[str, str] = {"SecretId": name, "VersionStage": aws_label(stage)}
    if holder is not None:
        params["RemoveFromVersionId"] = holder
    if to_version is not None:
        params["MoveToVersionId"] = to_version
    with translate_aws_errors(name, conflict_codes=_STAGE_MOVED):
        client.update_secret_version_stage(**params)
