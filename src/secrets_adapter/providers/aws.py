"""``AwsSecretsManagerProvider``: AWS Secrets Manager through boto3, encrypted with a KMS key.

Credentials come from boto3's standard chain (environment, profile, web identity/IRSA, instance
role). Stages are Secrets Manager's own labels: AWSCURRENT/AWSPENDING/AWSPREVIOUS. Every SDK call
runs inside ``translate_aws_errors`` (one table, ``providers/aws_errors.py``), and the client has
bounded retries and connect/read timeouts so that a hung endpoint cannot hang the caller.

botocore logs request and response bodies (which hold ``SecretString``) at DEBUG level; the
provider pins those loggers to INFO and drops their DEBUG records, so an application that turns
on debug logging does not write its secrets to the log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from secrets_adapter.config import AwsSettings
from secrets_adapter.errors import (
    AccessDeniedError,
    ConfigurationError,
    ConflictError,
    SecretNotFoundError,
    SecretsAdapterError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.models import (
    DEFAULT_RECOVERY_WINDOW,
    Secret,
    SecretMetadata,
    SecretValue,
    Stage,
    VersionInfo,
)
from secrets_adapter.providers.aws_errors import error_for_code, translate_aws_errors
from secrets_adapter.providers.base import BatchResult, check_recovery_window
from secrets_adapter.validation import validate_name

if TYPE_CHECKING:
    from boto3.session import Session
    from botocore.config import Config
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_secretsmanager.type_defs import RotationRulesTypeTypeDef, TagTypeDef

__all__ = [
    "BATCH_LIMIT",
    "AwsSecretsManagerProvider",
    "aws_session",
    "client_config",
    "guard_sdk_logging",
]

BATCH_LIMIT = 20
"""``BatchGetSecretValue`` takes at most 20 secret ids per call."""

AWS_STAGE = {
    Stage.CURRENT: "AWSCURRENT",
    Stage.PENDING: "AWSPENDING",
    Stage.PREVIOUS: "AWSPREVIOUS",
}
_STAGE_OF = {label: stage for stage, label in AWS_STAGE.items()}
_TOKEN_LENGTH = (32, 64)
_STAGE_MOVED = frozenset({"InvalidParameterException"})
_BODY_LOGGERS = ("botocore.endpoint", "botocore.parsers", "botocore.awsrequest")


class _DropDebug(logging.Filter):
    """Refuses DEBUG records on a botocore logger that would print request or response bodies."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def guard_sdk_logging() -> None:
    """Keep botocore's body-logging loggers above DEBUG, whatever the root logger's level."""
    for logger_name in _BODY_LOGGERS:
        logger = logging.getLogger(logger_name)
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
        if not any(isinstance(f, _DropDebug) for f in logger.filters):
            logger.addFilter(_DropDebug())


def _stages(labels: Sequence[str] | None) -> frozenset[Stage]:
    return frozenset(_STAGE_OF[label] for label in labels or () if label in _STAGE_OF)


def _value_fields(value: SecretValue) -> dict[str, Any]:
    if value.is_binary:
        return {"SecretBinary": value.reveal_bytes()}
    return {"SecretString": value.reveal_text()}


def _value_of(entry: Mapping[str, Any]) -> SecretValue:
    try:
        if entry.get("SecretBinary") is not None:
            return SecretValue.from_stored(bytes(entry["SecretBinary"]), binary=True)
        return SecretValue(str(entry.get("SecretString", "")))
    except SecretsAdapterError:
        del entry  # frames: the response holds the value; an error reporter prints locals
        raise


def _creation_order(info: VersionInfo) -> tuple[bool, float]:
    """Oldest first; versions AWS gave no date sort last, in the order AWS listed them."""
    return (info.created_at is None, info.created_at.timestamp() if info.created_at else 0.0)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _check_token(token: str, name: str) -> str:
    low, high = _TOKEN_LENGTH
    if not isinstance(token, str) or not low <= len(token) <= high:
        raise ValidationError(
            f"Invalid version token for secret {name!r}: AWS needs {low}-{high} characters "
            "(a UUID4 string works).",
            secret_name=name,
        )
    return token


def _whole_days(window: timedelta, name: str) -> int:
    check_recovery_window(window, name=name)
    if window % timedelta(days=1):
        raise ValidationError(
            f"Invalid recovery window for secret {name!r}: AWS counts it in whole days "
            f"(got {window}).",
            secret_name=name,
        )
    return window.days


def aws_session(settings: AwsSettings) -> Session:
    """A boto3 session on the standard credential chain, with the configured profile and region."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        session = boto3.session.Session(profile_name=settings.profile, region_name=settings.region)
    except ProfileNotFound:
        raise ConfigurationError(
            f"The AWS profile {settings.profile!r} is not in ~/.aws/config or ~/.aws/credentials."
        ) from None
    if session.region_name is None:
        raise ConfigurationError("No AWS region configured: set AWS_REGION or pass region=...")
    return session


def client_config(settings: AwsSettings) -> Config:
    """botocore ``Config``: standard retry mode, bounded attempts, connect and read timeouts."""
    from botocore.config import Config

    if settings.max_attempts < 1:
        raise ConfigurationError("AWS max_attempts must be at least 1.")
    return Config(
        retries={"mode": "standard", "max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        user_agent_extra="secrets-adapter",
    )


class AwsSecretsManagerProvider:
    """A ``VersionedProvider`` over AWS Secrets Manager; new secrets are encrypted with
    ``kms_key_id`` (else the account's ``aws/secretsmanager`` key) and carry ``create_tags``."""

    def __init__(
        self,
        client: SecretsManagerClient,
        *,
        kms_key_id: str | None = None,
        create_tags: Mapping[str, str] | None = None,
        owns_client: bool = False,
        region: str | None = None,
    ) -> None:
        guard_sdk_logging()
        self._client = client
        self._kms_key_id = kms_key_id
        self._create_tags = dict(create_tags or {})
        self._owns_client = owns_client
        self._region = region or client.meta.region_name
        self._batch_allowed = True

    @classmethod
    def from_settings(cls, settings: AwsSettings) -> AwsSecretsManagerProvider:
        """Build the boto3 client from settings (the standard credential chain applies)."""
        return cls(
            aws_session(settings).client(
                "secretsmanager",
                endpoint_url=settings.endpoint_url,
                config=client_config(settings),
            ),
            kms_key_id=settings.kms_key_id,
            owns_client=True,
            region=settings.region,
        )

    @property
    def kind(self) -> str:
        return "aws"

    @property
    def client(self) -> SecretsManagerClient:
        return self._client

    def __repr__(self) -> str:
        return (
            f"AwsSecretsManagerProvider(region={self._region!r}, "
            f"endpoint={self._client.meta.endpoint_url!r}, kms_key_id={self._kms_key_id!r})"
        )

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    # --- reads ---------------------------------------------------------------------------------

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        validate_name(name)
        selector: dict[str, str] = (
            {"VersionId": version} if version is not None else {"VersionStage": AWS_STAGE[stage]}
        )
        with translate_aws_errors(name):
            response = self._client.get_secret_value(SecretId=name, **selector)
        try:
            return self._secret(name, response)
        except SecretsAdapterError:
            del response  # frames: as in _value_of
            raise

    def _secret(self, name: str, entry: Mapping[str, Any]) -> Secret:
        try:
            value = _value_of(entry)
        except SecretsAdapterError:
            del entry  # frames: as in _value_of
            raise
        return Secret(
            name=name,
            value=value,
            version_id=str(entry["VersionId"]),
            stages=_stages(entry.get("VersionStages")),
            created_at=entry.get("CreatedDate"),
        )

    def get_many(self, names: Sequence[str]) -> BatchResult:
        """Current versions via ``BatchGetSecretValue`` in chunks of 20; a caller without that
        permission falls back to one ``GetSecretValue`` per name."""
        result: BatchResult = {}
        wanted: list[str] = []
        for name in dict.fromkeys(names):
            try:
                wanted.append(validate_name(name))
            except ValidationError as exc:
                result[name] = exc
        for start in range(0, len(wanted), BATCH_LIMIT):
            chunk = wanted[start : start + BATCH_LIMIT]
            if self._batch_allowed:
                try:
                    result.update(self._batch(chunk))
                    continue
                except AccessDeniedError:
                    self._batch_allowed = False
            for name in chunk:
                try:
                    result[name] = self.get(name)
                except SecretsAdapterError as exc:
                    result[name] = exc
        return result

    def _batch(self, chunk: list[str]) -> BatchResult:
        found: BatchResult = {}
        pages: dict[str, Any] = {}
        while True:
            with translate_aws_errors(None):
                response = self._client.batch_get_secret_value(SecretIdList=chunk, **pages)
            for entry in response.get("SecretValues", []):
                name = str(entry.get("Name", ""))
                try:
                    found[name] = self._secret(name, entry)
                except SecretsAdapterError as exc:  # that name's own error, without the frames
                    found[name] = exc.with_traceback(None)  # (whose locals hold the response)
            for error in response.get("Errors", []):
                name = str(error.get("SecretId", ""))
                found[name] = error_for_code(
                    str(error.get("ErrorCode", "")), str(error.get("Message", "")), name=name
                )
            token = response.get("NextToken")
            if not token:
                break
            pages = {"NextToken": token}
        for name in chunk:
            if name not in found:
                found[name] = SecretNotFoundError(
                    f"Secret {name!r} was not in AWS's batch answer.",
                    secret_name=name,
                    provider=self.kind,
                )
        return {name: found[name] for name in chunk}

    def list_names(self, prefix: str = "") -> list[str]:
        params: dict[str, Any] = {"IncludePlannedDeletion": False}
        if prefix:
            params["Filters"] = [{"Key": "name", "Values": [prefix]}]
        names: set[str] = set()
        with translate_aws_errors(None):
            for page in self._client.get_paginator("list_secrets").paginate(**params):
                for entry in page.get("SecretList", []):
                    name = entry.get("Name", "")
                    if name.startswith(prefix) and entry.get("DeletedDate") is None:
                        names.add(name)
        return sorted(names)

    # --- writes --------------------------------------------------------------------------------

    def put(
        self, name: str, value: SecretValue, *, expected_current: str | None = None
    ) -> VersionInfo:
        """A new current version. The ``ClientRequestToken`` is generated once, so botocore's
        retries (and the create fallback) cannot make two versions of one write."""
        validate_name(name)
        token = str(uuid.uuid4())
        if expected_current is not None:
            return self._checked_put(name, value, token, expected_current)
        with translate_aws_errors(name):
            try:
                response = self._client.put_secret_value(
                    SecretId=name, ClientRequestToken=token, **_value_fields(value)
                )
            except ClientError as exc:
                if _code(exc) != "ResourceNotFoundException":
                    raise
                return self._create(name, value, token)
        return VersionInfo(
            name=name,
            version_id=response["VersionId"],
            stages=_stages(response.get("VersionStages")) or frozenset({Stage.CURRENT}),
        )

    def _create(self, name: str, value: SecretValue, token: str) -> VersionInfo:
        params: dict[str, Any] = {"Name": name, "ClientRequestToken": token}
        if self._kms_key_id:
            params["KmsKeyId"] = self._kms_key_id
        if self._create_tags:
            params["Tags"] = [{"Key": k, "Value": v} for k, v in self._create_tags.items()]
        with translate_aws_errors(name):
            try:
                version_id = self._client.create_secret(**params, **_value_fields(value)).get(
                    "VersionId"
                )
            except ClientError as exc:
                if _code(exc) != "ResourceExistsException":
                    raise
                # Another writer created it between our PutSecretValue and CreateSecret: the
                # secret exists now, so this write is an ordinary new version (same token).
                version_id = self._client.put_secret_value(
                    SecretId=name, ClientRequestToken=token, **_value_fields(value)
                ).get("VersionId")
        return VersionInfo(
            name=name,
            version_id=version_id or token,
            stages=frozenset({Stage.CURRENT}),
        )

    def _checked_put(
        self, name: str, value: SecretValue, token: str, expected_current: str
    ) -> VersionInfo:
        """Check-and-set: the new version is written under a private label, then AWSCURRENT is
        moved with ``RemoveFromVersionId=expected_current``, which AWS refuses atomically if
        another writer moved it first. The private label is removed either way."""
        label = f"secrets-adapter-cas-{token}"
        try:
            with translate_aws_errors(name):
                self._client.put_secret_value(
                    SecretId=name,
                    ClientRequestToken=token,
                    VersionStages=[label],
                    **_value_fields(value),
                )
        except SecretScheduledForDeletionError:
            raise
        except SecretNotFoundError:
            raise ConflictError(
                f"Secret {name!r} has no current version, not {expected_current!r}: "
                "it was deleted or never created.",
                secret_name=name,
                provider=self.kind,
            ) from None
        try:
            with translate_aws_errors(name, conflict_codes=_STAGE_MOVED):
                self._client.update_secret_version_stage(
                    SecretId=name,
                    VersionStage=AWS_STAGE[Stage.CURRENT],
                    MoveToVersionId=token,
                    RemoveFromVersionId=expected_current,
                )
        finally:
            self._drop_label(name, label, token)
        return VersionInfo(name=name, version_id=token, stages=frozenset({Stage.CURRENT}))

    def _drop_label(self, name: str, label: str, version_id: str) -> None:
        """Best effort: a leftover private label is harmless, so its failure does not mask the
        outcome of the write it belonged to."""
        try:
            with translate_aws_errors(name):
                self._client.update_secret_version_stage(
                    SecretId=name, VersionStage=label, RemoveFromVersionId=version_id
                )
        except SecretsAdapterError:
            logging.getLogger(__name__).warning(
                "Could not remove the private staging label from a version of secret %r.", name
            )

    def put_version(
        self,
        name: str,
        value: SecretValue,
        *,
        token: str,
        stage: Stage | None = Stage.PENDING,
    ) -> VersionInfo:
        """``PutSecretValue`` with ``token`` as ``ClientRequestToken``: the same token and value
        returns the existing version; the same token with another value is a ``ConflictError``."""
        validate_name(name)
        _check_token(token, name)
        try:
            existing = self.get(name, version=token)
        except SecretScheduledForDeletionError:
            raise
        except SecretNotFoundError:
            existing = None
        if existing is not None:
            if existing.value != value:
                raise ConflictError(
                    f"Version {token!r} of secret {name!r} already exists with a different "
                    "value; use a new token for a new value.",
                    secret_name=name,
                    provider=self.kind,
                )
            return existing.version
        label = AWS_STAGE[stage] if stage is not None else f"secrets-adapter-new-{token}"
        with translate_aws_errors(name):
            try:
                response = self._client.put_secret_value(
                    SecretId=name,
                    ClientRequestToken=token,
                    VersionStages=[label],
                    **_value_fields(value),
                )
                stages = _stages(response.get("VersionStages"))
            except ClientError as exc:
                if _code(exc) != "ResourceNotFoundException":
                    raise
                self._create(name, value, token)
                stages = frozenset({Stage.CURRENT})
                if stage not in (None, Stage.CURRENT):
                    self._client.update_secret_version_stage(
                        SecretId=name, VersionStage=label, MoveToVersionId=token
                    )
                    stages |= {stage}
        if stage is None and Stage.CURRENT not in stages:
            self._drop_label(name, label, token)
        return VersionInfo(name=name, version_id=token, stages=stages)

    def move_stage(
        self,
        name: str,
        stage: Stage,
        *,
        to_version: str | None,
        from_version: str | None = None,
    ) -> None:
        meta = self.describe(name)
        if meta.deletion_date is not None:
            raise SecretScheduledForDeletionError(
                f"Secret {name!r} is scheduled for deletion; restore it to change its stages.",
                secret_name=name,
                provider=self.kind,
            )
        holder_info = meta.version_for(stage)
        holder = holder_info.version_id if holder_info else None
        if from_version is not None and holder != from_version:
            raise ConflictError(
                f"Stage {stage.value!r} of secret {name!r} is on version {holder!r}, not "
                f"{from_version!r}: another writer moved it; re-read and try again.",
                secret_name=name,
                provider=self.kind,
            )
        if to_version is not None and to_version not in {v.version_id for v in meta.versions}:
            raise SecretNotFoundError(
                f"Secret {name!r} has no version {to_version!r}.",
                secret_name=name,
                provider=self.kind,
            )
        if to_version is None and stage is Stage.CURRENT:
            raise ValidationError(
                f"Cannot remove stage 'current' from secret {name!r}: move it to another version.",
                secret_name=name,
            )
        if holder == to_version:
            return
        params: dict[str, str] = {"SecretId": name, "VersionStage": AWS_STAGE[stage]}
        if holder is not None:
            params["RemoveFromVersionId"] = holder
        if to_version is not None:
            params["MoveToVersionId"] = to_version
        with translate_aws_errors(name, conflict_codes=_STAGE_MOVED):
            self._client.update_secret_version_stage(**params)

    def describe(self, name: str) -> SecretMetadata:
        validate_name(name)
        with translate_aws_errors(name):
            described = self._client.describe_secret(SecretId=name)
            deleted = described.get("DeletedDate")
            versions = (
                self._labelled_versions(name, described.get("VersionIdsToStages", {}))
                if deleted is not None
                else sorted(self._all_versions(name), key=_creation_order)
            )
        return SecretMetadata(
            name=name,
            versions=tuple(versions),
            created_at=described.get("CreatedDate"),
            updated_at=described.get("LastChangedDate"),
            deletion_date=deleted,
            description=described.get("Description", ""),
            tags={tag["Key"]: tag.get("Value", "") for tag in described.get("Tags", [])},
        )

    def _all_versions(self, name: str) -> Iterator[VersionInfo]:
        pages: dict[str, Any] = {}
        while True:
            page = self._client.list_secret_version_ids(
                SecretId=name, IncludeDeprecated=True, **pages
            )
            for entry in page.get("Versions", []):
                yield VersionInfo(
                    name=name,
                    version_id=entry["VersionId"],
                    stages=_stages(entry.get("VersionStages")),
                    created_at=entry.get("CreatedDate"),
                )
            token = page.get("NextToken")
            if not token:
                return
            pages = {"NextToken": token}

    @staticmethod
    def _labelled_versions(name: str, labels: Mapping[str, list[str]]) -> list[VersionInfo]:
        return [
            VersionInfo(name=name, version_id=vid, stages=_stages(stages))
            for vid, stages in labels.items()
        ]

    def set_tags(self, name: str, tags: Mapping[str, str]) -> None:
        validate_name(name)
        to_set: list[TagTypeDef] = [{"Key": k, "Value": v} for k, v in tags.items() if v != ""]
        to_remove = [k for k, v in tags.items() if v == ""]
        with translate_aws_errors(name):
            if to_set:
                self._client.tag_resource(SecretId=name, Tags=to_set)
            if to_remove:
                self._client.untag_resource(SecretId=name, TagKeys=to_remove)

    def delete(
        self,
        name: str,
        *,
        recovery_window: timedelta = DEFAULT_RECOVERY_WINDOW,
        force: bool = False,
    ) -> None:
        """``DeleteSecret`` with ``RecoveryWindowInDays``, or ``ForceDeleteWithoutRecovery``
        (AWS answers success for a missing name when forced, so existence is checked first)."""
        validate_name(name)
        with translate_aws_errors(name):
            if force:
                self._client.describe_secret(SecretId=name)
                self._client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
            else:
                days = _whole_days(recovery_window, name)
                self._client.delete_secret(SecretId=name, RecoveryWindowInDays=days)

    def restore(self, name: str) -> None:
        validate_name(name)
        with translate_aws_errors(name):
            self._client.restore_secret(SecretId=name)

    # --- rotation configuration ---------------------------------------------------------------

    def configure_rotation(
        self,
        name: str,
        *,
        lambda_arn: str,
        every: timedelta | None = None,
        schedule_expression: str | None = None,
        window: timedelta | None = None,
        rotate_immediately: bool = False,
    ) -> str | None:
        """Turn on managed rotation (``RotateSecret``) with a rotation Lambda and a schedule:
        ``every`` (whole days) or a ``rate()``/``cron()`` ``schedule_expression``. Returns the
        id of the version the rotation creates, if AWS started one."""
        validate_name(name)
        if (every is None) == (schedule_expression is None):
            raise ValidationError(
                "Give exactly one of every=timedelta(days=N) or schedule_expression='rate(...)'.",
                secret_name=name,
            )
        rules: RotationRulesTypeTypeDef = {}
        if every is not None:
            if every < timedelta(days=1) or every % timedelta(days=1):
                raise ValidationError(
                    f"Rotation interval for secret {name!r} must be whole days (got {every}).",
                    secret_name=name,
                )
            rules["AutomaticallyAfterDays"] = every.days
        elif schedule_expression is not None:
            rules["ScheduleExpression"] = schedule_expression
        if window is not None:
            hours = int(window.total_seconds() // 3600)
            if hours < 1 or window % timedelta(hours=1):
                raise ValidationError(
                    f"Rotation window for secret {name!r} must be whole hours (got {window}).",
                    secret_name=name,
                )
            rules["Duration"] = f"{hours}h"
        with translate_aws_errors(name):
            response = self._client.rotate_secret(
                SecretId=name,
                ClientRequestToken=str(uuid.uuid4()),
                RotationLambdaARN=lambda_arn,
                RotationRules=rules,
                RotateImmediately=rotate_immediately,
            )
        return response.get("VersionId")

    def cancel_rotation(self, name: str) -> None:
        """Turn off managed rotation (``CancelRotateSecret``)."""
        validate_name(name)
        with translate_aws_errors(name):
            self._client.cancel_rotate_secret(SecretId=name)
