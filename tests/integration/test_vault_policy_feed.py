"""``policy vault --from``, loaded into a real OpenBao: a token with the principal's policy may
do exactly what the policy file lets that principal do, no more, as the ``Authorizer`` decides."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import hvac
import pytest
from hvac.exceptions import Forbidden

from secrets_adapter.cli.main import main
from secrets_adapter.policy import Authorizer, load_policy
from tests.fixtures.policy_sample import CASES, Case, write_sample_policy
from tests.fixtures.vault import BaoServer

Operation = Callable[[hvac.Client, str, str], object]


# What each policy action does in KV v2, straight through the HTTP API (name → path under mount).
OPERATIONS: dict[str, list[Operation]] = {
    "read": [
        lambda c, m, n: c.secrets.kv.v2.read_secret_version(
            path=n, mount_point=m, raise_on_deleted_version=False
        )
    ],
    "describe": [lambda c, m, n: c.secrets.kv.v2.read_secret_metadata(path=n, mount_point=m)],
    "list": [lambda c, m, n: c.secrets.kv.v2.list_secrets(path=n, mount_point=m)],
    "write": [
        lambda c, m, n: c.secrets.kv.v2.create_or_update_secret(
            path=n, secret={"v": "new"}, mount_point=m
        )
    ],
    "delete": [
        lambda c, m, n: c.secrets.kv.v2.delete_latest_version_of_secret(path=n, mount_point=m),
        lambda c, m, n: c.secrets.kv.v2.undelete_secret_versions(
            path=n, versions=[1], mount_point=m
        ),
    ],
    "rotate": [
        lambda c, m, n: c.secrets.kv.v2.create_or_update_secret(
            path=n, secret={"v": "rotated"}, mount_point=m
        ),
        lambda c, m, n: c.secrets.kv.v2.update_metadata(
            path=n, custom_metadata={"stage": "moved"}, mount_point=m
        ),
    ],
}


def _permitted(operation: Operation, client: hvac.Client, mount: str, name: str) -> bool:
    """Did Vault's ACL let the request through? (A 404 past the ACL still counts as allowed.)"""
    try:
        operation(client, mount, name)
    except Forbidden:
        return False
    except hvac.exceptions.InvalidPath:
        return True
    return True


@pytest.fixture(scope="module")
def mount(openbao_server: BaoServer) -> str:
    """A KV v2 mount of its own, holding every name in the table (version 1 of each)."""
    root = openbao_server.client()
    path = f"feed-{uuid.uuid4().hex[:8]}"
    root.sys.enable_secrets_engine("kv", path=path, options={"version": "2"})
    for case in CASES:
        if case.action != "list":
            root.secrets.kv.v2.create_or_update_secret(
                path=case.name, secret={"v": "seed"}, mount_point=path
            )
    return path


def _token_for(
    server: BaoServer,
    mount: str,
    principal: str,
    policy_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> hvac.Client:
    args = ["policy", "vault", "--from", str(policy_file), "--principal", principal]
    assert main([*args, "--mount", mount]) == 0
    hcl = capsys.readouterr().out
    root = server.client()
    name = f"{principal}-{uuid.uuid4().hex[:8]}"
    root.sys.create_or_update_policy(name=name, policy=hcl)
    token = root.auth.token.create(policies=[name], no_default_policy=True, ttl="10m")
    return server.client(token["auth"]["client_token"])


@pytest.mark.parametrize("principal", ["api", "worker"])
def test_vault_allows_exactly_what_the_policy_file_allows(
    openbao_server: BaoServer,
    mount: str,
    principal: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    policy_file = write_sample_policy(tmp_path)
    authorizer = Authorizer(load_policy(policy_file), principal)
    client = _token_for(openbao_server, mount, principal, policy_file, capsys)
    cases: list[Case] = [case for case in CASES if case.principal == principal]
    assert cases
    mismatches = []
    for case in cases:
        in_process = authorizer.decide(case.action, case.name).allowed
        in_vault = [_permitted(op, client, mount, case.name) for op in OPERATIONS[case.action]]
        if in_process is not case.allowed or in_vault != [case.allowed] * len(in_vault):
            mismatches.append((case.action, case.name, case.allowed, in_process, in_vault))
    assert mismatches == []
    # And nothing beyond the table: no other mount, no policy or token administration.
    beyond: tuple[Callable[[], object], ...] = (
        lambda: client.secrets.kv.v2.read_secret_version(
            path="shop/prod/api/key", mount_point="secret", raise_on_deleted_version=False
        ),
        lambda: client.read("sys/policies/acl/default"),
        lambda: client.secrets.kv.v2.delete_metadata_and_all_versions(
            path="shop/prod/api/tokens/t1", mount_point=mount
        ),
    )
    for forbidden in beyond:
        with pytest.raises(Forbidden):
            forbidden()
