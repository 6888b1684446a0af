"""A JSON object migrated to Vault reads back in Vault's canonical form (sorted keys, no spaces):
``migrate verify``, ``diff`` and ``copy`` compare it as an object, not as bytes, and still see a
genuinely different value. Against the real OpenBao dev server."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from secrets_adapter.access import SecretSnapshot, write_snapshot
from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.cli.context import CliContext
from secrets_adapter.cli.main import cli
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.vault import VaultProvider
from tests.fixtures.vault import BaoServer, vault_settings

SPACED = '{"b": 1, "a": "x"}'


@pytest.fixture
def provider(openbao_server: BaoServer) -> VaultProvider:
    return VaultProvider.from_settings(vault_settings(openbao_server, path_root=""))


@pytest.fixture
def prefix() -> str:
    return f"json-{uuid.uuid4().hex[:8]}/prod"


def _run(provider: VaultProvider, prefix: str, *args: str) -> tuple[int, str, str]:
    adapter = SecretsAdapter(provider=provider, prefix=prefix)
    result = CliRunner().invoke(
        cli, list(args), obj=CliContext(_adapter=adapter), catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def _env(tmp_path: Path, value: str) -> Path:
    path = tmp_path / ".env"
    path.write_text(f"SERVICE_CREDENTIALS='{value}'\nAPI_TOKEN=tok-1\n", encoding="utf-8")
    return path


def test_migrate_verify_matches_a_json_object_vault_stored_as_fields(
    provider: VaultProvider, prefix: str, tmp_path: Path
) -> None:
    source = _env(tmp_path, SPACED)
    code, _, err = _run(
        provider, prefix, "migrate", "apply", "--no-interpolate", "--from", str(source)
    )
    assert code == 0, err
    stored = provider.get(f"{prefix}/service-credentials").value.reveal_text()
    assert stored == '{"a":"x","b":1}'  # Vault's canonical form, not the .env's bytes
    code, out, err = _run(
        provider, prefix, "migrate", "verify", "--no-interpolate", "--from", str(source)
    )
    assert code == 0, out + err
    assert "2 match" in out + err
    # a re-run writes nothing: the plan sees the stored object as unchanged, not as an update
    code, out, err = _run(
        provider, prefix, "migrate", "plan", "--no-interpolate", "--from", str(source), "--json"
    )
    assert code == 0, err
    assert json.loads(out)["counts"]["unchanged"] == 2, out
    before = provider.describe(f"{prefix}/service-credentials").versions
    code, out, err = _run(
        provider, prefix, "migrate", "apply", "--no-interpolate", "--from", str(source)
    )
    assert code == 0, err
    assert "Wrote 0 secrets, 2 already up to date" in out + err
    assert provider.describe(f"{prefix}/service-credentials").versions == before
    # a genuinely different value still mismatches
    provider.put(f"{prefix}/service-credentials", SecretValue('{"a": "x", "b": 2}'))
    code, out, err = _run(
        provider, prefix, "migrate", "verify", "--no-interpolate", "--from", str(source)
    )
    assert code == 4
    assert "service-credentials" in out + err


def test_diff_sees_the_same_object_and_a_changed_one(
    provider: VaultProvider, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SERVICE_CREDENTIALS", raising=False)
    monkeypatch.delenv("API_TOKEN", raising=False)
    source = _env(tmp_path, SPACED)
    _run(provider, prefix, "migrate", "apply", "--no-interpolate", "--from", str(source))
    code, out, err = _run(
        provider, prefix, "diff", "--no-interpolate", "--from", str(source), "--json"
    )
    assert code == 0, out + err
    rows = {row["name"]: row for row in json.loads(out)}
    row = rows[f"{prefix}/service-credentials"]
    assert row["status"] == "same"
    assert row["env_file"] == row["store"]  # the fingerprints agree where the values do
    monkeypatch.setenv("SERVICE_CREDENTIALS", '{"a": "y", "b": 1}')
    code, out, _ = _run(provider, prefix, "diff", "--no-interpolate", "--from", str(source))
    assert code == 4
    assert "different" in out


def test_copy_of_an_equal_object_writes_nothing_and_of_a_changed_one_writes(
    provider: VaultProvider, prefix: str
) -> None:
    name = f"{prefix}/service-credentials"
    provider.put(name, SecretValue(SPACED))
    before = provider.describe(name).versions

    def snapshot(text: str) -> SecretSnapshot:
        return SecretSnapshot(
            name=name,
            versions=(("1", SecretValue(text)),),
            stages={Stage.CURRENT: "1"},
            versioned=False,
        )

    assert write_snapshot(provider, snapshot(SPACED), name) == 0
    assert write_snapshot(provider, snapshot('{"a":"x","b":1}'), name) == 0
    assert provider.describe(name).versions == before
    assert write_snapshot(provider, snapshot('{"a": "x", "b": 3}'), name) == 1
    assert provider.get(name).value.reveal_text() == '{"a":"x","b":3}'
