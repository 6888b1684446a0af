"""Writes that need more than one call: creating a secret (with its KMS key and tags, racing
another creator), and the check-and-set ``put(..., expected_current=v)``. Pure client calls."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from secrets_adapter.errors import (
    ConflictError,
    SecretNotFoundError,
    SecretsAdapterError,
    SecretScheduledForDeletionError,
)
from secrets_adapter.models import SecretValue, Stage, VersionInfo
from secrets_adapter.providers.aws_codec import value_fields, warn_if_suffix_like
from secrets_adapter.providers.aws_errors import PROVIDER, translate_aws_errors
from secrets_adapter.providers.aws_stages import AWS_STAGE

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

__all__ = ["checked_put", "create", "drop_label"]

_STAGE_MOVED = frozenset({"InvalidParameterException"})


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def create(
    client: SecretsManagerClient,
    name: str,
    value: SecretValue,
    token: str,
    *,
    kms_key_id: str | None,
    tags: Mapping[str, str],
) -> VersionInfo:
    """``CreateSecret`` (same ``token``, so a retry makes no second version); if another writer
    created it first, the write becomes an ordinary new version."""
    if name.startswith("arn:"):
        raise SecretNotFoundError(
            f"Secret {name!r} does not exist, and a new secret is created by name, not ARN.",
            secret_name=name,
            provider=PROVIDER,
        )
    warn_if_suffix_like(name)
    params: dict[str, Any] = {"Name": name, "ClientRequestToken": token}
    if kms_key_id:
        params["KmsKeyId"] = kms_key_id
    if tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    with translate_aws_errors(name):
        try:
            version_id = client.create_secret(**params, **value_fields(value)).get("VersionId")
        except ClientError as exc:
            if _code(exc) != "ResourceExistsException":
                raise
            # Another writer created it between our PutSecretValue and CreateSecret: the
            # secret exists now, so this write is an ordinary new version (same token).
            version_id = client.put_secret_value(
                SecretId=name, ClientRequestToken=token, **value_fields(value)
            ).get("VersionId")
    return VersionInfo(name=name, version_id=version_id or token, stages=frozenset({Stage.CURRENT}))


def checked_put(
    client: SecretsManagerClient,
    name: str,
    value: SecretValue,
    token: str,
    expected_current: str,
) -> VersionInfo:
    """Check-and-set: the new version is written under a private label, then AWSCURRENT is
    moved with ``RemoveFromVersionId=expected_current``, which AWS refuses atomically if
    another writer moved it first. The private label is removed either way."""
    label = f"secrets-adapter-cas-{token}"
    try:
        with translate_aws_errors(name):
            client.put_secret_value(
                SecretId=name,
                ClientRequestToken=token,
                VersionStages=[label],
                **value_fields(value),
            )
    except SecretScheduledForDeletionError:
        raise
    except SecretNotFoundError:
        raise ConflictError(
            f"Secret {name!r} has no current version, not {expected_current!r}: "
            "it was deleted or never created.",
            secret_name=name,
            provider=PROVIDER,
        ) from None
    try:
        with translate_aws_errors(name, conflict_codes=_STAGE_MOVED):
            client.update_secret_version_stage(
                SecretId=name,
                VersionStage=AWS_STAGE[Stage.CURRENT],
                MoveToVersionId=token,
                RemoveFromVersionId=expected_current,
            )
    finally:
        drop_label(client, name, label, token)
    return VersionInfo(name=name, version_id=token, stages=frozenset({Stage.CURRENT}))


def drop_label(client: SecretsManagerClient, name: str, label: str, version_id: str) -> None:
    """Best effort: a leftover private label is harmless, so its failure does not mask the
    outcome of the write it belonged to."""
    try:
        with translate_aws_errors(name):
            client.update_secret_version_stage(
                SecretId=name, VersionStage=label, RemoveFromVersionId=version_id
            )
    except SecretsAdapterError:
        logging.getLogger(__name__).warning(
            "Could not remove the private staging label from a version of secret %r.", name
        )
