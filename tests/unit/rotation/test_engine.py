"""The four-step engine over InMemoryProvider: steps, failures and resumes, leases, events."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from secrets_adapter.errors import (
    ConfigurationError,
    ProviderUnavailableError,
    RotationError,
)
from secrets_adapter.events import EventBus
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.rotation.engine import RotationEngine
from secrets_adapter.rotation.rotators.random import RandomRotator
from secrets_adapter.rotation.schedule import TAG_LAST_ROTATED, TAG_ROTATOR
from secrets_adapter.rotation.state import TAG_LEASE, TAG_STATE, RotationStep, lease_tag
from tests.sentinel import SENTINEL
from tests.unit.rotation.helpers import FakeClock, FlakyProvider, Recorder, ScriptedRotator

NAME = "app/api-key"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def provider(clock: FakeClock) -> FlakyProvider:
    provider = FlakyProvider(clock=clock)
    provider.put(NAME, SecretValue(SENTINEL))
    provider.set_tags(NAME, {TAG_ROTATOR: "scripted"})
    return provider


@pytest.fixture
def rotator() -> ScriptedRotator:
    return ScriptedRotator()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def engine(
    provider: FlakyProvider, rotator: ScriptedRotator, recorder: Recorder, clock: FakeClock
) -> RotationEngine:
    return RotationEngine(provider, {"scripted": rotator}, events=EventBus([recorder]), clock=clock)


def test_rotation_moves_current_to_a_new_version_and_keeps_the_old_as_previous(
    engine: RotationEngine, provider: FlakyProvider, recorder: Recorder, clock: FakeClock
) -> None:
    old = provider.get(NAME)
    result = engine.rotate(NAME)
    new = provider.get(NAME)
    assert new.version_id == result.version_id != old.version_id
    assert new.value != old.value
    assert provider.get(NAME, stage=Stage.PREVIOUS).version_id == old.version_id
    metadata = provider.describe(NAME)
    assert metadata.version_for(Stage.PENDING) is None
    assert TAG_STATE not in metadata.tags and TAG_LEASE not in metadata.tags
    assert metadata.tags[TAG_LAST_ROTATED] == clock.now.isoformat()
    assert result.previous_version_id == old.version_id and not result.resumed
    assert recorder.statuses() == [
        "started",
        "step_done:create",
        "step_done:set",
        "step_done:test",
        "step_done:finish",
        "finished",
    ]
    assert all(e.rotator == "random" for e in recorder.events)


@pytest.mark.parametrize("step", ["create", "set", "test"])
def test_a_rotator_failure_leaves_current_serving_and_the_next_run_resumes_at_that_step(
    step: str,
    engine: RotationEngine,
    provider: FlakyProvider,
    rotator: ScriptedRotator,
    recorder: Recorder,
) -> None:
    old = provider.get(NAME)
    rotator.fail_once = step
    with pytest.raises(RotationError) as caught:
        engine.rotate(NAME)
    error = caught.value
    assert error.step == step and error.secret_name == NAME
    assert SENTINEL not in str(error) and SENTINEL not in repr(error)
    assert provider.get(NAME).version_id == old.version_id
    assert provider.get(NAME).value == old.value
    tags = provider.describe(NAME).tags
    assert tags[TAG_STATE] == f"failed:{step}:{error.version_id}"
    assert TAG_LEASE not in tags
    failed = [e for e in recorder.events if e.status == "failed"]
    assert len(failed) == 1 and failed[0].step == step
    assert failed[0].error_code == "ProviderUnavailableError"

    result = engine.rotate(NAME)
    assert provider.get(NAME).version_id == result.version_id != old.version_id
    assert provider.get(NAME, stage=Stage.PREVIOUS).version_id == old.version_id
    assert TAG_STATE not in provider.describe(NAME).tags
    if step != "create":  # the pending version was made: the resume keeps its token
        assert result.resumed and result.version_id == error.version_id
        assert rotator.calls["create"] == 1
    # Steps before the failed one are not run again; the failed one is.
    assert rotator.calls["set"] == (2 if step == "set" else 1)
    assert rotator.calls["test"] == (2 if step == "test" else 1)


@pytest.mark.parametrize("stage", [Stage.CURRENT, Stage.PENDING])
def test_a_failure_inside_finish_is_resumed_by_the_next_run(
    stage: Stage, engine: RotationEngine, provider: FlakyProvider
) -> None:
    old = provider.get(NAME)
    provider.fail_move = stage
    with pytest.raises(RotationError) as caught:
        engine.rotate(NAME)
    assert caught.value.step == "finish"
    assert isinstance(caught.value.__cause__, ProviderUnavailableError)
    if stage is Stage.CURRENT:
        assert provider.get(NAME).version_id == old.version_id
    result = engine.rotate(NAME)
    assert result.resumed and result.version_id == caught.value.version_id
    metadata = provider.describe(NAME)
    assert metadata.current_version == result.version_id
    assert metadata.version_for(Stage.PENDING) is None
    assert metadata.version_for(Stage.PREVIOUS).version_id == old.version_id  # type: ignore[union-attr]


def test_a_second_rotation_while_one_runs_says_one_is_in_progress(
    engine: RotationEngine, provider: FlakyProvider, rotator: ScriptedRotator, clock: FakeClock
) -> None:
    rotator.blocking = True
    outcome: list[object] = []
    first = threading.Thread(target=lambda: outcome.append(engine.rotate(NAME)))
    first.start()
    assert rotator.entered_set.wait(timeout=10)
    other_engine = RotationEngine(provider, {"scripted": rotator}, clock=clock)
    for contender in (engine, other_engine):
        with pytest.raises(RotationError, match="already in progress"):
            contender.rotate(NAME)
    rotator.block_in_set.set()
    first.join(timeout=10)
    assert len(outcome) == 1
    assert provider.calls.get("put_version") == 1


def test_many_threads_rotating_one_secret_produce_exactly_one_rotation(
    engine: RotationEngine, provider: FlakyProvider, rotator: ScriptedRotator
) -> None:
    rotator.blocking = True
    contenders = 6
    refused: list[RotationError] = []
    done: list[object] = []
    lock = threading.Lock()
    start = threading.Barrier(contenders)

    def run() -> None:
        start.wait()
        try:
            result = engine.rotate(NAME)
        except RotationError as exc:
            with lock:
                refused.append(exc)
                if len(refused) == contenders - 1:
                    rotator.block_in_set.set()
            return
        done.append(result)

    threads = [threading.Thread(target=run) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(done) == 1 and len(refused) == contenders - 1
    assert len(provider.describe(NAME).versions) == 2


def test_an_expired_lease_of_a_crashed_rotation_is_taken_over(
    engine: RotationEngine, provider: FlakyProvider, clock: FakeClock
) -> None:
    provider.set_tags(
        NAME, {TAG_LEASE: lease_tag("crashed-process", clock(), timedelta(minutes=5))}
    )
    with pytest.raises(RotationError, match="in progress"):
        engine.rotate(NAME)
    clock.advance(timedelta(minutes=6))
    engine.rotate(NAME)
    assert TAG_LEASE not in provider.describe(NAME).tags


def test_a_stale_pending_version_without_state_is_cleaned_up(
    engine: RotationEngine, provider: FlakyProvider
) -> None:
    provider.put_version(NAME, SecretValue("left-over-pending-value"), token="stale")
    result = engine.rotate(NAME)
    assert result.version_id != "stale"
    labels = {v.version_id: v.stages for v in provider.describe(NAME).versions}
    assert labels["stale"] == frozenset()


def test_create_is_idempotent_on_the_rotation_token(
    engine: RotationEngine, provider: FlakyProvider, rotator: ScriptedRotator
) -> None:
    for _ in range(3):
        engine.run_step(NAME, RotationStep.CREATE, "token-1")
    assert rotator.calls["create"] == 1
    assert provider.get(NAME, stage=Stage.PENDING).version_id == "token-1"


def test_finish_refuses_when_current_moved_meanwhile(
    engine: RotationEngine, provider: FlakyProvider
) -> None:
    engine.run_step(NAME, RotationStep.CREATE, "token-1")
    real_describe = provider.describe

    def describe_then_race(name: str):  # type: ignore[no-untyped-def]
        metadata = real_describe(name)
        provider.put(NAME, SecretValue("written-by-someone-else"))
        return metadata

    provider.describe = describe_then_race  # type: ignore[method-assign]
    with pytest.raises(RotationError) as caught:
        engine.run_step(NAME, RotationStep.FINISH, "token-1")
    provider.describe = real_describe  # type: ignore[method-assign]
    assert caught.value.step == "finish"
    assert provider.get(NAME).value == SecretValue("written-by-someone-else")


def test_a_secret_without_rotator_needs_configuration(clock: FakeClock) -> None:
    provider = FlakyProvider(clock=clock)
    provider.put(NAME, SecretValue("value-without-rotator"))
    engine = RotationEngine(provider, {"random": RandomRotator()}, clock=clock)
    with pytest.raises(ConfigurationError, match="no rotator configured"):
        engine.rotate(NAME)
    provider.set_tags(NAME, {TAG_ROTATOR: "nope"})
    with pytest.raises(ConfigurationError, match="not one of random"):
        engine.rotate(NAME)


def test_the_error_of_a_foreign_exception_does_not_chain_what_it_may_hold(
    engine: RotationEngine, rotator: ScriptedRotator, recorder: Recorder
) -> None:
    def leaky(*args: object) -> None:
        raise ValueError(f"bad value {SENTINEL}")

    rotator.test = leaky  # type: ignore[method-assign,assignment]
    with pytest.raises(RotationError) as caught:
        engine.rotate(NAME)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert "ValueError" in str(caught.value)
    failed = [e for e in recorder.events if e.status == "failed"]
    assert failed and all(SENTINEL not in repr(e) for e in recorder.events)
    assert failed[0].error_code == "ValueError" and failed[0].error_message is None
