"""The rotation lease on AWS: ``AWSPENDING`` on a version other than ``AWSCURRENT`` is the lock,
as in Secrets Manager's own rotation ("a previous rotation isn't complete").

Taking it is one ``UpdateSecretVersionStage`` call that AWS applies only if the label is where the
taker saw it: ``RemoveFromVersionId`` names the version holding ``AWSPENDING`` (the current one
when no rotation runs, or an expired holder); when the label is on no version, AWS refuses to
attach it if another version got it meanwhile. Two takers cannot both succeed.

The taker first writes a *lease version* (a copy of the current value) carrying the label
``secrets-adapter-lease.<owner>.<expiry, Unix seconds>``, then moves ``AWSPENDING`` onto it. The
rotation's *create* step (``put_version(stage=pending)``) moves ``AWSPENDING`` on to the new
version; a holder without a lease label (that version, or one a rotation Lambda made) expires
``ttl`` after its creation. An expired lease is taken over the same way, with
``RemoveFromVersionId`` naming the expired holder, so two processes taking over are serialized too.
Releasing puts ``AWSPENDING`` back on the current version (the idle state) if the lease version
still holds it, and removes the lease label.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from secrets_adapter.errors import ConflictError, SecretNotFoundError, ValidationError
from secrets_adapter.models import LEASE_LABEL, Stage, VersionInfo
from secrets_adapter.providers.aws_errors import PROVIDER, translate_aws_errors
from secrets_adapter.providers.aws_stages import AWS_STAGE

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

__all__ = ["LEASE_LABEL_PREFIX", "acquire_lease", "lease_label", "lease_of", "release_lease"]

LEASE_LABEL_PREFIX = LEASE_LABEL
_OWNER = re.compile(r"[A-Za-z0-9_-]{1,128}")
_STAGE_MOVED = frozenset({"InvalidParameterException", "InvalidRequestException"})
PENDING = AWS_STAGE[Stage.PENDING]


def lease_label(owner: str, expires_at: datetime) -> str:
    """The label a lease version carries: who holds it and until when."""
    if not _OWNER.fullmatch(owner):
        raise ValidationError(
            f"Invalid lease owner {owner!r}: 1-128 letters, digits, '_' or '-' (a UUID works)."
        )
    return f"{LEASE_LABEL_PREFIX}{owner}.{int(expires_at.timestamp())}"


def lease_of(info: VersionInfo) -> tuple[str, datetime] | None:
    """The owner and expiry in a version's lease label, or None if it carries none."""
    for label in info.labels:
        if label.startswith(LEASE_LABEL_PREFIX):
            owner, _, expiry = label.removeprefix(LEASE_LABEL_PREFIX).rpartition(".")
            if owner and expiry.isdigit():
                return owner, datetime.fromtimestamp(int(expiry), tz=UTC)
    return None


def _holder_expiry(holder: VersionInfo, ttl: timedelta, now: datetime) -> tuple[str, datetime]:
    lease = lease_of(holder)
    if lease is not None:
        return lease
    created = holder.created_at or now - ttl
    return "", created + ttl


def acquire_lease(
    client: SecretsManagerClient,
    name: str,
    *,
    owner: str,
    ttl: timedelta,
    versions: Sequence[VersionInfo],
    current_value: Callable[[], dict[str, Any]],
    now: datetime,
) -> bool:
    """Take the lease (True), or find it held by another owner until later (False)."""
    label = lease_label(owner, now + ttl)
    if ttl <= timedelta(0):
        raise ValidationError(f"A rotation lease needs a positive ttl (got {ttl}).")
    current = next((v for v in versions if Stage.CURRENT in v.stages), None)
    if current is None:
        raise SecretNotFoundError(
            f"Secret {name!r} has no current version to rotate.",
            secret_name=name,
            provider=PROVIDER,
        )
    holder = next((v for v in versions if Stage.PENDING in v.stages), None)
    if holder is not None and holder.version_id != current.version_id:
        held_by, expires_at = _holder_expiry(holder, ttl, now)
        if expires_at > now:
            return held_by == owner
    token = str(uuid.uuid4())
    with translate_aws_errors(name):
        client.put_secret_value(
            SecretId=name, ClientRequestToken=token, VersionStages=[label], **current_value()
        )
    move: dict[str, str] = {"SecretId": name, "VersionStage": PENDING, "MoveToVersionId": token}
    if holder is not None:
        move["RemoveFromVersionId"] = holder.version_id
    try:
        with translate_aws_errors(name, conflict_codes=_STAGE_MOVED):
            client.update_secret_version_stage(**move)
    except ConflictError:
        _drop(client, name, label, token)
        return False
    return True


def release_lease(
    client: SecretsManagerClient, name: str, *, owner: str, versions: Sequence[VersionInfo]
) -> None:
    """Give the lease back: ``AWSPENDING`` returns to the current version if this owner's lease
    version still holds it; the lease label goes. Releasing a lease not held is a no-op."""
    current = next((v for v in versions if Stage.CURRENT in v.stages), None)
    for info in versions:
        lease = lease_of(info)
        if lease is None or lease[0] != owner:
            continue
        if Stage.PENDING in info.stages and current is not None:
            try:
                with translate_aws_errors(name, conflict_codes=_STAGE_MOVED):
                    client.update_secret_version_stage(
                        SecretId=name,
                        VersionStage=PENDING,
                        RemoveFromVersionId=info.version_id,
                        MoveToVersionId=current.version_id,
                    )
            except ConflictError:
                pass  # taken over after it expired: the new holder keeps it
        for label in info.labels:
            if label.startswith(f"{LEASE_LABEL_PREFIX}{owner}."):
                _drop(client, name, label, info.version_id)


def _drop(client: SecretsManagerClient, name: str, label: str, version_id: str) -> None:
    with translate_aws_errors(name):
        client.update_secret_version_stage(
            SecretId=name, VersionStage=label, RemoveFromVersionId=version_id
        )
