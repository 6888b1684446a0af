"""Least-privilege IAM for the AWS backend: generate the policies, and check one for breadth.

Pure functions over values; no AWS call. The generated policies:

* the application role's: ``GetSecretValue`` and ``DescribeSecret`` on exactly its secrets, and
  ``kms:Decrypt`` on exactly its key, only when Secrets Manager asks (``kms:ViaService``) — from a
  prefix or names (``app_policy``) or from the exact ARNs ``aws bootstrap`` created
  (``app_policy_for_arns``);
* the rotation/administration role's: writes, stage moves, scheduled deletion (never a forced one:
  ``ForceDeleteWithoutRecovery`` is refused) and rotation configuration on the same secrets,
  ``ListSecrets`` (which has no resource scope), and the key via the service;
* one principal's grants in an in-process policy file (``grants_policy``), so the cloud side and
  the adapter's ``Authorizer`` say the same thing;
* the customer KMS key's own policy (``key_policy``).

Secrets Manager appends ``-`` and six random characters to every secret's ARN, so the ARN of the
secret named ``gaara/prod/db`` is matched by ``...:secret:gaara/prod/db-??????`` (each ``?`` is one
character: not ``gaara/prod/db-old`` nor ``gaara/prod/db2``) and a prefix by ``...:secret:P/*``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from secrets_adapter.errors import ValidationError
from secrets_adapter.policy.model import Effect, Grant
from secrets_adapter.validation import validate_name

__all__ = [
    "ACTIONS_WITHOUT_RESOURCE_SCOPE",
    "AwsScope",
    "PolicyFinding",
    "Severity",
    "admin_policy",
    "app_policy",
    "app_policy_for_arns",
    "check_policy",
    "grants_policy",
    "key_policy",
    "pattern_resource",
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
_DELETE_CONDITIONS: dict[frozenset[str], dict[str, Any] | None] = {
    # a request that omits the key (RecoveryWindowInDays, or neither) is a scheduled deletion
    frozenset({"delete"}): {"BoolIfExists": {_FORCE_KEY: "false"}},
    frozenset({"force-delete"}): {"Bool": {_FORCE_KEY: "true"}},
    frozenset({"delete", "force-delete"}): None,
}
"""``DeleteSecret`` is one IAM action for a scheduled and a forced deletion; the
``secretsmanager:ForceDeleteWithoutRecovery`` condition key tells them apart, as the policy file's
``delete`` and ``force-delete`` do."""
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
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
        if not _REGION.fullmatch(self.region):
            raise ValidationError(f"{self.region!r} is not an AWS region name like eu-west-1.")
        if not _ACCOUNT.fullmatch(self.account):
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
    if not _REGION.fullmatch(region):
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
                "Condition": _DELETE_CONDITIONS[frozenset({"delete"})],
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


# --- from an in-process policy file ------------------------------------------------------------

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
    if not _REGION.fullmatch(region):
        raise ValidationError(f"{region!r} is not an AWS region name like eu-west-1.")
    if not _ACCOUNT.fullmatch(account):
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
            condition = _DELETE_CONDITIONS[deletions]
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


# --- the checker ---------------------------------------------------------------------------------


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyFinding:
    """One problem in one statement of a policy."""

    statement: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.severity.value}: statement {self.statement}: {self.message}"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _statements(document: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    raw = document.get("Statement")
    for index, statement in enumerate(_as_list(raw)):
        if isinstance(statement, Mapping):
            yield str(statement.get("Sid") or f"#{index + 1}"), statement


_UNSCOPED_LOWER = frozenset(a.lower() for a in ACTIONS_WITHOUT_RESOURCE_SCOPE)


def _broad_resource(resource: str) -> str | None:
    """Why ``resource`` is too broad, or None."""
    if resource == "*":
        return "Resource '*' covers every resource in every account"
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    _, _, service, region, account, rest = parts
    if "*" in region or "*" in account:
        return f"{resource!r} has a wildcard region or account"
    if service == "kms" and "*" in rest:
        return f"{resource!r} covers more than one KMS key; name the key ARN"
    if service == "secretsmanager" and rest.replace("secret:", "", 1) in ("*", ""):
        return f"{resource!r} covers every secret in the account; scope it to a prefix"
    return None


def check_policy(document: Mapping[str, Any]) -> list[PolicyFinding]:
    """Over-broad statements (errors) and weaker-than-needed ones (warnings) in an IAM policy."""
    findings: list[PolicyFinding] = []

    def flag(sid: str, severity: Severity, message: str) -> None:
        findings.append(PolicyFinding(statement=sid, severity=severity, message=message))

    statements = list(_statements(document))
    if not statements:
        flag("-", Severity.ERROR, "the document has no Statement: is it an IAM policy?")
    for sid, statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement or "NotResource" in statement:
            flag(sid, Severity.ERROR, "Allow with NotAction/NotResource grants everything else")
        principals = _as_list(statement.get("Principal"))
        if "*" in principals or any(
            isinstance(p, Mapping) and "*" in _as_list(p.get("AWS")) for p in principals
        ):
            flag(sid, Severity.ERROR, "Principal '*' lets anyone use this")
        actions = [str(a) for a in _as_list(statement.get("Action"))]
        for action in actions:
            if "*" in action:
                flag(sid, Severity.ERROR, f"wildcard action {action!r}: list the actions needed")
        lowered = {a.lower() for a in actions}  # IAM action names are case-insensitive
        unscoped_ok = bool(actions) and lowered <= _UNSCOPED_LOWER
        for resource in (str(r) for r in _as_list(statement.get("Resource"))):
            if resource == "*" and unscoped_ok:
                continue
            reason = _broad_resource(resource)
            if reason:
                flag(sid, Severity.ERROR, reason)
        scoped_by_condition = _has_condition_key(statement, "kms:ViaService") or _has_condition_key(
            statement, "kms:EncryptionContextKeys"
        )
        if "kms:decrypt" in lowered and not scoped_by_condition:
            flag(
                sid,
                Severity.WARNING,
                "kms:Decrypt without a kms:ViaService (or encryption context) condition "
                "lets the role decrypt anything under the key, not only its secrets",
            )
    return findings


def _has_condition_key(statement: Mapping[str, Any], key: str) -> bool:
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    return any(
        isinstance(block, Mapping) and any(k.lower() == key.lower() for k in block)
        for block in condition.values()
    )
