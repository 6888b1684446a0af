"""``secrets-adapter aws bootstrap``: the customer KMS key, the (empty) secrets, and the policy.

Idempotent: the key is found again by its alias, a secret that exists is left as it is. Secrets
are created without a value — ``secrets-adapter migrate apply`` writes the real ones — so no
placeholder ever looks like a credential. Talks to AWS through the boto3 clients it is given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from secrets_adapter.policy.aws_iam import app_policy_for_arns, key_policy, qualified_names

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient

__all__ = ["BootstrapReport", "SecretOutcome", "bootstrap", "qualified_names"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretOutcome:
    name: str
    arn: str
    created: bool
    kms_key_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BootstrapReport:
    key_arn: str
    key_created: bool
    alias: str
    rotation_enabled: bool
    secrets: tuple[SecretOutcome, ...]
    policy: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key_arn": self.key_arn,
            "key_created": self.key_created,
            "alias": self.alias,
            "rotation_enabled": self.rotation_enabled,
            "secrets": [
                {"name": s.name, "arn": s.arn, "created": s.created, "kms_key_id": s.kms_key_id}
                for s in self.secrets
            ],
            "policy": self.policy,
        }


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _ensure_key(
    kms: KMSClient, alias: str, description: str, tags: Mapping[str, str]
) -> tuple[str, bool]:
    try:
        found = kms.describe_key(KeyId=alias)["KeyMetadata"]
        return found["Arn"], False
    except Exception as exc:
        if _error_code(exc) != "NotFoundException":
            raise
    created = kms.create_key(
        Description=description,
        KeyUsage="ENCRYPT_DECRYPT",
        KeySpec="SYMMETRIC_DEFAULT",
        Tags=[{"TagKey": k, "TagValue": v} for k, v in tags.items()],
    )["KeyMetadata"]
    kms.create_alias(AliasName=alias, TargetKeyId=created["KeyId"])
    return created["Arn"], True


def _ensure_secret(
    client: SecretsManagerClient, name: str, key_arn: str, tags: Mapping[str, str]
) -> SecretOutcome:
    try:
        found = client.describe_secret(SecretId=name)
        return SecretOutcome(
            name=name, arn=found["ARN"], created=False, kms_key_id=found.get("KmsKeyId")
        )
    except Exception as exc:
        if _error_code(exc) != "ResourceNotFoundException":
            raise
    created = client.create_secret(
        Name=name,
        KmsKeyId=key_arn,
        Description="Created by secrets-adapter aws bootstrap; migrate apply writes the value.",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    return SecretOutcome(name=name, arn=created["ARN"], created=True, kms_key_id=key_arn)


def bootstrap(
    kms: KMSClient,
    secretsmanager: SecretsManagerClient,
    *,
    names: Sequence[str],
    alias: str,
    region: str,
    app_role_arn: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> BootstrapReport:
    """Create (or find) the key with rotation on, the secrets under it, and the app's policy."""
    if not alias.startswith("alias/"):
        raise ValueError("the KMS alias must start with alias/")
    labels = {"managed-by": "secrets-adapter", **(tags or {})}
    key_arn, key_created = _ensure_key(kms, alias, "secrets-adapter: encrypts app secrets", labels)
    account_id = key_arn.split(":")[4]
    partition = key_arn.split(":")[1]
    kms.put_key_policy(
        KeyId=key_arn,
        PolicyName="default",
        Policy=json.dumps(key_policy(account_id, region, app_role_arn, partition)),
    )
    kms.enable_key_rotation(KeyId=key_arn)
    rotation = kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"]
    outcomes = tuple(_ensure_secret(secretsmanager, name, key_arn, labels) for name in names)
    policy = app_policy_for_arns(
        [item.arn for item in outcomes], kms_key_arn=key_arn, region=region
    )
    return BootstrapReport(
        key_arn=key_arn,
        key_created=key_created,
        alias=alias,
        rotation_enabled=bool(rotation),
        secrets=outcomes,
        policy=policy,
    )
