"""``secrets-adapter export`` checked by each format's consumer: python-dotenv, a real bash,
PyYAML for the Kubernetes manifest, and docker's env-file rules; audited and policy-checked."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from dotenv import dotenv_values

from secrets_adapter import SecretsAdapter
from secrets_adapter.cli.main import cli
from tests.sentinel import SENTINEL

NASTY = {
    "DATABASE_URL": "postgresql://u:p'a\"ss#w=rd@db/app?x=$HOME&y=`id`",
    "QUOTES": "it's \"quoted\" 'twice' \\' \\\"",
    "BACKSLASHES": "C:\\temp\\ \\n \\\\",
    "SHELL_TRAPS": "$(touch pwned) ; rm -rf / && echo `id` | cat > x; !! *",
    "PADDED": "  spaces # not a comment  ",
    "UNICODE": "✓ 日本 é 😀",
    "ON": "yes",  # a key YAML 1.1 would read as a boolean if unquoted
    "SENTINEL_TOKEN": SENTINEL,
}
MULTILINE = {"PEM_KEY": "-----BEGIN KEY-----\nabc\r\ndef\n-----END KEY-----\n"}


def sa(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    return result


@pytest.fixture
def store(cli_store: Path) -> Path:
    with SecretsAdapter("local", path=cli_store, prefix="gaara/prod") as adapter:
        for key, value in NASTY.items():
            adapter.put_secret(key.lower().replace("_", "-"), value)
    return cli_store


def _export(fmt: str, *extra: str) -> str:
    result = sa("--prefix", "gaara/prod", "export", "--format", fmt, *extra)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_dotenv_reads_back_through_python_dotenv(store: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.env"
    target.write_text(_export("dotenv"), encoding="utf-8")
    assert dotenv_values(target, interpolate=False) == NASTY
    assert dotenv_values(target) == NASTY  # load_dotenv's default reading


def test_json(store: Path) -> None:
    assert json.loads(_export("json")) == NASTY


def test_shell_is_safe_to_eval_in_bash(store: Path, tmp_path: Path) -> None:
    script = _export("shell")
    workdir = tmp_path / "work"
    workdir.mkdir()
    printer = "import json, os, sys; print(json.dumps({k: os.environ[k] for k in sys.argv[1:]}))"
    result = subprocess.run(
        [
            "bash",
            "-c",
            f'eval "$1"; exec "$2" -c "$3" {" ".join(NASTY)}',
            "bash",
            script,
            sys.executable,
            printer,
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == NASTY
    assert os.listdir(workdir) == []  # nothing in a value ran


def test_docker_env_follows_docker_rules(store: Path) -> None:
    text = _export("docker-env")
    lines = text.splitlines()
    assert len(lines) == len(NASTY)  # one line per variable
    # docker: the name up to the first '=', the rest of the line verbatim (no quote processing)
    assert dict(line.split("=", 1) for line in lines) == NASTY


def test_docker_env_refuses_a_line_break(cli_store: Path) -> None:
    with SecretsAdapter("local", path=cli_store, prefix="gaara/prod") as adapter:
        adapter.put_secret("pem-key", MULTILINE["PEM_KEY"])
    result = sa("--prefix", "gaara/prod", "export", "--format", "docker-env")
    assert result.exit_code == 1
    assert "PEM_KEY holds a line break, which a docker env-file cannot carry" in result.stderr
    assert "BEGIN" not in result.output


def test_k8s_secret_is_a_valid_v1_secret(store: Path) -> None:
    manifest = yaml.safe_load(_export("k8s-secret"))
    assert manifest["apiVersion"] == "v1"
    assert manifest["kind"] == "Secret"
    assert manifest["type"] == "Opaque"
    assert manifest["metadata"] == {"name": "gaara-prod"}
    decoded = {k: base64.b64decode(v, validate=True).decode() for k, v in manifest["data"].items()}
    assert decoded == NASTY
    named = yaml.safe_load(_export("k8s-secret", "--name", "gaara-store"))
    assert named["metadata"]["name"] == "gaara-store"
    refused = sa("--prefix", "gaara/prod", "export", "--format", "k8s-secret", "--name", "Bad_Name")
    assert refused.exit_code == 1
    assert "not a Kubernetes object name" in refused.stderr


def test_out_file_is_0600_and_not_overwritten_without_force(store: Path, tmp_path: Path) -> None:
    target = tmp_path / "secrets.json"
    written = sa("--prefix", "gaara/prod", "export", "--format", "json", "--out", str(target))
    assert written.exit_code == 0, written.output
    assert written.stdout == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text(encoding="utf-8")) == NASTY
    again = sa("--prefix", "gaara/prod", "export", "--format", "json", "--out", str(target))
    assert again.exit_code == 1
    assert "exists already: pass --force" in again.stderr
    forced = sa("--prefix", "gaara/prod", "export", "--out", str(target), "--force")
    assert forced.exit_code == 0
    assert dotenv_values(target) == NASTY
    assert sorted(os.listdir(tmp_path)) == ["secrets.json", "store"]


def test_out_refuses_to_follow_a_symlink_it_did_not_create(store: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep\n", encoding="utf-8")
    link = tmp_path / "link.env"
    link.symlink_to(elsewhere)
    result = sa("--prefix", "gaara/prod", "export", "--out", str(link))
    assert result.exit_code == 1
    assert elsewhere.read_text(encoding="utf-8") == "keep\n"


def test_export_is_one_audited_read(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("SECRETS_ADAPTER_AUDIT_LOG", str(log))
    _export("json")
    records = [json.loads(line) for line in log.read_text().splitlines()]
    reads = [r for r in records if r["eventName"] == "GetSecretValue"]
    assert sorted(r["requestParameters"]["secretId"] for r in reads) == sorted(
        f"gaara/prod/{key.lower().replace('_', '-')}" for key in NASTY
    )
    assert all(r["requestParameters"]["batch"] for r in reads)  # one get_many
    assert SENTINEL not in log.read_text()


def test_export_is_policy_checked(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[statement]]\nsid = "list-only"\neffect = "allow"\nprincipals = ["*"]\n'
        'actions = ["list"]\nsecrets = ["gaara/prod/*"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("SECRETS_ADAPTER_POLICY", str(policy))
    result = sa("--prefix", "gaara/prod", "export", "--format", "json")
    assert result.exit_code == 1
    assert SENTINEL not in result.output
    assert "denied" in result.stderr.lower() or "policy" in result.stderr.lower()
