"""Two processes released at once against a real OpenBao: the rotation lease is taken exactly
once, a stage moves exactly once, and concurrent changes of different labels are all kept."""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.vault import VaultProvider
from tests.fixtures.vault import BaoServer, vault_settings
from tests.integration.vault_race_child import worker

TRIALS = 30


@dataclass(slots=True)
class Racers:
    provider: VaultProvider
    tasks: list[Any]
    results: Any

    def race(self, first: tuple[Any, ...], second: tuple[Any, ...]) -> list[str]:
        self.tasks[0].put(first)
        self.tasks[1].put(second)
        return sorted(self.results.get(timeout=60) for _ in range(2))


@pytest.fixture(scope="module")
def racers(openbao_server: BaoServer) -> Iterator[Racers]:
    settings = vault_settings(openbao_server, timeout=10.0)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    tasks = [context.Queue(), context.Queue()]
    processes = [
        context.Process(
            target=worker,
            args=(settings.url, openbao_server.root_token, settings.path_root, barrier, q, results),
        )
        for q in tasks
    ]
    for process in processes:
        process.start()
    try:
        yield Racers(VaultProvider.from_settings(settings), tasks, results)
    finally:
        for q in tasks:
            q.put(None)
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()


def _secret(provider: VaultProvider, versions: int) -> str:
    name = f"race/{uuid.uuid4().hex[:10]}"
    for index in range(versions):
        provider.put(name, SecretValue(f"v{index + 1}"))
    return name


def test_the_rotation_lease_is_taken_exactly_once(racers: Racers) -> None:
    for _ in range(TRIALS):
        name = _secret(racers.provider, 1)
        outcome = racers.race(("lease", name, "alice"), ("lease", name, "bob"))
        assert outcome == ["lost", "won"]
        # nobody else gets it until the holder releases (a non-holder's release changes nothing)
        provider = racers.provider
        assert not provider.acquire_rotation_lease(name, owner="carol", ttl=timedelta(minutes=1))
        provider.release_rotation_lease(name, owner="carol")
        assert not provider.acquire_rotation_lease(name, owner="carol", ttl=timedelta(minutes=1))
        provider.release_rotation_lease(name, owner="alice")
        provider.release_rotation_lease(name, owner="bob")
        assert provider.acquire_rotation_lease(name, owner="carol", ttl=timedelta(minutes=1))


def test_a_stage_moves_exactly_once_and_previous_is_kept(racers: Racers) -> None:
    for _ in range(TRIALS):
        name = _secret(racers.provider, 3)
        outcome = racers.race(("move-current", name, "1", "3"), ("move-current", name, "2", "3"))
        assert outcome == ["lost", "won"]
        described = {v.version_id: v.stages for v in racers.provider.describe(name).versions}
        current = [vid for vid, stages in described.items() if Stage.CURRENT in stages]
        assert current in (["1"], ["2"])
        assert described["3"] == {Stage.PREVIOUS}


def test_a_tag_and_a_stage_written_at_once_are_both_kept(racers: Racers) -> None:
    for trial in range(TRIALS):
        name = _secret(racers.provider, 2)
        outcome = racers.race(("tag", name, "owner", f"team-{trial}"), ("move-pending", name, "1"))
        assert outcome == ["done", "done"]
        metadata = racers.provider.describe(name)
        assert metadata.tags["owner"] == f"team-{trial}"
        assert metadata.version_for(Stage.PENDING) is not None
        assert metadata.version_for(Stage.PENDING).version_id == "1"  # type: ignore[union-attr]
        assert metadata.current_version == "2"
