"""``secrets-adapter exec`` as a real process: environment in, exit code out, signals through."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from secrets_adapter import SecretsAdapter
from secrets_adapter.dotenv_file import format_dotenv

pytestmark = pytest.mark.slow

SECRETS = {
    "DATABASE_URL": "postgresql://gaara:p'a\"ss#w=rd@db/gaara",
    "JWT_SECRET_KEY": "multi\nline ✓ ${X}",
}


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / ".env"
    path.write_text(format_dotenv(SECRETS | {"LOG_LEVEL": "info"}), encoding="utf-8")
    return path


def _command(env_file: Path, *child: str) -> list[str]:
    base = [sys.executable, "-m", "secrets_adapter", "--backend", "env"]
    return [*base, "--env-file", str(env_file), "--prefix", "gaara/prod", "exec", "--", *child]


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRETS and not k.startswith("SECRETS_")}
    return env | extra


PRINT_ENV = """
import json, os, sys
parent = open(f"/proc/{os.getppid()}/cmdline", "rb").read().decode(errors="replace")
keys = ["DATABASE_URL", "JWT_SECRET_KEY", "LOG_LEVEL", "FROM_REFERENCE", "PLAIN"]
print(json.dumps({"env": {k: os.environ.get(k) for k in keys}, "parent": parent}))
sys.exit(7)
"""


def test_secrets_reach_the_environment_and_the_exit_code_comes_back(env_file: Path) -> None:
    result = subprocess.run(
        _command(env_file, sys.executable, "-c", PRINT_ENV),
        env=_environment(FROM_REFERENCE="secret://gaara/prod/jwt-secret-key", PLAIN="p"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 7, result.stderr
    data = json.loads(result.stdout)
    assert data["env"] == {
        "DATABASE_URL": SECRETS["DATABASE_URL"],
        "JWT_SECRET_KEY": SECRETS["JWT_SECRET_KEY"],
        "LOG_LEVEL": "info",  # the env backend lists every key of its .env file
        "FROM_REFERENCE": SECRETS["JWT_SECRET_KEY"],
        "PLAIN": "p",
    }
    assert "exec" in data["parent"]
    for value in SECRETS.values():
        assert value not in data["parent"]  # never on a command line


WAIT_FOR_SIGTERM = """
import signal, sys, time
def stop(signum, frame):
    print(f"got {signum}", flush=True)
    sys.exit(42)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
time.sleep(120)
sys.exit(1)
"""

WAIT_WITHOUT_HANDLER = """
import time
print("ready", flush=True)
time.sleep(120)
"""


def _start_and_terminate(env_file: Path, script: str) -> tuple[int, str]:
    process = subprocess.Popen(
        _command(env_file, sys.executable, "-c", script),
        env=_environment(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        return code, process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_sigterm_is_forwarded_to_the_child(env_file: Path) -> None:
    code, output = _start_and_terminate(env_file, WAIT_FOR_SIGTERM)
    assert output.strip() == f"got {int(signal.SIGTERM)}"
    assert code == 42


def test_child_killed_by_a_signal_gives_128_plus_n(env_file: Path) -> None:
    code, _ = _start_and_terminate(env_file, WAIT_WITHOUT_HANDLER)
    assert code == 128 + int(signal.SIGTERM)


def test_missing_command_is_127(env_file: Path) -> None:
    result = subprocess.run(
        _command(env_file, "definitely-not-a-command-9f2c"),
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 127
    assert "Command not found: definitely-not-a-command-9f2c" in result.stderr


def test_unresolvable_reference_stops_before_starting(env_file: Path) -> None:
    result = subprocess.run(
        _command(env_file, sys.executable, "-c", "print('started')"),
        env=_environment(TOKEN="secret://gaara/prod/missing"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "started" not in result.stdout
    assert "TOKEN=secret://gaara/prod/missing" in result.stderr


PRINT_KEYS = (
    "import json, os; keys = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']; "
    "print(json.dumps({k: os.environ.get(k) for k in keys}))"
)


@pytest.mark.parametrize("override", [False, True])
def test_a_variable_the_caller_set_is_never_overridden_unless_asked(
    cli_store: Path, override: bool
) -> None:
    """An IRSA pod's AWS_ACCESS_KEY_ID stays what the pod has; the stored static key is only
    used where the caller has none, or with --override."""
    with SecretsAdapter("local", path=cli_store, prefix="app") as adapter:
        adapter.put_secret("aws-access-key-id", "AKIASTORED")
        adapter.put_secret("aws-secret-access-key", "stored-secret")
    env = _environment(SECRETS_ADAPTER_PATH=str(cli_store), AWS_ACCESS_KEY_ID="ASIAFROMTHEROLE")
    env.pop("AWS_SECRET_ACCESS_KEY", None)
    flags = ["--override"] if override else []
    result = subprocess.run(
        [
            *[sys.executable, "-m", "secrets_adapter", "--prefix", "app", "exec", *flags],
            *["--", sys.executable, "-c", PRINT_KEYS],
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["AWS_SECRET_ACCESS_KEY"] == "stored-secret"
    if override:
        assert seen["AWS_ACCESS_KEY_ID"] == "AKIASTORED"
        assert "kept" not in result.stderr
    else:
        assert seen["AWS_ACCESS_KEY_ID"] == "ASIAFROMTHEROLE"
        assert (
            "kept AWS_ACCESS_KEY_ID from the environment (--override replaces it)" in result.stderr
        )
        assert "ASIAFROMTHEROLE" not in result.stderr


def test_exec_help_says_the_environment_wins() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "secrets_adapter", "exec", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "never replaced" in result.stdout
    assert "--override" in result.stdout
