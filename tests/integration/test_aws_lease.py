"""The rotation lease on AWS (moto_server over HTTP): ``AWSPENDING`` on a lease version is the lock.

The barrier tests start two processes at the same instant, many times over; each time exactly one
takes the lease and every label (AWSCURRENT, AWSPREVIOUS, the one AWSPENDING) is where it belongs.
moto implements ``RemoveFromVersionId``'s check but not AWS's refusal to attach a label that is on
another version, so the trials start from the idle state a release leaves (``AWSPENDING`` on the
current version), where every take is a ``RemoveFromVersionId`` check-and-set.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier
from typing import Any

import pytest

from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.aws import AwsSecretsManagerProvider
from secrets_adapter.providers.aws_lease import LEASE_LABEL_PREFIX
from tests.fixtures.aws import MotoServer

NAME = "gaara/prod/db"
TRIALS = 25
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def provider(moto_server: MotoServer) -> Iterator[AwsSecretsManagerProvider]:
    moto_server.reset()
    built = AwsSecretsManagerProvider.from_settings(moto_server.settings())
    built.put(NAME, SecretValue("v1"))
    built.put(NAME, SecretValue("v2"))
    yield built
    built.close()


def _labels(moto_server: MotoServer) -> dict[str, list[str]]:
    listed = moto_server.secretsmanager().list_secret_version_ids(
        SecretId=NAME, IncludeDeprecated=True
    )
    return {v["VersionId"]: sorted(v.get("VersionStages", [])) for v in listed["Versions"]}


def _holders(labels: dict[str, list[str]], label: str) -> list[str]:
    return [vid for vid, names in labels.items() if label in names]


def _contender(
    endpoint: str, index: int, start: Barrier, done: Barrier, results: Any, trials: int
) -> None:
    """One process: at each trial, wait for the start, try to take the lease, report."""
    moto = MotoServer(endpoint_url=endpoint)
    provider = AwsSecretsManagerProvider.from_settings(moto.settings())
    for trial in range(trials):
        start.wait(timeout=60)
        owner = f"w{index}-t{trial}"
        taken = provider.acquire_rotation_lease(NAME, owner=owner, ttl=timedelta(minutes=5))
        results.put((trial, owner, taken))
        done.wait(timeout=60)
    provider.close()


def _race(
    moto_server: MotoServer, provider: AwsSecretsManagerProvider, *, before_each: Any
) -> None:
    spawn = multiprocessing.get_context("spawn")
    start, done = spawn.Barrier(3), spawn.Barrier(3)
    results = spawn.Queue()
    workers = [
        spawn.Process(
            target=_contender,
            args=(moto_server.endpoint_url, index, start, done, results, TRIALS),
        )
        for index in range(2)
    ]
    for worker in workers:
        worker.start()
    try:
        current = provider.describe(NAME).current_version
        previous = provider.describe(NAME).version_for(Stage.PREVIOUS)
        for trial in range(TRIALS):
            before_each(trial)
            start.wait(timeout=60)
            outcomes = [results.get(timeout=60) for _ in range(2)]
            done.wait(timeout=60)
            winners = [owner for _, owner, taken in outcomes if taken]
            assert len(winners) == 1, f"trial {trial}: {outcomes}"
            labels = _labels(moto_server)
            assert _holders(labels, "AWSCURRENT") == [current]
            assert previous is not None
            assert _holders(labels, "AWSPREVIOUS") == [previous.version_id]
            pending = _holders(labels, "AWSPENDING")
            assert len(pending) == 1 and pending[0] != current
            assert any(
                label.startswith(f"{LEASE_LABEL_PREFIX}{winners[0]}.")
                for label in labels[pending[0]]
            )
            loser = next(owner for _, owner, taken in outcomes if not taken)
            assert not any(loser in label for names in labels.values() for label in names)
            provider.release_rotation_lease(NAME, owner=winners[0])
    finally:
        for worker in workers:
            worker.join(timeout=60)
            if worker.is_alive():
                worker.kill()


@pytest.mark.slow
def test_two_processes_at_once_exactly_one_takes_the_lease(
    moto_server: MotoServer, provider: AwsSecretsManagerProvider
) -> None:
    assert provider.acquire_rotation_lease(NAME, owner="setup", ttl=timedelta(minutes=1))
    provider.release_rotation_lease(NAME, owner="setup")  # the idle state: pending on current
    _race(moto_server, provider, before_each=lambda _trial: None)


@pytest.mark.slow
def test_two_processes_taking_over_an_expired_lease_exactly_one_wins(
    moto_server: MotoServer, provider: AwsSecretsManagerProvider
) -> None:
    # Each trial starts with a lease that expired long ago, held by a crashed owner.
    crashed = AwsSecretsManagerProvider.from_settings(moto_server.settings(), clock=lambda: T0)

    def expired_lease(trial: int) -> None:
        assert crashed.acquire_rotation_lease(NAME, owner=f"crashed-{trial}", ttl=timedelta(1))

    assert provider.acquire_rotation_lease(NAME, owner="setup", ttl=timedelta(minutes=1))
    provider.release_rotation_lease(NAME, owner="setup")
    _race(moto_server, provider, before_each=expired_lease)
    crashed.close()


def test_a_held_lease_is_refused_until_it_expires_then_taken_over(
    moto_server: MotoServer, provider: AwsSecretsManagerProvider
) -> None:
    now = [T0]
    clocked = AwsSecretsManagerProvider.from_settings(moto_server.settings(), clock=lambda: now[0])
    ttl = timedelta(minutes=10)
    assert clocked.acquire_rotation_lease(NAME, owner="a", ttl=ttl)
    assert clocked.acquire_rotation_lease(NAME, owner="a", ttl=ttl)  # its own: still held
    assert not clocked.acquire_rotation_lease(NAME, owner="b", ttl=ttl)
    now[0] = T0 + ttl + timedelta(seconds=1)
    assert clocked.acquire_rotation_lease(NAME, owner="b", ttl=ttl)
    clocked.release_rotation_lease(NAME, owner="a")  # taken over: a's release changes nothing
    labels = _labels(moto_server)
    (holder,) = _holders(labels, "AWSPENDING")
    assert any(label.startswith(f"{LEASE_LABEL_PREFIX}b.") for label in labels[holder])
    assert not any(f"{LEASE_LABEL_PREFIX}a." in label for n in labels.values() for label in n)
    clocked.release_rotation_lease(NAME, owner="b")
    labels = _labels(moto_server)
    assert _holders(labels, "AWSPENDING") == _holders(labels, "AWSCURRENT")
    assert provider.get(NAME).value == SecretValue("v2")
    clocked.close()


def test_the_rotations_version_keeps_the_lock_after_create(
    provider: AwsSecretsManagerProvider,
) -> None:
    """``put_version(stage=pending)`` (the create step) moves AWSPENDING from the lease version
    to the rotation's version: the lock stays held, for ``ttl`` after that version's creation."""
    assert provider.acquire_rotation_lease(NAME, owner="rotator", ttl=timedelta(minutes=5))
    token = "0" * 32
    provider.put_version(NAME, SecretValue("v3"), token=token)
    assert provider.describe(NAME).version_for(Stage.PENDING).version_id == token  # type: ignore[union-attr]
    assert not provider.acquire_rotation_lease(NAME, owner="other", ttl=timedelta(minutes=5))
