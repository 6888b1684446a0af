"""The migrate, rollback and diff commands through click, on an in-memory store.

The CLI's adapter is injected (``CliContext`` with a ready adapter over ``InMemoryProvider``)
so the commands run for real against a store without needing the local backend's files.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.cli.context import CliContext
from secrets_adapter.cli.main import cli
from secrets_adapter.dotenv_file import entries_as_dict, read_dotenv_file
from secrets_adapter.errors import ProviderUnavailableError
from secrets_adapter.models import Secret, SecretValue, Stage
from secrets_adapter.testing import InMemoryProvider
from tests.fixtures.dotenv_samples import AWKWARD_SECRETS, write_awkward_env
from tests.fixtures.faults import FlakyProvider
from tests.sentinel import SENTINEL


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


class Cli:
    """Runs ``secrets-adapter ARGS`` in-process against one in-memory store."""

    def __init__(self, provider: InMemoryProvider, prefix: str = "gaara/prod") -> None:
        self.provider = provider
        self.prefix = prefix

    def __call__(self, *args: str) -> Outcome:
        adapter = SecretsAdapter(provider=self.provider, prefix=self.prefix)
        state = CliContext(_adapter=adapter)
        result = CliRunner().invoke(cli, list(args), obj=state, catch_exceptions=False)
        outcome = Outcome(code=result.exit_code, stdout=result.stdout, stderr=result.stderr)
        assert SENTINEL not in outcome.stdout + outcome.stderr
        return outcome


@pytest.fixture
def run() -> Cli:
    return Cli(InMemoryProvider())


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    return write_awkward_env(tmp_path / ".env")


def test_plan_shows_fingerprints_and_writes_nothing(run: Cli, env_file: Path) -> None:
    out = run("migrate", "plan", "--no-interpolate", "--from", str(env_file))
    assert out.code == 0, out.stderr
    assert "create     gaara/prod/database-url" in out.stdout
    assert "fp:" in out.stdout
    assert "LOG_LEVEL (line 2): no secret rule matches" in out.stdout
    assert "Nothing was written" in out.stdout
    for value in AWKWARD_SECRETS.values():
        assert value.strip() not in out.stdout
    assert "put" not in run.provider.calls


def test_plan_json(run: Cli, env_file: Path) -> None:
    out = run(
        "migrate",
        "plan",
        "--no-interpolate",
        "--from",
        str(env_file),
        "--json",
        "--config",
        "STRIPE_*",
    )
    data = json.loads(out.stdout)
    assert data["counts"]["create"] == len(AWKWARD_SECRETS) - 1
    skipped = {item["key"]: item["reason"] for item in data["left_in_env_file"]}
    assert skipped["STRIPE_API_KEY"] == "--config STRIPE_*"


def test_apply_verify_rollback(run: Cli, env_file: Path, tmp_path: Path) -> None:
    applied = run("migrate", "apply", "--no-interpolate", "--from", str(env_file))
    assert applied.code == 0, applied.stderr
    assert f"Wrote {len(AWKWARD_SECRETS)} secrets, 0 already up to date" in applied.stdout
    again = run("migrate", "apply", "--no-interpolate", "--from", str(env_file))
    assert f"Wrote 0 secrets, {len(AWKWARD_SECRETS)} already up to date" in again.stdout
    verified = run("migrate", "verify", "--no-interpolate", "--from", str(env_file))
    assert verified.code == 0
    assert f"{len(AWKWARD_SECRETS)} match, 0 differ, 0 missing" in verified.stdout

    target = tmp_path / "rolled-back.env"
    rolled = run("rollback", "--no-interpolate", "--to", str(target))
    assert rolled.code == 0, rolled.stderr
    assert entries_as_dict(read_dotenv_file(target)) == AWKWARD_SECRETS
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    refused = run("rollback", "--no-interpolate", "--to", str(target))
    assert refused.code == 1
    assert "exists already: pass --force" in refused.stderr
    assert run("rollback", "--no-interpolate", "--to", str(target), "--force").code == 0
    assert sorted(os.listdir(tmp_path)) == [".env", "rolled-back.env"]


def test_verify_reads_each_secret_once(run: Cli, env_file: Path) -> None:
    run("migrate", "apply", "--no-interpolate", "--from", str(env_file))
    reads = run.provider.calls["get"]
    assert run("migrate", "verify", "--no-interpolate", "--from", str(env_file)).code == 0
    assert run.provider.calls["get"] - reads == len(AWKWARD_SECRETS)


def test_verify_mismatch_exits_4(run: Cli, env_file: Path) -> None:
    run("migrate", "apply", "--no-interpolate", "--from", str(env_file))
    run.provider.put("gaara/prod/stripe-api-key", SecretValue("tampered"))
    out = run("migrate", "verify", "--no-interpolate", "--from", str(env_file), "--json")
    assert out.code == 4
    assert json.loads(out.stdout)["mismatched"] == ["gaara/prod/stripe-api-key"]
    assert "Verification failed" in out.stderr


def test_apply_failure_exits_1_and_rerun_finishes(env_file: Path) -> None:
    run = Cli(FlakyProvider(fail_on_put=2))
    out = run("migrate", "apply", "--no-interpolate", "--from", str(env_file))
    assert out.code == 1
    assert "ProviderUnavailableError" in out.stderr
    assert "run 'migrate apply' again" in out.stderr
    assert run("migrate", "apply", "--no-interpolate", "--from", str(env_file)).code == 0
    assert run("migrate", "verify", "--no-interpolate", "--from", str(env_file)).code == 0


def test_progress_bar_for_many_secrets(run: Cli, tmp_path: Path) -> None:
    many = tmp_path / "many.env"
    many.write_text("".join(f"KEY_{i}_TOKEN=value-{i}\n" for i in range(12)), encoding="utf-8")
    out = run("migrate", "apply", "--from", str(many))
    assert out.code == 0
    assert "Wrote 12 secrets" in out.stdout


def test_group_option(run: Cli, tmp_path: Path) -> None:
    source = tmp_path / "db.env"
    source.write_text("DATABASE_URL=pg://a\nDATABASE_USER=u\n", encoding="utf-8")
    assert run("migrate", "apply", "--from", str(source), "--group", "database").code == 0
    assert json.loads(run.provider.get("gaara/prod/database").value.reveal_text()) == {
        "url": "pg://a",
        "user": "u",
    }
    target = tmp_path / "out.env"
    assert run("rollback", "--no-interpolate", "--to", str(target), "--group", "DATABASE").code == 0
    expected = {"DATABASE_URL": "pg://a", "DATABASE_USER": "u"}
    assert entries_as_dict(read_dotenv_file(target)) == expected


def test_diff(run: Cli, env_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        run("diff", "--no-interpolate", "--from", str(env_file)).code == 4
    )  # nothing migrated yet
    run("migrate", "apply", "--no-interpolate", "--from", str(env_file))
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    clean = run("diff", "--no-interpolate", "--from", str(env_file), "--json")
    assert clean.code == 0, clean.stderr
    assert {row["status"] for row in json.loads(clean.stdout)} == {"same"}
    monkeypatch.setenv("STRIPE_API_KEY", "different-in-environment")
    drifted = run("diff", "--no-interpolate", "--from", str(env_file))
    assert drifted.code == 4
    assert "gaara/prod/stripe-api-key" in drifted.stderr
    assert "different" in drifted.stdout


def test_diff_compares_the_aws_key_pair_with_its_two_variables(
    run: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / ".env"
    source.write_text("AWS_ACCESS_KEY_ID=AKIAEXAMPLE\nAWS_SECRET_ACCESS_KEY=s3cr3t\n")
    assert run("migrate", "apply", "--no-interpolate", "--from", str(source)).code == 0
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t")
    same = run("diff", "--no-interpolate", "--from", str(source), "--json")
    assert same.code == 0, same.stdout + same.stderr
    [row] = json.loads(same.stdout)
    assert (row["name"], row["status"]) == ("gaara/prod/aws-access-key", "same")
    assert row["environment"] == row["store"]
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "rotated-elsewhere")
    drifted = run("diff", "--no-interpolate", "--from", str(source))
    assert drifted.code == 4
    assert "gaara/prod/aws-access-key" in drifted.stderr


class _UnreachableOnRead(InMemoryProvider):
    """Lists its names, but every read fails as a network error would."""

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        raise ProviderUnavailableError("connection reset", secret_name=name, provider=self.kind)


def test_diff_on_an_unreachable_store_is_an_error_not_drift(env_file: Path) -> None:
    provider = _UnreachableOnRead({"gaara/prod/database-url": "pg://a"})
    out = Cli(provider)("diff", "--no-interpolate", "--from", str(env_file))
    assert out.code == 1  # not 4: nothing says the store lacks the secret
    assert "connection reset" in out.stderr


def test_malformed_env_file_is_a_one_line_configuration_error(run: Cli, tmp_path: Path) -> None:
    source = tmp_path / "bad.env"
    source.write_text(f"API_TOKEN={SENTINEL}\nLOG=1\nAPI_TOKEN='{SENTINEL}'\n", encoding="utf-8")
    out = run("migrate", "plan", "--from", str(source))
    assert out.code == 3
    assert out.stderr.count("\n") == 1
    assert "line 3: duplicate key API_TOKEN: set on line 1 and again on line 3" in out.stderr


def test_migrate_into_the_env_backend_is_refused(tmp_path: Path) -> None:
    source = write_awkward_env(tmp_path / ".env")
    args = ["--backend", "env", "--env-file", str(source), "migrate", "plan", "--from", str(source)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "pass --to local, aws or vault" in result.stderr
