"""``force-delete`` rendered for Vault, loaded into a real OpenBao: a token of a principal allowed
``delete`` may soft-delete but not destroy; one allowed ``force-delete`` may destroy but not
soft-delete."""

from __future__ import annotations

import uuid
from pathlib import Path

import hvac
import pytest
from hvac.exceptions import Forbidden

from secrets_adapter.cli.main import main
from tests.fixtures.vault import BaoServer

POLICY = """
[[statement]]
effect = "allow"
principals = ["ops"]
actions = ["delete"]
secrets = ["app/*"]

[[statement]]
effect = "allow"
principals = ["breakglass"]
actions = ["force-delete"]
secrets = ["app/*"]
"""


def _token(
    server: BaoServer, mount: str, principal: str, policy: Path, capsys: pytest.CaptureFixture[str]
) -> hvac.Client:
    args = ["policy", "vault", "--from", str(policy), "--principal", principal, "--mount", mount]
    assert main(args) == 0
    root = server.client()
    name = f"{principal}-{uuid.uuid4().hex[:8]}"
    root.sys.create_or_update_policy(name=name, policy=capsys.readouterr().out)
    token = root.auth.token.create(policies=[name], no_default_policy=True, ttl="10m")
    return server.client(token["auth"]["client_token"])


def test_delete_and_force_delete_are_apart_in_vault(
    openbao_server: BaoServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = openbao_server.client()
    mount = f"force-{uuid.uuid4().hex[:8]}"
    root.sys.enable_secrets_engine("kv", path=mount, options={"version": "2"})
    for name in ("app/a", "app/b"):
        root.secrets.kv.v2.create_or_update_secret(path=name, secret={"v": "1"}, mount_point=mount)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    ops = _token(openbao_server, mount, "ops", policy, capsys)
    breakglass = _token(openbao_server, mount, "breakglass", policy, capsys)
    kv_ops, kv_breakglass = ops.secrets.kv.v2, breakglass.secrets.kv.v2

    kv_ops.delete_latest_version_of_secret(path="app/a", mount_point=mount)
    with pytest.raises(Forbidden):
        kv_ops.delete_metadata_and_all_versions(path="app/a", mount_point=mount)
    with pytest.raises(Forbidden):
        kv_breakglass.delete_latest_version_of_secret(path="app/b", mount_point=mount)
    kv_breakglass.delete_metadata_and_all_versions(path="app/b", mount_point=mount)
    with pytest.raises(hvac.exceptions.InvalidPath):
        root.secrets.kv.v2.read_secret_metadata(path="app/b", mount_point=mount)
