"""``secrets-adapter init`` and ``rotate-master-key``: key material never on argv or in output."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from secrets_adapter.cli.main import cli
from secrets_adapter.errors import IntegrityError
from secrets_adapter.localstore import DB_FILE, KEY_FILE, generate_master_key, write_key_file
from secrets_adapter.models import SecretValue
from secrets_adapter.providers.local import LocalProvider
from tests.sentinel import SENTINEL

PASSPHRASE = "a passphrase long enough"
_KEY_VARIABLES = (
    "SECRETS_ADAPTER_MASTER_KEY",
    "SECRETS_ADAPTER_MASTER_KEY_FILE",
    "SECRETS_ADAPTER_PASSPHRASE",
    "SECRETS_ADAPTER_PATH",
)


def _run(args: list[str], *, stdin: str | None = None, **env: str) -> Result:
    environment: dict[str, str | None] = dict.fromkeys(_KEY_VARIABLES)
    environment.update(env)
    return CliRunner().invoke(cli, args, input=stdin, env=environment, catch_exceptions=False)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _seed(folder: Path, **key: str) -> None:
    with LocalProvider.open(folder, **key) as provider:  # type: ignore[arg-type]
        provider.put("app/db", SecretValue(SENTINEL))


def _read(folder: Path, **key: str) -> str | bytes:
    with LocalProvider.open(folder, **key) as provider:  # type: ignore[arg-type]
        return provider.get("app/db").value.reveal()


def test_init_generates_a_key_file_and_never_prints_it(tmp_path: Path) -> None:
    folder = tmp_path / ".secrets"
    result = _run(["--path", str(folder), "init"])
    assert result.exit_code == 0, result.output
    key_text = (folder / KEY_FILE).read_text().strip()
    assert key_text not in result.output
    assert "master.key" in result.output
    assert _mode(folder) == 0o700
    assert _mode(folder / DB_FILE) == 0o600
    assert _mode(folder / KEY_FILE) == 0o600


def test_init_twice_is_a_one_line_error(tmp_path: Path) -> None:
    folder = tmp_path / ".secrets"
    assert _run(["--path", str(folder), "init"]).exit_code == 0
    result = _run(["--path", str(folder), "init"])
    assert result.exit_code == 1
    assert "exists already" in result.output
    assert "Traceback" not in result.output


def test_init_uses_the_environment_key_without_writing_it(tmp_path: Path) -> None:
    folder = tmp_path / ".secrets"
    key = generate_master_key().encoded()
    result = _run(["--path", str(folder), "init"], SECRETS_ADAPTER_MASTER_KEY=key)
    assert result.exit_code == 0, result.output
    assert not (folder / KEY_FILE).exists()
    assert key not in result.output
    _seed(folder, master_key=key)
    assert _read(folder, master_key=key) == SENTINEL


def test_init_with_a_passphrase_from_stdin(tmp_path: Path) -> None:
    folder = tmp_path / ".secrets"
    result = _run(["--path", str(folder), "init", "--passphrase"], stdin=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    assert PASSPHRASE not in result.output
    _seed(folder, passphrase=PASSPHRASE)
    assert _read(folder, passphrase=PASSPHRASE) == SENTINEL


def test_rotate_generating_a_new_key_file(tmp_path: Path) -> None:
    folder = tmp_path / ".secrets"
    _run(["--path", str(folder), "init"])
    _seed(folder)
    old_key = (folder / KEY_FILE).read_text().strip()
    new_file = tmp_path / "new.key"
    result = _run(["--path", str(folder), "rotate-master-key", "--generate-into", str(new_file)])
    assert result.exit_code == 0, result.output
    assert "Re-wrapped 1 data key" in result.output
    assert _mode(new_file) == 0o600
    new_key = new_file.read_text().strip()
    assert new_key not in result.output
    assert SENTINEL not in result.output
    with pytest.raises(IntegrityError):
        _read(folder, master_key=old_key)
    assert _read(folder, master_key=new_key) == SENTINEL


def test_rotate_with_the_new_key_on_stdin(tmp_path: Path) -> None:
    folder = tmp_path / ".secrets"
    old_key = generate_master_key().encoded()
    _run(["--path", str(folder), "init"], SECRETS_ADAPTER_MASTER_KEY=old_key)
    _seed(folder, master_key=old_key)
    new_key = generate_master_key().encoded()
    result = _run(
        ["--path", str(folder), "rotate-master-key", "--new-key-stdin"],
        stdin=new_key,
        SECRETS_ADAPTER_MASTER_KEY=old_key,
    )
    assert result.exit_code == 0, result.output
    assert _read(folder, master_key=new_key) == SENTINEL


def test_rotate_to_a_passphrase_and_from_a_key_file(tmp_path: Path) -> None:
    folder = tmp_path / ".secrets"
    old_key = generate_master_key()
    old_file = tmp_path / "old.key"
    write_key_file(old_file, old_key)
    _run(["--path", str(folder), "init", "--key-file", str(old_file)])
    _seed(folder, master_key=old_key.encoded())
    result = _run(
        ["--path", str(folder), "rotate-master-key", "--new-passphrase"],
        stdin=PASSPHRASE + "\n",
        SECRETS_ADAPTER_MASTER_KEY_FILE=str(old_file),
    )
    assert result.exit_code == 0, result.output
    assert _read(folder, passphrase=PASSPHRASE) == SENTINEL


def test_rotate_with_a_wrong_old_key_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / ".secrets"
    _run(["--path", str(folder), "init"])
    _seed(folder)
    new_file = tmp_path / "new.key"
    result = _run(
        ["--path", str(folder), "rotate-master-key", "--generate-into", str(new_file)],
        SECRETS_ADAPTER_MASTER_KEY=generate_master_key().encoded(),
    )
    assert result.exit_code == 1
    assert "Wrong master key" in result.output
    assert not new_file.exists()  # the unused key is not left behind
    assert _read(folder) == SENTINEL


@pytest.mark.parametrize(
    "options", [[], ["--new-key-stdin", "--new-passphrase"]], ids=["none", "two"]
)
def test_rotate_needs_exactly_one_new_key(tmp_path: Path, options: list[str]) -> None:
    folder = tmp_path / ".secrets"
    _run(["--path", str(folder), "init"])
    result = _run(["--path", str(folder), "rotate-master-key", *options], stdin="")
    assert result.exit_code == 2
    assert "exactly one" in result.output


def test_rotate_on_a_missing_store_says_to_run_init(tmp_path: Path) -> None:
    result = _run(
        ["--path", str(tmp_path / "absent"), "rotate-master-key", "--new-key-stdin"],
        stdin=generate_master_key().encoded(),
        SECRETS_ADAPTER_MASTER_KEY=generate_master_key().encoded(),
    )
    assert result.exit_code == 3
    assert "secrets-adapter init" in result.output
