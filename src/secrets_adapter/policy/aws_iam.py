"""Least-privilege IAM for the AWS backend: the policies generated for a scope of secrets.

Pure functions over values; no AWS call. The generated policies:

* the application role's: ``GetSecretValue`` and ``DescribeSecret`` on exactly its secrets, and
  ``kms:Decrypt`` on exactly its key, only when Secrets Manager asks (``kms:ViaService``) — from a
  prefix or names (``app_policy``) or from the exact ARNs ``aws bootstrap`` created
  (``app_policy_for_arns``);
* the rotation/administration role's: writes, stage moves, scheduled deletion (never a forced one:
  ``ForceDeleteWithoutRecovery`` is refused) and rotation configuration on the same secrets,
  ``ListSecrets`` (which has no resource scope), and the key via the service;
* the customer KMS key's own policy (``key_policy``).

One principal's grants in an in-process policy file are rendered by ``aws_iam_grants``; a
policy is checked for breadth by ``aws_iam_check``.

Secrets Manager appends ``-`` and six random characters to every secret's ARN, so the ARN of the
secret named ``gaara/prod/db`` is matched by ``...:secret:gaara/prod/db-??????`` (each ``?`` is one
character: not ``gaara/prod/db-old`` nor ``gaara/prod/db2``) and a prefix by ``...:secret:P/*``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from secrets_adapter.errors import ValidationError
from secrets_adapter.validation import validate_name

__all__ = [
    "ACCOUNT_PATTERN",
    "ACTIONS_WITHOUT_RESOURCE_SCOPE",
    "ARN_SUFFIX",
    "DELETE_CONDITIONS",
    "POLICY_VERSION",
    "REGION_PATTERN",
    "AwsScope",
    "admin_policy",
    "app_policy",
    "app_policy_for_arns",
    "key_policy",
    "qualified_names",
    "secret_resources",
]

POLICY_VERSION = "2012-10-17"
ARN_SUFFIX = "-??????"

ACTIONS_WITHOUT_RESOURCE_SCOPE = frozenset(
    {
        "secretsmanager:ListSecrets",
        "secretsmanager:BatchGetSecretValue",
        "secretsmanager:GetRandomPassword",
    }
)
"""Actions IAM only grants on ``"*"``; each still needs the per-secret permission to do harm
(``BatchGetSecretValue`` checks ``GetSecretValue`` on every secret it returns)."""

_READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
_ADMIN_ACTIONS = (
    "secretsmanager:CreateSecret",
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecretVersionStage",
    "secretsmanager:ListSecretVersionIds",
    "secretsmanager:RestoreSecret",
    "secretsmanager:TagResource",
    "secretsmanager:UntagResource",
    "secretsmanager:RotateSecret",
    "secretsmanager:CancelRotateSecret",
)
_FORCE_KEY = "secretsmanager:ForceDeleteWithoutRecovery"
DELETE_CONDITIONS: dict[frozenset[str], dict[str, Any] | None] = {
    # a request that omits the key (RecoveryWindowInDays, or neither) is a scheduled deletion
    frozenset({"delete"}): {"BoolIfExists": {_FORCE_KEY: "false"}},
    frozenset({"force-delete"}): {"Bool": {_FORCE_KEY: "true"}},
    frozenset({"delete", "force-delete"}): None,
}
"""``DeleteSecret`` is one IAM action for a scheduled and a forced deletion; the
``secretsmanager:ForceDeleteWithoutRecovery`` condition key tells them apart, as the policy file's
``delete`` and ``force-delete`` do."""
ACCOUNT_PATTERN = re.compile(r"\d{12}")
REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_KEY_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):kms:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):key/[A-Za-z0-9-]+"
)


def qualified_names(prefix: str, names: Sequence[str]) -> list[str]:
    """``jwt-secret-key`` → ``gaara/prod/jwt-secret-key`` (as ``SecretsAdapter.qualify``); a name
    with a ``/`` is taken as full. Validated, in the order given."""
    prefix = prefix.strip("/")
    full = [name if "/" in name or not prefix else f"{prefix}/{name}" for name in names]
    return [validate_name(name) for name in full]


@dataclass(frozen=True, slots=True, kw_only=True)
class AwsScope:
    """Which secrets and which key a policy covers.

    ``secrets`` are names; a name without ``/`` gets ``prefix`` like ``SecretsAdapter.qualify``.
    With no ``secrets``, the whole ``prefix`` is covered (``prefix/*``).
    """

    region: str
    account: str
    kms_key_arn: str
    prefix: str = ""
    secrets: tuple[str, ...] = ()
    partition: str = "aws"

    def __post_init__(self) -> None:
        if not REGION_PATTERN.fullmatch(self.region):
            raise ValidationError(f"{self.region!r} is not an AWS region name like eu-west-1.")
        if not ACCOUNT_PATTERN.fullmatch(self.account):
            raise ValidationError(f"{self.account!r} is not a 12-digit AWS account id.")
        key = _KEY_ARN.fullmatch(self.kms_key_arn)
        if key is None:
            raise ValidationError(
                f"{self.kms_key_arn!r} is not a KMS key ARN "
                "(arn:aws:kms:REGION:ACCOUNT:key/KEY-ID; aliases do not scope IAM access)."
            )
        if key["region"] != self.region:
            raise ValidationError(
                f"The KMS key is in {key['region']} but the secrets are in {self.region}: Secrets "
                "Manager only uses a key of the secret's own region (for a multi-Region key, "
                "give the ARN of its replica there)."
            )
        if key["partition"] != self.partition:
            raise ValidationError(
                f"The KMS key is in partition {key['partition']!r} but the policy is for "
                f"{self.partition!r}; pass partition={key['partition']!r}."
            )
        prefix = self.prefix.strip("/")
        if prefix:
            validate_name(prefix)
        object.__setattr__(self, "prefix", prefix)
        if not prefix and not self.secrets:
            raise ValidationError(
                "Give a prefix or at least one secret: a policy over every secret in the "
                "account is not least privilege."
            )

    def qualified_names(self) -> list[str]:
        return sorted(set(qualified_names(self.prefix, self.secrets)))

    @property
    def via_service(self) -> str:
        return f"secretsmanager.{self.region}.amazonaws.com"


def secret_resources(scope: AwsScope) -> list[str]:
    """The secret ARNs a policy names: one per secret, or the prefix's subtree."""
    base = f"arn:{scope.partition}:secretsmanager:{scope.region}:{scope.account}:secret:"
    if scope.secrets:
        return [f"{base}{name}{ARN_SUFFIX}" for name in scope.qualified_names()]
    return [f"{base}{scope.prefix}/*"]


def _key_via_secrets_manager(scope: AwsScope, sid: str, actions: Sequence[str]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions) if len(actions) > 1 else actions[0],
        "Resource": scope.kms_key_arn,
        "Condition": {"StringEquals": {"kms:ViaService": scope.via_service}},
    }


def _read_and_decrypt(
    resources: Sequence[str], kms_key_arn: str, via_service: str
) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "ReadAppSecrets",
            "Effect": "Allow",
            "Action": list(_READ_ACTIONS),
            "Resource": list(resources),
        },
        {
            "Sid": "DecryptAppSecretsViaSecretsManager",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": kms_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": via_service}},
        },
    ]


def app_policy(
    scope: AwsScope, *, allow_batch: bool = False, allow_envelope: bool = False
) -> dict[str, Any]:
    """The application role's policy: read exactly its secrets, decrypt via Secrets Manager.

    ``allow_batch`` adds ``BatchGetSecretValue`` (IAM grants it only on ``*``; without it the
    provider falls back to one read per secret). ``allow_envelope`` lets the app use the key
    directly for the envelope helper, and only with an encryption context.
    """
    statements = _read_and_decrypt(secret_resources(scope), scope.kms_key_arn, scope.via_service)
    if allow_batch:
        statements.append(
            {
                "Sid": "BatchReadChecksGetSecretValuePerSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:BatchGetSecretValue",
                "Resource": "*",
            }
        )
    if allow_envelope:
        statements.append(
            {
                "Sid": "EnvelopeEncryptionWithContext",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": scope.kms_key_arn,
                "Condition": {"Null": {"kms:EncryptionContextKeys": "false"}},
            }
        )
    return {"Version": POLICY_VERSION, "Statement": statements}


def app_policy_for_arns(
    secret_arns: Sequence[str], *, kms_key_arn: str, region: str
) -> dict[str, Any]:
    """``app_policy`` over secrets that exist: their full ARNs (random suffix included), as
    ``aws bootstrap`` knows them after creating them. No wildcard anywhere."""
    if not secret_arns:
        raise ValidationError("A policy needs at least one secret ARN.")
    if any("*" in arn or "?" in arn for arn in (*secret_arns, kms_key_arn)):
        raise ValidationError("Least privilege: no wildcard in a resource ARN.")
    if not REGION_PATTERN.fullmatch(region):
        raise ValidationError(f"{region!r} is not an AWS region name like eu-west-1.")
    statements = _read_and_decrypt(
        sorted(set(secret_arns)), kms_key_arn, f"secretsmanager.{region}.amazonaws.com"
    )
    return {"Version": POLICY_VERSION, "Statement": statements}


def admin_policy(scope: AwsScope) -> dict[str, Any]:
    """The rotation/administration role's policy, over the same secrets and key."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "ManageAppSecrets",
                "Effect": "Allow",
                "Action": list(_ADMIN_ACTIONS),
                "Resource": secret_resources(scope),
            },
            {
                "Sid": "ScheduleDeletionOnlyWithARecoveryWindow",
                "Effect": "Allow",
                "Action": "secretsmanager:DeleteSecret",
                "Resource": secret_resources(scope),
                "Condition": DELETE_CONDITIONS[frozenset({"delete"})],
            },
            {
                "Sid": "ListSecretsHasNoResourceScope",
                "Effect": "Allow",
                "Action": "secretsmanager:ListSecrets",
                "Resource": "*",
            },
            _key_via_secrets_manager(
                scope, "UseKeyViaSecretsManager", ["kms:Decrypt", "kms:GenerateDataKey"]
            ),
        ],
    }


# --- the customer key's policy -------------------------------------------------------------------


def key_policy(
    account_id: str, region: str, app_role_arn: str | None = None, partition: str = "aws"
) -> dict[str, Any]:
    """The customer key's policy: the account administers it (so it can never become
    unmanageable); the app role, if given, may decrypt through Secrets Manager only."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if app_role_arn:
        statements.append(
            {
                "Sid": "AppDecryptsThroughSecretsManagerOnly",
                "Effect": "Allow",
                "Principal": {"AWS": app_role_arn},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"secretsmanager.{region}.amazonaws.com",
                        "kms:CallerAccount": account_id,
                    }
                },
            }
        )
    return {"Version": POLICY_VERSION, "Statement": statements}
