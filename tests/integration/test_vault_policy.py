"""A generated policy, loaded into a real OpenBao, allows exactly the app's reads."""

from __future__ import annotations

import uuid

import pytest

from secrets_adapter.cli.main import main
from secrets_adapter.config import VaultSettings
from secrets_adapter.errors import AccessDeniedError
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.policy.vault_hcl import VaultPolicyRequest, app_policy, rotator_policy
from secrets_adapter.providers.vault import VaultProvider
from tests.fixtures.vault import BaoServer


def _provider_with_policy(server: BaoServer, hcl: str) -> VaultProvider:
    client = server.client()
    name = f"gen-{uuid.uuid4().hex[:8]}"
    client.sys.create_or_update_policy(name=name, policy=hcl)
    token = client.auth.token.create(policies=[name], no_default_policy=True, ttl="10m")
    return VaultProvider.from_settings(
        VaultSettings(url=server.url, token=SecretValue(token["auth"]["client_token"]))
    )


@pytest.fixture
def app_prefix(openbao_server: BaoServer) -> str:
    """An app's secrets and its neighbour's, written with the root token."""
    prefix = f"pol-{uuid.uuid4().hex[:8]}"
    root = VaultProvider.from_settings(
        VaultSettings(url=openbao_server.url, token=SecretValue(openbao_server.root_token))
    )
    for name in ("shop/prod/db", "shop/prod/api-key", "shop/prod/unlisted", "other/prod/db"):
        root.put(f"{prefix}/{name}", SecretValue(f"value of {name}"))
    return prefix


def test_app_policy_reads_exactly_its_secrets(openbao_server: BaoServer, app_prefix: str) -> None:
    request = VaultPolicyRequest(
        app="shop", names=(f"{app_prefix}/shop/prod/db", f"{app_prefix}/shop/prod/api-key")
    )
    app = _provider_with_policy(openbao_server, app_policy(request))
    assert app.get(f"{app_prefix}/shop/prod/db").value.reveal() == "value of shop/prod/db"
    assert app.get(f"{app_prefix}/shop/prod/api-key", stage=Stage.CURRENT).version_id == "1"
    for denied in (f"{app_prefix}/other/prod/db", f"{app_prefix}/shop/prod/unlisted"):
        with pytest.raises(AccessDeniedError):
            app.get(denied)
    with pytest.raises(AccessDeniedError):
        app.put(f"{app_prefix}/shop/prod/db", SecretValue("overwrite"))
    with pytest.raises(AccessDeniedError):
        app.list_names(f"{app_prefix}/shop/")
    with pytest.raises(AccessDeniedError):
        app.delete(f"{app_prefix}/shop/prod/db", force=True)


def test_rotator_policy_writes_and_moves_stages_but_cannot_destroy(
    openbao_server: BaoServer, app_prefix: str
) -> None:
    name = f"{app_prefix}/shop/prod/db"
    rotator = _provider_with_policy(
        openbao_server, rotator_policy(VaultPolicyRequest(app="shop", names=(name,)))
    )
    token = str(uuid.uuid4())
    rotator.put_version(name, SecretValue("rotated"), token=token)
    rotator.move_stage(name, Stage.CURRENT, to_version=token, from_version="1")
    assert rotator.get(name).value.reveal() == "rotated"
    with pytest.raises(AccessDeniedError):
        rotator.delete(name, force=True)
    with pytest.raises(AccessDeniedError):
        rotator.get(f"{app_prefix}/other/prod/db")


def test_cli_prints_the_policy_for_relative_names(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["policy", "vault", "--app", "shop", "--prefix", "shop/prod", "--secret", "db", "-s", "x/y"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert 'path "secret/data/shop/prod/db" {' in out
    assert 'path "secret/metadata/shop/prod/db" {' in out
    assert 'path "secret/data/x/y" {' in out
    assert '"update"' not in out


def test_cli_folder_policy_for_the_rotator(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["policy", "vault", "--app", "shop", "--prefix", "shop/prod", "--role", "rotator"])
    assert code == 0
    out = capsys.readouterr().out
    assert 'path "secret/data/shop/prod/*" {\n  capabilities = ["create", "read", "update"]' in out
