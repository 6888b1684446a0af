"""The application's least-privilege IAM policy, as data: read exactly these secrets, and decrypt
with exactly this key only when Secrets Manager asks (``kms:ViaService``). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["key_policy", "least_privilege_policy"]


def least_privilege_policy(secret_arns: Sequence[str], key_arn: str, region: str) -> dict[str, Any]:
    """``secretsmanager:GetSecretValue``/``DescribeSecret`` on the listed ARNs, and
    ``kms:Decrypt`` on ``key_arn`` through Secrets Manager in ``region`` only."""
    if not secret_arns:
        raise ValueError("a policy needs at least one secret ARN (no wildcards)")
    if any("*" in arn for arn in (*secret_arns, key_arn)):
        raise ValueError("least privilege: no wildcard in a resource ARN")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadTheAppSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": sorted(secret_arns),
            },
            {
                "Sid": "DecryptThroughSecretsManagerOnly",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
                },
            },
        ],
    }


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
    return {"Version": "2012-10-17", "Statement": statements}
