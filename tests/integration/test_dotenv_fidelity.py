"""Migration and rollback against python-dotenv itself, through the real ``secrets-adapter``
command on the embedded store: the store holds what python-dotenv reads (issue 14), ``verify``
checks the store against python-dotenv's reading, and a rollback file reads back through
python-dotenv to the stored values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from secrets_adapter import SecretsAdapter, SecretValue
from tests.sentinel import SENTINEL

_CLI = [sys.executable, "-m", "secrets_adapter"]
PREFIX = ["--prefix", "gaara/prod"]


def sa(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRETS_BACKEND", "ENVIRONMENT", "SECRETS_MANAGER_PREFIX")
    }
    result = subprocess.run(
        [*_CLI, *args],
        env=env | {"SECRETS_ADAPTER_PATH": str(store)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert SENTINEL not in result.stdout + result.stderr
    return result


def _stored(store: Path, name: str) -> str:
    with SecretsAdapter("local", path=store) as adapter:
        return adapter.get_secret_value(name)


def test_apply_then_verify_stores_what_python_dotenv_reads(cli_store: Path, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"DB_PASSWORD='ab\\\\cd'\nAPI_TOKEN=\"x\\$y\"\n")
    expected = dotenv_values(env_file, interpolate=False)
    assert expected == {"DB_PASSWORD": "ab\\cd", "API_TOKEN": "x\\$y"}

    applied = sa(
        "migrate", "apply", "--from", str(env_file), "--to", "local", *PREFIX, store=cli_store
    )
    assert applied.returncode == 0, applied.stderr
    assert _stored(cli_store, "gaara/prod/db-password") == expected["DB_PASSWORD"]
    assert _stored(cli_store, "gaara/prod/api-token") == expected["API_TOKEN"]
    verified = sa(
        "migrate", "verify", "--from", str(env_file), "--to", "local", *PREFIX, store=cli_store
    )
    assert verified.returncode == 0, verified.stderr
    assert "2 match, 0 differ" in verified.stdout


def test_verify_catches_a_value_python_dotenv_reads_differently(
    cli_store: Path, tmp_path: Path
) -> None:
    """The store holds the old parser's reading (``ab\\\\cd``); python-dotenv reads ``ab\\cd``:
    verify must fail, which it could not while it re-read the file with the same parser."""
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"DB_PASSWORD='ab\\\\cd'\n")
    with SecretsAdapter("local", path=cli_store) as adapter:
        adapter.put_secret("gaara/prod/db-password", SecretValue("ab\\\\cd"))
    out = sa(
        "migrate", "verify", "--from", str(env_file), "--to", "local", *PREFIX, store=cli_store
    )
    assert out.returncode == 4, out.stderr
    assert "differs   gaara/prod/db-password" in out.stdout


def test_undecided_interpolation_is_refused_naming_the_line(
    cli_store: Path, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"A_TOKEN=x\nB_TOKEN={SENTINEL}${{A_TOKEN}}\n", encoding="utf-8")
    out = sa("migrate", "plan", "--from", str(env_file), "--to", "local", store=cli_store)
    assert out.returncode == 3
    assert "line 2: B_TOKEN holds a ${...} reference" in out.stderr
    assert "--interpolate or --no-interpolate" in out.stderr
    expanded = sa(
        "migrate",
        "apply",
        "--interpolate",
        "--from",
        str(env_file),
        "--to",
        "local",
        store=cli_store,
    )
    assert expanded.returncode == 0, expanded.stderr
    assert _stored(cli_store, "b-token") == f"{SENTINEL}x" == dotenv_values(env_file)["B_TOKEN"]
    verified = sa(
        "migrate",
        "verify",
        "--interpolate",
        "--from",
        str(env_file),
        "--to",
        "local",
        store=cli_store,
    )
    assert verified.returncode == 0, verified.stderr


NASTY = {
    "BACKSLASHES": "ab\\cd\\\\ef",
    "ESCAPED_QUOTE_LOOKALIKE": "b\\' # c",
    "DOLLAR_ESCAPE_LOOKALIKE": "x\\$y",
    "TRAILING_BACKSLASH": "C:\\temp\\",
    "QUOTES": "'single' \"double\" `back`",
    "MULTILINE": "line one\nline two\r\nline three\rend",
    "PADDED_HASH": "  padded # not a comment  ",
    "UNICODE": "unicode ✓ 日本 é 😀",
    "CONTROL": "tab\tbell\a vertical\x0b",
    "EQUALS": "k=v=w",
}


@pytest.mark.parametrize("target", ["file", "stdout"])
def test_rollback_reads_back_through_python_dotenv(
    cli_store: Path, tmp_path: Path, target: str
) -> None:
    with SecretsAdapter("local", path=cli_store, prefix="gaara/prod") as adapter:
        for key, value in NASTY.items():
            adapter.put_secret(key.lower().replace("_", "-"), value)
    rollback_file = tmp_path / "rollback.env"
    if target == "file":
        out = sa(*PREFIX, "rollback", "--to", str(rollback_file), store=cli_store)
        assert out.returncode == 0, out.stderr
    else:
        out = sa(*PREFIX, "rollback", "--to", "-", store=cli_store)
        assert out.returncode == 0, out.stderr
        assert not (tmp_path / "-").exists() and not Path("-").exists()
        rollback_file.write_text(out.stdout, encoding="utf-8", newline="")
    assert dotenv_values(rollback_file, interpolate=False) == NASTY
    assert dotenv_values(rollback_file) == NASTY  # load_dotenv's default reading too


def test_rollback_refuses_values_an_interpolating_loader_would_change(
    cli_store: Path, tmp_path: Path
) -> None:
    with SecretsAdapter("local", path=cli_store, prefix="gaara/prod") as adapter:
        adapter.put_secret("db-url", "pg://u:${NOT_A_VAR}@h/db")
    target = tmp_path / "out.env"
    refused = sa(*PREFIX, "rollback", "--to", str(target), store=cli_store)
    assert refused.returncode == 1
    assert "DB_URL hold ${...}" in refused.stderr
    assert not target.exists()
    literal = sa(*PREFIX, "rollback", "--no-interpolate", "--to", str(target), store=cli_store)
    assert literal.returncode == 0, literal.stderr
    assert dotenv_values(target, interpolate=False) == {"DB_URL": "pg://u:${NOT_A_VAR}@h/db"}
