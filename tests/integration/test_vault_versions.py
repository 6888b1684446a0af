"""Version ids are Vault's version numbers everywhere, and what the adapter keeps in
``custom_metadata`` stays bounded however many rotations run."""

from __future__ import annotations

import json
import uuid

import pytest
from click.testing import CliRunner

from secrets_adapter.cli.main import cli
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.vault import VaultProvider
from secrets_adapter.providers.vault_stages import TOKENS_KEPT
from secrets_adapter.rotation.engine import RotationEngine
from secrets_adapter.rotation.rotators import builtin_rotators
from secrets_adapter.rotation.schedule import TAG_ROTATOR
from tests.fixtures.vault import BaoServer, bao, vault_settings


def _custom(server: BaoServer, path: str) -> dict[str, str]:
    custom: dict[str, str] = server.client().secrets.kv.v2.read_secret_metadata(path=path)["data"][
        "custom_metadata"
    ]
    return custom


def _size(custom: dict[str, str]) -> tuple[int, int]:
    return len(custom), sum(len(k.encode()) + len(v.encode()) for k, v in custom.items())


def test_fifty_rotations_keep_custom_metadata_bounded(openbao_server: BaoServer) -> None:
    settings = vault_settings(openbao_server)
    provider = VaultProvider.from_settings(settings)
    name = "rotated/api-key"
    path = f"{settings.path_root}/{name}"
    provider.put(name, SecretValue("initial"))
    provider.set_tags(name, {TAG_ROTATOR: "random"})
    engine = RotationEngine(provider, builtin_rotators())
    sizes = []
    for _ in range(50):
        result = engine.rotate(name)
        sizes.append(_size(_custom(openbao_server, path)))
        assert provider.get(name, version=result.version_id).stages == {Stage.CURRENT}
    keys_after_five, bytes_after_five = sizes[4]
    assert all(keys <= keys_after_five for keys, _ in sizes[5:])
    assert max(size for _, size in sizes) <= bytes_after_five + 16  # version numbers grow a digit
    custom = _custom(openbao_server, path)
    tokens = [key for key in custom if key.startswith("secrets-adapter.token.")]
    assert len(tokens) <= TOKENS_KEPT
    assert provider.get(name).version_id == "51"
    assert provider.get(name, stage=Stage.PREVIOUS).version_id == "50"


def test_fifty_put_versions_keep_only_the_last_tokens(openbao_server: BaoServer) -> None:
    settings = vault_settings(openbao_server)
    provider = VaultProvider.from_settings(settings)
    name = "many/tokens"
    provider.put(name, SecretValue("v1"))
    tokens = [str(uuid.uuid4()) for _ in range(50)]
    for index, token in enumerate(tokens):
        info = provider.put_version(name, SecretValue(f"v{index + 2}"), token=token)
        assert info.version_id == str(index + 2)
    custom = _custom(openbao_server, f"{settings.path_root}/{name}")
    kept = sorted(key for key in custom if key.startswith("secrets-adapter.token."))
    assert kept == sorted(f"secrets-adapter.token.{t}" for t in tokens[-TOKENS_KEPT:])
    assert _size(custom)[0] <= 4 + TOKENS_KEPT  # current, pending, as-of (+ previous) and tokens
    # the latest token still names its version; an old one is just forgotten
    assert provider.get(name, version=tokens[-1]).version_id == "51"
    assert provider.put_version(name, SecretValue("v51"), token=tokens[-1]).version_id == "51"


@pytest.fixture
def cli_env(openbao_server: BaoServer) -> dict[str, str]:
    return {
        "SECRETS_BACKEND": "vault",
        "VAULT_ADDR": openbao_server.url,
        "VAULT_TOKEN": openbao_server.root_token,
        "SECRETS_MANAGER_PREFIX": f"cli-{uuid.uuid4().hex[:8]}",
    }


def test_the_cli_shows_and_accepts_vaults_version_numbers(
    openbao_server: BaoServer, cli_env: dict[str, str]
) -> None:
    runner = CliRunner(env=cli_env)
    for value in ("one", "two", "three"):
        assert runner.invoke(cli, ["put", "db-password"], input=value).exit_code == 0
    listed = runner.invoke(cli, ["versions", "db-password", "--json"])
    assert listed.exit_code == 0, listed.output
    versions = json.loads(listed.stdout)
    assert [(v["version"], v["stages"]) for v in versions] == [
        ("3", ["current"]),
        ("2", ["previous"]),
        ("1", []),
    ]
    got = runner.invoke(cli, ["get", "db-password", "--version", "2"])
    assert got.stdout == "two\n"
    path = f"secret/{cli_env['SECRETS_MANAGER_PREFIX']}/db-password"
    assert bao(openbao_server, "kv", "get", "-version=2", "-field=value", path).stdout == "two"
