"""One principal's grants from an in-process policy file, rendered as an IAM policy, so that the
cloud side and the adapter's ``Authorizer`` say the same thing. Pure; no AWS call."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from secrets_adapter.errors import ValidationError
from secrets_adapter.policy.aws_iam import (
    ACCOUNT_PATTERN,
    ARN_SUFFIX,
    DELETE_CONDITIONS,
    POLICY_VERSION,
    REGION_PATTERN,
    AwsScope,
)
from secrets_adapter.policy.model import Effect, Grant

__all__ = ["grants_policy", "pattern_resource"]

# Policy action → the Secrets Manager actions it takes, in rendering order. ``list`` is apart:
# ``ListSecrets`` has no resource scope.
_GRANT_ACTIONS: dict[str, tuple[str, ...]] = {
    "read": ("secretsmanager:GetSecretValue",),
    "describe": ("secretsmanager:DescribeSecret", "secretsmanager:ListSecretVersionIds"),
    "write": ("secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"),
    "delete": ("secretsmanager:RestoreSecret",),  # DeleteSecret: its own statement, see below
    "rotate": ("secretsmanager:RotateSecret",),
}


def pattern_resource(pattern: str, *, region: str, account: str, partition: str = "aws") -> str:
    """The ARN pattern covering the secrets a name pattern matches.

    An exact name gets ``-??????`` (the random suffix, so ``db`` covers neither ``db2`` nor
    ``db-old``); a pattern ending in ``*`` already covers it; a ``*`` inside gets the suffix too.
    """
    if "?" in pattern:
        raise ValidationError(
            f"{pattern!r}: '?' is literal in a policy file but a wildcard in IAM."
        )
    base = f"arn:{partition}:secretsmanager:{region}:{account}:secret:"
    return f"{base}{pattern}" if pattern.endswith("*") else f"{base}{pattern}{ARN_SUFFIX}"


def _sid_base(grant: Grant, index: int, taken: set[str]) -> str:
    words = re.findall(r"[A-Za-z0-9]+", grant.sid)
    base = "".join(word[:1].upper() + word[1:] for word in words) or f"Grant{index}"
    if base in taken:
        base = f"{base}{index}"
    taken.add(base)
    return base


def grants_policy(
    grants: Sequence[Grant],
    *,
    region: str,
    account: str,
    kms_key_arn: str | None = None,
    partition: str = "aws",
) -> dict[str, Any]:
    """One principal's grants (``policy.grants_for``) as an IAM policy: one statement per grant.

    Allow and Deny keep their meaning (IAM too lets an explicit Deny win). ``delete`` and
    ``force-delete`` become ``DeleteSecret`` in a statement of its own, told apart by the
    ``secretsmanager:ForceDeleteWithoutRecovery`` condition key (``delete`` also takes
    ``RestoreSecret``, which undoes it). ``list`` becomes
    ``ListSecrets`` on ``*`` in a statement of its own: IAM cannot scope it, so a denied ``list``
    denies all listing. An allowed ``read`` with ``kms_key_arn`` adds ``kms:Decrypt`` on the key
    through Secrets Manager only.
    """
    if not REGION_PATTERN.fullmatch(region):
        raise ValidationError(f"{region!r} is not an AWS region name like eu-west-1.")
    if not ACCOUNT_PATTERN.fullmatch(account):
        raise ValidationError(f"{account!r} is not a 12-digit AWS account id.")
    if kms_key_arn is not None:
        # The same checks as a scope's: a KMS key ARN, in the secrets' region and partition.
        AwsScope(region=region, account=account, kms_key_arn=kms_key_arn, prefix="x")
    if not grants:
        raise ValidationError("No grant to render: the principal is in no statement.")
    statements: list[dict[str, Any]] = []
    taken: set[str] = set()
    for index, grant in enumerate(grants, start=1):
        sid = _sid_base(grant, index, taken)
        effect = "Allow" if grant.effect is Effect.ALLOW else "Deny"
        actions = [
            iam
            for action, iams in _GRANT_ACTIONS.items()
            if action in grant.actions
            for iam in iams
        ]
        if actions:
            resources = [
                pattern_resource(p, region=region, account=account, partition=partition)
                for p in grant.secrets
            ]
            statements.append(
                {"Sid": sid, "Effect": effect, "Action": actions, "Resource": resources}
            )
        deletions = frozenset(grant.actions) & {"delete", "force-delete"}
        if deletions:
            statement: dict[str, Any] = {
                "Sid": f"{sid}Delete",
                "Effect": effect,
                "Action": "secretsmanager:DeleteSecret",
                "Resource": [
                    pattern_resource(p, region=region, account=account, partition=partition)
                    for p in grant.secrets
                ],
            }
            condition = DELETE_CONDITIONS[deletions]
            if condition is not None:
                statement["Condition"] = condition
            statements.append(statement)
        if "list" in grant.actions:
            statements.append(
                {
                    "Sid": f"{sid}List",
                    "Effect": effect,
                    "Action": "secretsmanager:ListSecrets",
                    "Resource": "*",
                }
            )
        if kms_key_arn and "read" in grant.actions and grant.effect is Effect.ALLOW:
            statements.append(
                {
                    "Sid": f"{sid}Decrypt",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": kms_key_arn,
                    "Condition": {
                        "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
                    },
                }
            )
    return {"Version": POLICY_VERSION, "Statement": statements}
