"""The local store under real processes: no lost update, and SIGKILL mid-write is atomic.

Children run ``tests/integration/local_store_child.py`` with the master key in their environment.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from secrets_adapter.errors import IntegrityError
from secrets_adapter.localstore import (
    DB_FILE,
    generate_master_key,
    init_store,
    write_key_file,
)
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.local import LocalProvider

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

REPO_ROOT = Path(__file__).resolve().parents[2]
NAME = "app/counter"


@pytest.fixture
def master_key() -> str:
    return generate_master_key().encoded()


@pytest.fixture
def store(tmp_path: Path, master_key: str) -> Iterator[Path]:
    folder = tmp_path / "store"
    init_store(folder, master_key=master_key)
    yield folder


def _child(master_key: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SECRETS_ADAPTER_MASTER_KEY": master_key}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.local_store_child", *args],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _assert_consistent(folder: Path, master_key: str) -> LocalProvider:
    """The database passes SQLite's check, every version decrypts, exactly one is current."""
    conn = sqlite3.connect(folder / DB_FILE)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
    provider = LocalProvider.open(folder, master_key=master_key)
    for name in provider.list_names():
        meta = provider.describe(name)
        holders = [v for v in meta.versions if Stage.CURRENT in v.stages]
        assert len(holders) == 1
        for info in meta.versions:
            provider.get(name, version=info.version_id)
    return provider


def test_concurrent_check_and_set_increments_lose_no_update(store: Path, master_key: str) -> None:
    processes, increments = 4, 25
    with LocalProvider.open(store, master_key=master_key) as provider:
        provider.put(NAME, SecretValue("0"))
    children = [
        _child(master_key, "increment", str(store), NAME, str(increments)) for _ in range(processes)
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
    for child in children:  # start them together
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    conflicts = 0
    for child in children:
        out, err = child.communicate(timeout=100)
        assert child.returncode == 0, err
        conflicts += int(out.split()[-1])
    with _assert_consistent(store, master_key) as provider:
        assert provider.get(NAME).value.reveal() == str(processes * increments)
        # 1 seed + N*K puts, pruned to the default limit of 100 versions
        assert len(provider.describe(NAME).versions) == 100
    print(f"{processes * increments} increments, {conflicts} check-and-set retries")


@pytest.mark.parametrize(
    "case",
    [
        ("INSERT INTO versions", "INSERT INTO versions", "after", "old"),
        ("INSERT INTO versions", "INSERT INTO stages", "after", "old"),
        ("INSERT INTO versions", "COMMIT", "before", "old"),
        ("INSERT INTO versions", "COMMIT", "after", "new"),
    ],
)
def test_sigkill_inside_put_leaves_old_or_new_state(
    store: Path, master_key: str, case: tuple[str, str, str, str]
) -> None:
    arm, kill, when, expected = case
    with LocalProvider.open(store, master_key=master_key) as provider:
        first = provider.put(NAME, SecretValue("old"))
    child = _child(master_key, "crash-put", str(store), NAME, "new", arm, kill, when)
    _, err = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, err
    with _assert_consistent(store, master_key) as provider:
        secret = provider.get(NAME)
        versions = provider.describe(NAME).versions
        if expected == "old":
            assert secret.value.reveal() == "old"
            assert secret.version_id == first.version_id
            assert [v.version_id for v in versions] == [first.version_id]
        else:
            assert secret.value.reveal() == "new"
            assert provider.get(NAME, stage=Stage.PREVIOUS).value.reveal() == "old"
            assert len(versions) == 2
        provider.put(NAME, SecretValue("after the crash"))  # the store takes writes again
        assert provider.get(NAME).value.reveal() == "after the crash"


def test_sigkill_at_random_moments_of_a_busy_writer(store: Path, master_key: str) -> None:
    rng = random.Random(20261129)
    for _ in range(3):
        child = _child(master_key, "write-forever", str(store), NAME)
        assert child.stdin is not None
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        child.stdin.write("go\n")
        child.stdin.flush()
        target = rng.randint(3, 25)
        acknowledged = 0
        while acknowledged < target:
            acknowledged = int(child.stdout.readline())
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate(timeout=30)
        acknowledged = max([acknowledged, *(int(line) for line in rest.split())])
        assert child.returncode == -signal.SIGKILL
        with _assert_consistent(store, master_key) as provider:
            value = int(provider.get(NAME).value.reveal_text())
            assert value in (acknowledged, acknowledged + 1)
            provider.delete(NAME, force=True)


@pytest.mark.parametrize(
    "case",
    [
        ("UPDATE versions", "after", "old"),
        ("COMMIT", "before", "old"),
        ("COMMIT", "after", "new"),
    ],
)
def test_sigkill_inside_master_key_rotation_is_all_or_nothing(
    store: Path, master_key: str, tmp_path: Path, case: tuple[str, str, str]
) -> None:
    kill, when, opens_with = case
    with LocalProvider.open(store, master_key=master_key) as provider:
        for index in range(5):
            provider.put(f"app/secret-{index}", SecretValue(f"value {index}"))
            provider.put(f"app/secret-{index}", SecretValue(f"value {index} v2"))
    new_key = generate_master_key()
    new_key_file = tmp_path / "new.key"
    write_key_file(new_key_file, new_key)
    child = _child(master_key, "crash-rotate", str(store), str(new_key_file), "UPDATE", kill, when)
    _, err = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, err
    good, bad = (
        (master_key, new_key.encoded()) if opens_with == "old" else (new_key.encoded(), master_key)
    )
    with pytest.raises(IntegrityError, match="Wrong master key"):
        LocalProvider.open(store, master_key=bad)
    with _assert_consistent(store, good) as provider:
        for index in range(5):
            assert provider.get(f"app/secret-{index}").value.reveal() == f"value {index} v2"
            previous = provider.get(f"app/secret-{index}", stage=Stage.PREVIOUS)
            assert previous.value.reveal() == f"value {index}"


def _put_in_forked_child(provider: LocalProvider, parent_connection: int) -> None:
    provider.put(NAME, SecretValue("from the child"))
    if id(provider._store._conn) == parent_connection:
        sys.exit(3)  # wrote through the connection inherited from the parent
    provider.close()


def test_a_forked_child_opens_its_own_connection(store: Path, master_key: str) -> None:
    """A provider opened before fork (gunicorn --preload) keeps working on both sides."""
    with LocalProvider.open(store, master_key=master_key) as provider:
        provider.put(NAME, SecretValue("from the parent"))
        child = multiprocessing.get_context("fork").Process(
            target=_put_in_forked_child, args=(provider, id(provider._store._conn))
        )
        child.start()
        child.join(timeout=60)
        assert child.exitcode == 0
        assert provider.get(NAME).value.reveal() == "from the child"
        assert provider.get(NAME, stage=Stage.PREVIOUS).value.reveal() == "from the parent"
