"""The local store's rotation lease is one SQLite transaction: of two processes released at the
same instant, exactly one rotates — every time.

Each trial forks two processes that wait on one barrier and then call ``RotationEngine.rotate``.
The winner's rotator blocks in *set* until the parent has seen the loser's answer, so a run that
finished cannot free the lease for the other: if both took it, both would block and no refusal
would come.
"""

from __future__ import annotations

import multiprocessing
import queue
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path

import pytest

from secrets_adapter.errors import RotationError
from secrets_adapter.localstore import init_store
from secrets_adapter.models import SecretValue
from secrets_adapter.providers.local import LocalProvider
from secrets_adapter.rotation.engine import RotationEngine, RotationLeaseHolder
from secrets_adapter.rotation.rotator import RotationContext
from secrets_adapter.rotation.rotators.random import RandomRotator
from secrets_adapter.rotation.schedule import rotation_config_tags
from secrets_adapter.rotation.state import TAG_LEASE

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

NAME = "app/api-key"
TRIALS = 25
FORK = multiprocessing.get_context("fork")


class _HoldInSet(RandomRotator):
    def __init__(self, release: Event) -> None:
        self.release = release

    def set(self, context: RotationContext, pending: SecretValue) -> None:
        if not self.release.wait(timeout=30):
            raise TimeoutError("the parent never released the winner")


def _contender(
    folder: Path, barrier: Barrier, release: Event, answers: multiprocessing.Queue[str]
) -> None:
    provider = LocalProvider.open(folder)
    engine = RotationEngine(provider, {"random": _HoldInSet(release)})
    barrier.wait(timeout=30)
    try:
        engine.rotate(NAME)
    except RotationError as exc:
        answers.put("refused" if "already in progress" in exc.message else f"error {exc.step}")
    else:
        answers.put("rotated")
    finally:
        provider.close()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    init_store(folder)
    with LocalProvider.open(folder) as provider:
        provider.put(NAME, SecretValue("initial-value-0123456789-abcdefghij"))
        provider.set_tags(NAME, rotation_config_tags(rotator="random", every=None, options={}))
    return folder


def test_two_processes_released_at_once_exactly_one_rotates(store: Path) -> None:
    for trial in range(TRIALS):
        barrier, release = FORK.Barrier(2), FORK.Event()
        answers: multiprocessing.Queue[str] = FORK.Queue()
        children = [
            FORK.Process(target=_contender, args=(store, barrier, release, answers))
            for _ in range(2)
        ]
        for child in children:
            child.start()
        try:
            first = answers.get(timeout=60)
        except queue.Empty:
            first = "nobody was refused: both took the lease"
        release.set()
        second = answers.get(timeout=60)
        for child in children:
            child.join(timeout=60)
        assert (first, second) == ("refused", "rotated"), f"trial {trial}"
    with LocalProvider.open(store) as provider:
        assert len(provider.describe(NAME).versions) == TRIALS + 1
        assert TAG_LEASE not in provider.describe(NAME).tags


def test_the_lease_is_exclusive_until_released_or_expired(store: Path) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    provider = LocalProvider.open(store, clock=lambda: now)
    try:
        assert isinstance(provider, RotationLeaseHolder)
        ttl = timedelta(minutes=5)
        assert provider.acquire_rotation_lease(NAME, owner="a", ttl=ttl)
        assert provider.acquire_rotation_lease(NAME, owner="a", ttl=ttl)  # its own: renewed
        assert not provider.acquire_rotation_lease(NAME, owner="b", ttl=ttl)
        provider.release_rotation_lease(NAME, owner="b")  # not b's: nothing happens
        assert not provider.acquire_rotation_lease(NAME, owner="b", ttl=ttl)
        provider.release_rotation_lease(NAME, owner="a")
        assert provider.acquire_rotation_lease(NAME, owner="b", ttl=ttl)
        now += ttl  # b crashed: its lease expires
        assert provider.acquire_rotation_lease(NAME, owner="c", ttl=ttl)
    finally:
        provider.close()
