"""The everyday CLI on a real store: values in by stdin, alone on stdout, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from secrets_adapter.cli.main import cli
from tests.sentinel import SENTINEL


def sa(*args: str, stdin: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def test_put_reads_stdin_and_get_prints_only_the_value(cli_store: Path) -> None:
    put = sa("put", "gaara/prod/stripe-api-key", stdin=SENTINEL + "\n")
    assert put.exit_code == 0, put.output
    assert SENTINEL not in put.output
    got = sa("get", "gaara/prod/stripe-api-key")
    assert got.exit_code == 0
    assert got.stdout == SENTINEL + "\n"


def test_multiline_value_round_trips_and_keep_newline(cli_store: Path) -> None:
    value = "line1\nline2\n"
    assert sa("put", "multi", "--keep-newline", stdin=value).exit_code == 0
    assert sa("get", "multi").stdout == value + "\n"


def test_put_from_file_and_binary(cli_store: Path, tmp_path: Path) -> None:
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x00\xff\x80 binary")
    assert sa("put", "bin", "--from-file", str(blob), "--binary").exit_code == 0
    assert sa("get", "bin").stdout_bytes == b"\x00\xff\x80 binary"
    not_text = sa("put", "bin2", "--from-file", str(blob))
    assert not_text.exit_code == 2
    assert "--binary" in not_text.stderr


def test_get_key_and_json(cli_store: Path) -> None:
    sa("put", "db", stdin='{"url": "postgresql://h/db", "password": "pw"}')
    assert sa("get", "db", "--key", "url").stdout == "postgresql://h/db\n"
    missing = sa("get", "db", "--key", "nope")
    assert missing.exit_code == 1
    assert "no key 'nope'" in missing.stderr
    payload = json.loads(sa("get", "db", "--json").stdout)
    assert payload["name"] == "db"
    assert payload["stages"] == ["current"]


def test_get_key_is_one_recorded_access(
    cli_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sa("put", "db", stdin='{"url": "postgresql://h/db"}')
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("SECRETS_ADAPTER_AUDIT_LOG", str(log))
    assert sa("get", "db", "--key", "url").stdout == "postgresql://h/db\n"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["eventName"] for r in records] == ["GetSecretValue"]


def test_list_describe_versions_rotate(cli_store: Path) -> None:
    sa("put", "app/a", stdin="1")
    sa("put", "app/b", stdin="2")
    assert json.loads(sa("list", "--json").stdout) == ["app/a", "app/b"]
    assert sa("list", "--prefix", "app/a").stdout == "app/a\n"
    assert sa("rotate", "app/a").exit_code == 3  # no rotator chosen: refused, untouched
    sa("rotation", "configure", "app/a", "--rotator", "random")
    rotated = sa("rotate", "app/a")
    assert rotated.exit_code == 0, rotated.output
    versions = json.loads(sa("versions", "app/a", "--json").stdout)
    assert [v["stages"] for v in versions] == [["current"], ["previous"]]
    described = sa("describe", "app/a")
    assert "versions: 2" in described.stdout
    assert "last rotation:" in described.stdout
    assert "next rotation:" in described.stdout
    info = json.loads(sa("describe", "app/a", "--json").stdout)
    assert info["rotation"]["last_rotated"] is not None
    assert sa("get", "app/a").stdout.strip() != "1"


def test_delete_restore(cli_store: Path) -> None:
    sa("put", "gone", stdin=SENTINEL)
    deleted = sa("delete", "gone", "--recovery-days", "7")
    assert deleted.exit_code == 0
    read = sa("get", "gone")
    assert read.exit_code == 1
    assert "scheduled for deletion" in read.stderr
    assert SENTINEL not in read.output
    assert sa("restore", "gone").exit_code == 0
    assert sa("get", "gone").stdout == SENTINEL + "\n"
    assert sa("delete", "gone", "--recovery-days", "3").exit_code == 2
    assert sa("delete", "gone", "--force", "--yes").exit_code == 0
    assert sa("get", "gone").exit_code == 1


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("get", "no such name"), 2, "1-512 characters"),
        (("get", "absent"), 1, "not found"),
        (("--backend", "env", "put", "x"), 3, "read-only"),
    ],
)
def test_errors_are_one_line_with_exit_codes(
    cli_store: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    result = sa(*args, stdin="v")
    assert result.exit_code == code
    assert message in result.stderr
    assert result.stderr.startswith("secrets-adapter: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_missing_store_says_to_run_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETS_BACKEND", raising=False)
    monkeypatch.setenv("SECRETS_ADAPTER_PATH", str(tmp_path / "nowhere"))
    result = sa("get", "x")
    assert result.exit_code != 0
    assert "init" in result.stderr
    assert "Traceback" not in result.output


def test_console_script_substitution_works(cli_store: Path) -> None:
    sa("put", "k", stdin=SENTINEL)
    env = {**os.environ, "SECRETS_ADAPTER_PATH": str(cli_store)}
    out = subprocess.run(
        [sys.executable, "-m", "secrets_adapter", "get", "k"],
        capture_output=True,
        env=env,
        check=True,
        timeout=60,
    )
    assert out.stdout == (SENTINEL + "\n").encode()
    assert out.stderr == b""


def test_every_command_has_help(cli_store: Path) -> None:
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        result = sa(name, "--help")
        assert result.exit_code == 0, name
        assert "Usage:" in result.stdout


def test_main_returns_the_exit_code_of_ctx_exit() -> None:
    from secrets_adapter.cli.main import main

    @cli.command("exit-seven", hidden=True)
    @click.pass_context
    def exit_seven(ctx: click.Context) -> None:
        ctx.exit(7)

    try:
        assert main(["exit-seven"]) == 7
        assert main(["--help"]) == 0
    finally:
        cli.commands.pop("exit-seven")


def test_backend_option_is_an_explicit_choice_in_production(
    cli_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    stored = sa("--backend", "local", "put", "prod/key", stdin="v")
    assert stored.exit_code == 0, stored.stderr
    assert sa("get", "prod/key").stdout == "v\n"  # no --backend, no SECRETS_BACKEND: the store
    monkeypatch.setenv("SECRETS_BACKEND", "env")
    assert sa("--backend", "local", "get", "prod/key").stdout == "v\n"  # the option wins


def test_empty_stdin_says_where_the_value_should_come_from(cli_store: Path) -> None:
    result = sa("put", "k", stdin="")
    assert result.exit_code == 2
    assert "No value: stdin was empty" in result.stderr


def test_an_os_error_on_a_user_path_is_one_line_not_a_traceback(cli_store: Path) -> None:
    result = sa("rotate-master-key", "--generate-into", str(cli_store / "no" / "such" / "new.key"))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("secrets-adapter: No such file or directory (")
    assert result.stderr.count("\n") == 1


def test_put_prompts_on_stderr_without_echo_when_stdin_is_a_terminal(
    cli_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("secrets_adapter.cli.commands._stdin_is_terminal", lambda: True)
    result = sa("put", "typed", stdin=f"{SENTINEL}\n{SENTINEL}\n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "Value" in result.stderr
    assert SENTINEL not in result.output
    assert sa("get", "typed").stdout == SENTINEL + "\n"


def test_main_never_prints_an_unexpected_error_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from secrets_adapter.cli.main import main
    from secrets_adapter.errors import SecretNotFoundError

    @cli.command("fail-untranslated", hidden=True)
    def fail_untranslated() -> None:
        raise RuntimeError(f"driver said: password={SENTINEL}")

    @cli.command("fail-unhandled", hidden=True)
    def fail_unhandled() -> None:
        raise SecretNotFoundError("Secret 'x' not found.", secret_name="x")

    monkeypatch.delenv("SECRETS_ADAPTER_DEBUG", raising=False)
    try:
        assert main(["fail-untranslated"]) == 1
        captured = capsys.readouterr()
        assert SENTINEL not in captured.out + captured.err
        assert "unexpected RuntimeError" in captured.err
        assert "SECRETS_ADAPTER_DEBUG=1" in captured.err
        assert main(["fail-unhandled"]) == 1
        assert capsys.readouterr().err == "secrets-adapter: Secret 'x' not found.\n"
        monkeypatch.setenv("SECRETS_ADAPTER_DEBUG", "1")
        with pytest.raises(RuntimeError):
            main(["fail-untranslated"])
    finally:
        cli.commands.pop("fail-untranslated")
        cli.commands.pop("fail-unhandled")
