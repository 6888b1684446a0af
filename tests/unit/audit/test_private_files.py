"""Audit files and folders: final modes whatever the umask, no symlink followed, no folder others
can write, and an unusable path is a ``ConfigurationError`` naming it."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from secrets_adapter import SecretsAdapter
from secrets_adapter.audit import Checkpoint, JsonlFileSink, write_checkpoint
from secrets_adapter.audit.records import to_record
from secrets_adapter.errors import ConfigurationError, IntegrityError
from secrets_adapter.testing import InMemoryProvider
from tests.unit.audit.events import access


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def umask(value: int) -> Iterator[None]:
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o277])
def test_folders_are_0700_and_files_0600_whatever_the_umask(tmp_path: Path, mask: int) -> None:
    log = tmp_path / "var" / "audit" / "access.jsonl"
    checkpoint = tmp_path / "elsewhere" / "audit.checkpoint"
    checkpoint.parent.mkdir(mode=0o700)
    with umask(mask):
        sink = JsonlFileSink(log, checkpoint=checkpoint, checkpoint_key=b"k" * 32)
        sink.append([to_record(access(0))])
    assert mode_of(tmp_path / "var") == 0o700
    assert mode_of(log.parent) == 0o700
    assert mode_of(log) == 0o600
    assert mode_of(log.with_name("access.jsonl.lock")) == 0o600
    assert mode_of(checkpoint) == 0o600


def test_write_checkpoint_does_not_follow_a_planted_symlink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    target = tmp_path / "audit.checkpoint"
    names = iter([b"\x01" * 6, b"\x02" * 6])
    monkeypatch.setattr(os, "urandom", lambda size: next(names))
    planted = tmp_path / f".audit.checkpoint.{'01' * 6}.tmp"  # the first name it will try
    planted.symlink_to(victim)
    write_checkpoint(target, Checkpoint(count=1, head_hash="a" * 64, time="t"))
    assert victim.read_text() == "precious\n"
    assert planted.is_symlink()
    assert Checkpoint.from_json(target.read_text()).count == 1
    assert mode_of(target) == 0o600


def test_a_log_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    log = tmp_path / "access.jsonl"
    log.symlink_to(victim)
    with pytest.raises(ConfigurationError, match="symbolic link"):
        JsonlFileSink(log)
    sink = JsonlFileSink(tmp_path / "other.jsonl")
    (tmp_path / "other.jsonl").symlink_to(victim)  # planted after start-up: tampering
    with pytest.raises(IntegrityError, match="symbolic link"):
        sink.append([to_record(access(0))])
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize("loose", [0o770, 0o707, 0o777])
def test_a_folder_others_can_write_is_refused(tmp_path: Path, loose: int) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(loose)
    with pytest.raises(ConfigurationError, match="writable by group or others") as caught:
        JsonlFileSink(folder / "access.jsonl")
    assert str(folder) in caught.value.message
    assert "chmod go-w" in caught.value.message
    assert not (folder / "access.jsonl.lock").exists()


def test_a_path_under_a_regular_file_is_a_configuration_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    log = blocker / "audit" / "access.jsonl"
    with pytest.raises(ConfigurationError, match="not a folder") as caught:
        JsonlFileSink(log)
    assert str(blocker) in caught.value.message
    with pytest.raises(ConfigurationError, match="not-a-folder"):  # from the adapter too
        SecretsAdapter(provider=InMemoryProvider({}), audit_log=log)


# A child process, so that the check runs with less privilege (or another mount) than the tests.
PROBE = """
import sys
from secrets_adapter.audit import JsonlFileSink
from secrets_adapter.errors import ConfigurationError, IntegrityError
try:
    JsonlFileSink(sys.argv[1])
except ConfigurationError as exc:
    print(exc.message)
    sys.exit(3)
print("opened")
"""


def test_a_folder_without_permission_is_a_configuration_error(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    log = folder / "audit" / "access.jsonl"
    command = [sys.executable, "-c", PROBE, str(log)]
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0:  # root ignores modes: drop the capabilities that let it
        if setpriv is None:
            pytest.skip("needs setpriv(1) to run without CAP_DAC_OVERRIDE as root")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    finally:
        folder.chmod(0o700)
    assert result.returncode == 3, result.stderr
    assert "permission denied" in result.stdout
    assert str(folder / "audit") in result.stdout


def test_a_read_only_file_system_is_a_configuration_error(tmp_path: Path) -> None:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs unshare(1) to mount a read-only file system")
    mount_point = tmp_path / "ro"
    mount_point.mkdir()
    log = mount_point / "audit" / "access.jsonl"
    script = (
        f'mount -t tmpfs -o ro tmpfs {mount_point} || exit 42; exec "{sys.executable}" -c "$0" "$1"'
    )
    result = subprocess.run(
        [unshare, "-rm", "sh", "-c", script, PROBE, str(log)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode == 42 or "unshare failed" in result.stderr:
        pytest.skip("user namespaces are not available here")
    assert result.returncode == 3, result.stderr
    assert "read-only" in result.stdout
    assert str(log.parent) in result.stdout
