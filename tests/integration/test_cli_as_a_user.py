"""The CLI as a user meets it (issue 14): ``--version``, JSON results with JSON values, and error
wordings that name what the user typed and what to do, run as a real process where the
environment matters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from secrets_adapter.cli.context import iso_duration
from secrets_adapter.cli.main import cli

_CLI = [sys.executable, "-m", "secrets_adapter"]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_CLI, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version() -> None:
    from importlib.metadata import version

    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout == f"secrets-adapter {version('secrets-adapter')}\n"


def test_env_backend_names_the_secret_a_variable_name_meant(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=pg://x\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = _run("--backend", "env", "--env-file", str(env_file), "get", "DATABASE_URL", env=env)
    assert result.returncode == 1
    assert "DATABASE_URL is a variable name, and the secret read from it is 'database-url'" in (
        result.stderr
    )
    found = _run("--backend", "env", "--env-file", str(env_file), "get", "database-url", env=env)
    assert found.stdout.strip() == "pg://x"


def test_missing_region_names_the_cli_flag_and_variable(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "SECRETS_")) and k != "ENVIRONMENT"
    }
    env |= {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    result = _run("--backend", "aws", "list", env=env)
    assert result.returncode == 3
    assert "pass --region" in result.stderr
    assert "AWS_REGION" in result.stderr
    assert "region=" not in result.stderr


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        ("0.01", "Even one instance costs more than $0.01/month"),
        ("1000", "instances stay within $1,000.00/month"),
    ],
)
def test_cost_never_says_up_to_zero_instances(budget: str, expected: str) -> None:
    result = CliRunner().invoke(cli, ["cost", "--requests-per-second", "100", "--budget", budget])
    assert result.exit_code == 0, result.output
    assert expected in result.stdout
    assert "up to 0 " not in result.stdout
    assert "instance(s) stay" not in result.stdout


def test_put_delete_restore_json(cli_store: Path) -> None:
    runner = CliRunner()
    put = runner.invoke(cli, ["put", "app/token", "--json"], input="v\n")
    assert put.exit_code == 0, put.output
    stored = json.loads(put.stdout)
    assert stored["name"] == "app/token"
    assert stored["stages"] == ["current"]
    deleted = json.loads(runner.invoke(cli, ["delete", "app/token", "--json"]).stdout)
    assert deleted["deleted_for_good"] is False
    when = datetime.fromisoformat(deleted["deletion_date"])
    assert timedelta(days=29) < when - datetime.now(when.tzinfo) <= timedelta(days=30)
    restored = json.loads(runner.invoke(cli, ["restore", "app/token", "--json"]).stdout)
    assert restored == {"name": "app/token", "restored": True}


def test_audit_verify_json(
    cli_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("SECRETS_ADAPTER_AUDIT_LOG", str(log))
    # checkpoints are signed with a key kept apart from the log
    monkeypatch.setenv("SECRETS_ADAPTER_AUDIT_CHECKPOINT_KEY", "k" * 43)
    runner = CliRunner()
    runner.invoke(cli, ["put", "app/a"], input="v\n")
    runner.invoke(cli, ["get", "app/a"])
    report = json.loads(runner.invoke(cli, ["audit", "verify", str(log), "--json"]).stdout)
    assert report["ok"] is True
    assert report["records"] == 2
    assert report["problem"] is None
    checkpoint = runner.invoke(
        cli, ["audit", "checkpoint", str(log), str(tmp_path / "cp.json"), "--json"]
    )
    written = json.loads(checkpoint.stdout)
    assert (written["records"], written["head"]) == (2, report["head"])
    assert datetime.fromisoformat(written["time"]).tzinfo is not None
    lines = log.read_text().splitlines()
    log.write_text("\n".join([lines[1], lines[0]]) + "\n")
    broken = runner.invoke(cli, ["audit", "verify", str(log), "--json"])
    assert broken.exit_code == 4
    assert json.loads(broken.stdout)["ok"] is False


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(days=1), "P1D"),
        (timedelta(minutes=5), "PT5M"),
        (timedelta(days=1, hours=2, seconds=3), "P1DT2H3S"),
        (timedelta(seconds=1.5), "PT1.5S"),
        (timedelta(0), "PT0S"),
        (-timedelta(minutes=1), "-PT1M"),
    ],
)
def test_durations_are_iso_8601(duration: timedelta, text: str) -> None:
    assert iso_duration(duration) == text
