"""``AwsSecretsManagerProvider``: AWS Secrets Manager through boto3, encrypted with a KMS key.

Credentials come from boto3's standard chain (environment, profile, web identity/IRSA, instance
role). Names may be given as AWS users type them: a name, a full ARN or a partial ARN. Every SDK
call runs inside ``translate_aws_errors`` (one table, ``aws_errors.py``). The rest lives beside
this file, one concern each: the client and its retries (``aws_client``), values and ids
(``aws_codec``), staging labels (``aws_stages``), batches (``aws_batch``), the rotation lease
(``aws_lease``) and managed rotation (``aws_rotation``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from secrets_adapter.clock import WallClock, utcnow
from secrets_adapter.config import AwsSettings
from secrets_adapter.errors import (
    AccessDeniedError,
    ConflictError,
    SecretNotFoundError,
    SecretsAdapterError,
    SecretScheduledForDeletionError,
)
from secrets_adapter.events import Listener
from secrets_adapter.models import (
    DEFAULT_RECOVERY_WINDOW,
    Secret,
    SecretMetadata,
    SecretValue,
    Stage,
    VersionInfo,
)
from secrets_adapter.providers import aws_lease, aws_stages, aws_writes
from secrets_adapter.providers.aws_batch import (
    BATCH_LIMIT,
    DEFAULT_WRITE_CONCURRENCY,
    batch_get,
    valid_names,
)
from secrets_adapter.providers.aws_client import (
    ThrottleWatch,
    aws_session,
    client_config,
    guard_sdk_logging,
)
from secrets_adapter.providers.aws_codec import (
    check_token,
    secret_id,
    value_fields,
    value_of,
    whole_days,
)
from secrets_adapter.providers.aws_errors import translate_aws_errors
from secrets_adapter.providers.aws_rotation import managed_rotation, rotation_rules
from secrets_adapter.providers.aws_stages import (
    AWS_STAGE,
    aws_label,
    stages_of,
    version_info,
)
from secrets_adapter.providers.base import BatchResult, PutResult, put_concurrently

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_secretsmanager.type_defs import TagTypeDef

__all__ = [
    "BATCH_LIMIT",
    "AwsSecretsManagerProvider",
    "aws_session",
    "client_config",
    "guard_sdk_logging",
]


def _creation_order(info: VersionInfo) -> tuple[bool, float]:
    """Oldest first; versions AWS gave no date sort last, in the order AWS listed them."""
    return (info.created_at is None, info.created_at.timestamp() if info.created_at else 0.0)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


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
        rotation_lambda_arn: str | None = None,
        max_attempts: int = 3,
        write_concurrency: int = DEFAULT_WRITE_CONCURRENCY,
        clock: WallClock = utcnow,
    ) -> None:
        guard_sdk_logging()
        self._client = client
        self._kms_key_id = kms_key_id
        self._create_tags = dict(create_tags or {})
        self._owns_client = owns_client
        self._region = region or client.meta.region_name
        self._rotation_lambda_arn = rotation_lambda_arn
        self._write_concurrency = write_concurrency
        self._clock = clock  # lease expiry only: AWS stamps everything else
        self._batch_allowed = True
        self._throttles = ThrottleWatch(max_attempts=max_attempts)
        self._throttles.attach(client)

    @classmethod
    def from_settings(
        cls, settings: AwsSettings, *, clock: WallClock = utcnow
    ) -> AwsSecretsManagerProvider:
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
            rotation_lambda_arn=settings.rotation_lambda_arn,
            max_attempts=settings.max_attempts,
            clock=clock,
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

    def subscribe(self, listener: Listener) -> None:
        """Receive a ``ThrottleEvent`` for every throttled answer (the adapter subscribes its
        event bus, so throttling has its own metric)."""
        self._throttles.subscribe(listener)

    # --- reads ---------------------------------------------------------------------------------

    def get(
        self, name: str, *, version: str | None = None, stage: Stage | str = Stage.CURRENT
    ) -> Secret:
        """The secret at ``version``, else at ``stage``: a stage, its AWS name (``AWSPENDING``)
        or any custom staging label. A label on no version is ``SecretNotFoundError``."""
        secret_id(name)
        selector: dict[str, str] = (
            {"VersionId": version} if version is not None else {"VersionStage": aws_label(stage)}
        )
        with translate_aws_errors(name):
            response = self._client.get_secret_value(SecretId=name, **selector)
        try:
            return self._secret(name, response)
        except SecretsAdapterError:
            del response  # frames: as in _value_of
            raise

    def get_labelled(self, name: str, label: str) -> Secret:
        """The version carrying ``label`` (``LabelledProvider``: custom labels by name)."""
        return self.get(name, stage=label)

    def _secret(self, name: str, entry: Mapping[str, Any]) -> Secret:
        try:
            value = value_of(entry)
        except SecretsAdapterError:
            del entry  # frames: as in value_of
            raise
        return Secret(
            name=name,
            value=value,
            version_id=str(entry["VersionId"]),
            stages=stages_of(entry.get("VersionStages")),
            created_at=entry.get("CreatedDate"),
        )

    def get_many(self, names: Sequence[str]) -> BatchResult:
        """Current versions via ``BatchGetSecretValue`` in chunks of 20; a caller without that
        permission falls back to one ``GetSecretValue`` per name."""
        result: BatchResult = {}
        wanted = valid_names(names, result)
        for start in range(0, len(wanted), BATCH_LIMIT):
            chunk = wanted[start : start + BATCH_LIMIT]
            if self._batch_allowed:
                try:
                    result.update(batch_get(self._client, chunk, self._secret))
                    continue
                except AccessDeniedError:
                    self._batch_allowed = False
            for name in chunk:
                try:
                    result[name] = self.get(name)
                except SecretsAdapterError as exc:
                    result[name] = exc
        return result

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
        secret_id(name)
        token = str(uuid.uuid4())
        if expected_current is not None:
            return aws_writes.checked_put(self._client, name, value, token, expected_current)
        with translate_aws_errors(name):
            try:
                response = self._client.put_secret_value(
                    SecretId=name, ClientRequestToken=token, **value_fields(value)
                )
            except ClientError as exc:
                if _code(exc) != "ResourceNotFoundException":
                    raise
                return self._create(name, value, token)
        return VersionInfo(
            name=name,
            version_id=response["VersionId"],
            stages=stages_of(response.get("VersionStages")) or frozenset({Stage.CURRENT}),
        )

    def put_many(self, items: Mapping[str, SecretValue]) -> PutResult:
        """``put`` each item, at most ``write_concurrency`` (default 8) at a time: AWS has no
        batch write. Each name gets its new version or its own error; none stops the others."""
        return put_concurrently(self.put, items, workers=self._write_concurrency)

    def _create(self, name: str, value: SecretValue, token: str) -> VersionInfo:
        return aws_writes.create(
            self._client,
            name,
            value,
            token,
            kms_key_id=self._kms_key_id,
            tags=self._create_tags,
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
        secret_id(name)
        check_token(token, name)
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
                    **value_fields(value),
                )
                stages = stages_of(response.get("VersionStages"))
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
            aws_writes.drop_label(self._client, name, label, token)
        return VersionInfo(name=name, version_id=token, stages=stages)

    def move_stage(
        self,
        name: str,
        stage: Stage,
        *,
        to_version: str | None,
        from_version: str | None = None,
    ) -> None:
        aws_stages.move_stage(
            self._client,
            self.describe(name),
            stage,
            to_version=to_version,
            from_version=from_version,
        )

    def describe(self, name: str) -> SecretMetadata:
        secret_id(name)
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
        return aws_stages.all_versions(self._client, name)

    @staticmethod
    def _labelled_versions(name: str, labels: Mapping[str, list[str]]) -> list[VersionInfo]:
        return [
            version_info(name, {"VersionId": vid, "VersionStages": stages})
            for vid, stages in labels.items()
        ]

    def set_tags(self, name: str, tags: Mapping[str, str]) -> None:
        secret_id(name)
        to_set: list[TagTypeDef] = [{"Key": k, "Value": v} for k, v in tags.items() if v != ""]
        to_remove = [k for k, v in tags.items() if v == ""]
        managed = managed_rotation(name, tags, default_lambda_arn=self._rotation_lambda_arn)
        with translate_aws_errors(name):
            if to_set:
                self._client.tag_resource(SecretId=name, Tags=to_set)
            if to_remove:
                self._client.untag_resource(SecretId=name, TagKeys=to_remove)
        if managed is not None:  # ``rotation configure`` with a Lambda: AWS rotates on schedule
            self.configure_rotation(name, lambda_arn=managed.lambda_arn, every=managed.every)

    def delete(
        self,
        name: str,
        *,
        recovery_window: timedelta = DEFAULT_RECOVERY_WINDOW,
        force: bool = False,
    ) -> None:
        """``DeleteSecret`` with ``RecoveryWindowInDays``, or ``ForceDeleteWithoutRecovery``
        (AWS answers success for a missing name when forced, so existence is checked first)."""
        secret_id(name)
        with translate_aws_errors(name):
            if force:
                self._client.describe_secret(SecretId=name)
                self._client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
            else:
                days = whole_days(recovery_window, name)
                self._client.delete_secret(SecretId=name, RecoveryWindowInDays=days)

    def restore(self, name: str) -> None:
        secret_id(name)
        with translate_aws_errors(name):
            self._client.restore_secret(SecretId=name)

    # --- the rotation lease (see ``aws_lease``) ---------------------------------------------------

    def acquire_rotation_lease(self, name: str, *, owner: str, ttl: timedelta) -> bool:
        """Take the rotation lease of ``name`` for ``ttl``: ``AWSPENDING`` moved by a
        check-and-set onto a lease version. False when another owner holds an unexpired lease
        (True again for the owner that holds it); an expired one is taken over."""
        secret_id(name)
        with translate_aws_errors(name):
            versions = list(self._all_versions(name))
        return aws_lease.acquire_lease(
            self._client,
            name,
            owner=owner,
            ttl=ttl,
            versions=versions,
            current_value=lambda: value_fields(self.get(name).value),
            now=self._clock(),
        )

    def release_rotation_lease(self, name: str, *, owner: str) -> None:
        """Give back ``owner``'s lease: ``AWSPENDING`` returns to the current version if the
        lease version still holds it. A lease not held (or taken over) is left alone."""
        secret_id(name)
        with translate_aws_errors(name):
            versions = list(self._all_versions(name))
        aws_lease.release_lease(self._client, name, owner=owner, versions=versions)

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
        ``every`` (whole days, or whole hours as ``rate(N hours)``) or a ``rate()``/``cron()``
        ``schedule_expression``. Returns the id of the version the rotation creates, if any."""
        secret_id(name)
        rules = rotation_rules(
            name, every=every, schedule_expression=schedule_expression, window=window
        )
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
        secret_id(name)
        with translate_aws_errors(name):
            self._client.cancel_rotate_secret(SecretId=name)
