"""The whole story on the real embedded store, through the CLI: migrate, verify, exec, roll
back, copy to a second store with versions and stages, and no plaintext left on disk."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from secrets_adapter.cli.main import cli
from secrets_adapter.dotenv_file import entries_as_dict, read_dotenv_file
from tests.fixtures.dotenv_samples import AWKWARD_SECRETS, write_awkward_env
from tests.sentinel import SENTINEL, SENTINEL_BYTES

_CLI = [sys.executable, "-m", "secrets_adapter"]


def sa(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert SENTINEL not in result.output
    return result


def _files_holding_the_sentinel(root: Path) -> list[Path]:
    return [
        path for path in root.rglob("*") if path.is_file() and SENTINEL_BYTES in path.read_bytes()
    ]


def test_migrate_verify_rollback_on_the_local_store(cli_store: Path, tmp_path: Path) -> None:
    env_file = write_awkward_env(tmp_path / ".env")
    common = [
        "--from",
        str(env_file),
        "--to",
        "local",
        "--prefix",
        "gaara/prod",
        "--no-interpolate",
    ]
    plan = sa("migrate", "plan", *common, "--json")
    assert plan.exit_code == 0, plan.output
    assert json.loads(plan.stdout)["counts"]["create"] == len(AWKWARD_SECRETS)
    assert sa("migrate", "apply", *common).exit_code == 0
    again = sa("migrate", "apply", *common, "--json")
    assert json.loads(again.stdout)["written"] == []
    verified = sa("migrate", "verify", *common)
    assert verified.exit_code == 0, verified.output
    # the store holds the values encrypted: the sentinel is nowhere in its files
    assert _files_holding_the_sentinel(cli_store) == []

    out_dir = tmp_path / "rollback"
    out_dir.mkdir()
    target = out_dir / ".env"
    rolled = sa("--prefix", "gaara/prod", "rollback", "--no-interpolate", "--to", str(target))
    assert rolled.exit_code == 0, rolled.output
    assert entries_as_dict(read_dotenv_file(target)) == AWKWARD_SECRETS
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(out_dir) == [".env"]
    assert _files_holding_the_sentinel(tmp_path) == [env_file, target]


def test_exec_from_the_local_store(cli_store: Path, tmp_path: Path) -> None:
    env_file = write_awkward_env(tmp_path / ".env")
    sa(
        "migrate",
        "apply",
        "--no-interpolate",
        "--from",
        str(env_file),
        "--to",
        "local",
        "--prefix",
        "gaara/prod",
    )
    keys = sorted(AWKWARD_SECRETS)
    script = f"import json, os; print(json.dumps({{k: os.environ.get(k) for k in {keys!r}}}))"
    env = {k: v for k, v in os.environ.items() if k not in AWKWARD_SECRETS}
    result = subprocess.run(
        [*_CLI, "--prefix", "gaara/prod", "exec", "--", sys.executable, "-c", script],
        env=env | {"SECRETS_ADAPTER_PATH": str(cli_store)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == AWKWARD_SECRETS


def test_copy_to_a_second_store_keeps_versions_and_stages(cli_store: Path, tmp_path: Path) -> None:
    second = tmp_path / "second"
    assert sa("--path", str(second), "init").exit_code == 0
    runner = CliRunner()
    for value in ("v1", "v2", "v3"):
        put = runner.invoke(cli, ["put", "gaara/prod/jwt-secret-key"], input=value)
        assert put.exit_code == 0, put.output
    copy = sa("copy", "--from", "local", "--to", "local", "--to-path", str(second), "--json")
    assert copy.exit_code == 0, copy.output
    assert json.loads(copy.stdout)["copied"] == ["gaara/prod/jwt-secret-key"]
    source_versions = json.loads(sa("versions", "gaara/prod/jwt-secret-key", "--json").stdout)
    target_versions = json.loads(
        sa("--path", str(second), "versions", "gaara/prod/jwt-secret-key", "--json").stdout
    )
    assert len(source_versions) == 3
    assert [(v["version"], v["stages"]) for v in target_versions] == [
        (v["version"], v["stages"]) for v in source_versions
    ]
    got = sa("--path", str(second), "get", "gaara/prod/jwt-secret-key")
    assert got.stdout == "v3\n"
    again = sa("copy", "--from", "local", "--to", "local", "--to-path", str(second), "--json")
    assert json.loads(again.stdout)["writes"] == 0
