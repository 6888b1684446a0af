"""``force-delete`` is its own policy action, rendered as AWS and Vault draw it.

IAM has one ``DeleteSecret`` action for a scheduled and a forced deletion; the
``secretsmanager:ForceDeleteWithoutRecovery`` condition key (a Bool, absent when the request
gives a recovery window) tells them apart. Vault's forced deletion removes the metadata and every
version: ``delete`` on ``metadata/P``, which a scheduled ``delete`` never needs.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from secrets_adapter.errors import ConfigurationError
from secrets_adapter.policy import ACTIONS, Effect, Grant, grants_for, parse_policy
from secrets_adapter.policy.aws_iam import AwsScope, admin_policy
from secrets_adapter.policy.aws_iam_check import check_policy
from secrets_adapter.policy.aws_iam_grants import grants_policy
from secrets_adapter.policy.vault_hcl import grants_policy as vault_grants_policy

REGION = "eu-west-1"
ACCOUNT = "123456789012"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"
FORCE = "secretsmanager:ForceDeleteWithoutRecovery"


def _iam(*grants: Grant) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = grants_policy(grants, region=REGION, account=ACCOUNT)[
        "Statement"
    ]
    return statements


def _deletes(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in statements if s["Action"] == "secretsmanager:DeleteSecret"]


def _iam_allows_delete(statements: list[dict[str, Any]], *, force: bool | None) -> bool:
    """IAM's decision on ``DeleteSecret`` for a request that sends ``ForceDeleteWithoutRecovery``
    as ``force`` (None: the request does not send the key, e.g. a recovery window)."""

    def applies(statement: dict[str, Any]) -> bool:
        condition = statement.get("Condition")
        if condition is None:
            return True
        ((operator, test),) = condition.items()
        ((key, wanted),) = test.items()
        assert key == FORCE and operator in ("Bool", "BoolIfExists")
        if force is None:
            return bool(operator == "BoolIfExists")
        return bool(str(force).lower() == wanted)

    effects = {s["Effect"] for s in _deletes(statements) if applies(s)}
    return "Deny" not in effects and "Allow" in effects


@pytest.mark.parametrize(
    ("actions", "scheduled", "forced"),
    [
        (("delete",), True, False),
        (("force-delete",), False, True),
        (("delete", "force-delete"), True, True),
        (("write",), False, False),
    ],
)
def test_iam_tells_a_scheduled_deletion_from_a_forced_one(
    actions: tuple[str, ...], scheduled: bool, forced: bool
) -> None:
    statements = _iam(Grant(effect=Effect.ALLOW, actions=actions, secrets=("app/*",)))
    assert _iam_allows_delete(statements, force=None) is scheduled
    assert _iam_allows_delete(statements, force=False) is scheduled
    assert _iam_allows_delete(statements, force=True) is forced
    assert check_policy({"Version": "2012-10-17", "Statement": statements}) == []


def test_a_denied_force_delete_leaves_the_scheduled_deletion_allowed() -> None:
    statements = _iam(
        Grant(effect=Effect.ALLOW, actions=("delete", "force-delete"), secrets=("app/*",)),
        Grant(effect=Effect.DENY, actions=("force-delete",), secrets=("app/prod/*",)),
    )
    assert _deletes(statements)[1] == {
        "Sid": "Grant2Delete",
        "Effect": "Deny",
        "Action": "secretsmanager:DeleteSecret",
        "Resource": [f"{ARN}app/prod/*"],
        "Condition": {"Bool": {FORCE: "true"}},
    }
    assert _iam_allows_delete(statements, force=None)
    assert not _iam_allows_delete(statements, force=True)


def test_the_admin_role_may_schedule_a_deletion_but_never_force_one() -> None:
    scope = AwsScope(region=REGION, account=ACCOUNT, kms_key_arn=KEY, prefix="gaara/prod")
    statements: list[dict[str, Any]] = admin_policy(scope)["Statement"]
    assert [s["Sid"] for s in _deletes(statements)] == ["ScheduleDeletionOnlyWithARecoveryWindow"]
    assert _iam_allows_delete(statements, force=None)
    assert not _iam_allows_delete(statements, force=True)
    assert "secretsmanager:RestoreSecret" in statements[0]["Action"]


def _capabilities(hcl: str) -> dict[str, list[str]]:
    blocks = re.findall(r'path "([^"]+)" \{\n  capabilities = \[([^\]]*)\]\n\}', hcl)
    return {path: re.findall(r'"([^"]+)"', caps) for path, caps in blocks}


def test_vault_force_delete_is_delete_on_the_metadata_path_only() -> None:
    forced = Grant(effect=Effect.ALLOW, actions=("force-delete",), secrets=("app/*",))
    assert _capabilities(vault_grants_policy((forced,), principal="ops")) == {
        "secret/metadata/app/*": ["delete"]
    }
    scheduled = Grant(effect=Effect.ALLOW, actions=("delete",), secrets=("app/*",))
    caps = _capabilities(vault_grants_policy((scheduled,), principal="ops"))
    assert caps == {
        "secret/data/app/*": ["delete"],
        "secret/undelete/app/*": ["update"],
        # the writer lock that guards the stage labels (see providers/vault_lock.py)
        "secret/data/.secrets-adapter/locks/app/*": ["create", "read", "update"],
    }
    denied = Grant(effect=Effect.DENY, actions=("force-delete",), secrets=("app/prod/*",))
    caps = _capabilities(vault_grants_policy((scheduled, forced, denied), principal="ops"))
    assert caps["secret/metadata/app/prod/*"] == ["deny"]
    assert caps["secret/data/app/*"] == ["delete"]


def test_the_policy_file_knows_force_delete_and_star_includes_it() -> None:
    assert "force-delete" in ACTIONS
    policy = parse_policy(
        tomllib.loads(
            '[[statement]]\neffect = "allow"\nprincipals = ["ops"]\n'
            'actions = ["*"]\nsecrets = ["app/*"]\n'
        )
    )
    (grant,) = grants_for(policy, "ops")
    assert "force-delete" in grant.actions
    with pytest.raises(ConfigurationError, match="force_delete"):
        parse_policy(
            tomllib.loads(
                '[[statement]]\neffect = "allow"\nprincipals = ["ops"]\n'
                'actions = ["force_delete"]\nsecrets = ["app/*"]\n'
            )
        )
