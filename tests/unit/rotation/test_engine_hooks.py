"""The engine's two optional rotator hooks: a guard that refuses before anything is written
(``external`` without a hook), and work after *finish* (revoke or deactivate the old key)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from secrets_adapter.errors import ConfigurationError, ProviderUnavailableError, RotationError
from secrets_adapter.events import EventBus
from secrets_adapter.models import Secret, SecretValue, Stage
from secrets_adapter.rotation.engine import RotationEngine
from secrets_adapter.rotation.rotator import RotationContext
from secrets_adapter.rotation.rotators.random import RandomRotator
from secrets_adapter.rotation.schedule import TAG_ROTATOR
from secrets_adapter.rotation.state import TAG_LEASE, TAG_STATE
from secrets_adapter.testing import InMemoryProvider
from tests.unit.rotation.helpers import FakeClock, Recorder

NAME = "app/stripe-api-key"


class Guarded(RandomRotator):
    name = "guarded"

    def check(self, name: str, options: Mapping[str, str]) -> None:
        raise ConfigurationError(f"{name} rotates by hand", secret_name=name)


class Finishing(RandomRotator):
    name = "finishing"

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self.fail_once = False

    def finish(self, context: RotationContext, previous: Secret | None) -> None:
        current = context.current.value.reveal_text()
        self.seen.append((current, previous.value.reveal_text() if previous else None))
        if self.fail_once:
            self.fail_once = False
            raise ProviderUnavailableError("the issuer did not answer")


def _setup(rotator: RandomRotator) -> tuple[InMemoryProvider, RotationEngine, Recorder]:
    clock = FakeClock()
    provider = InMemoryProvider(clock=clock)
    provider.put(NAME, SecretValue("sk_test:the-first-key.value:0001"))
    provider.set_tags(NAME, {TAG_ROTATOR: rotator.name})
    recorder = Recorder()
    engine = RotationEngine(
        provider, {rotator.name: rotator}, events=EventBus([recorder]), clock=clock
    )
    return provider, engine, recorder


def test_a_guard_refuses_before_the_lease_and_writes_nothing() -> None:
    provider, engine, recorder = _setup(Guarded())
    before = provider.describe(NAME)
    with pytest.raises(ConfigurationError, match="rotates by hand"):
        engine.rotate(NAME)
    after = provider.describe(NAME)
    assert after.versions == before.versions
    assert not after.tags.get(TAG_LEASE) and not after.tags.get(TAG_STATE)
    assert recorder.events == []


def test_finish_work_sees_the_new_current_and_the_old_value_and_is_resumed() -> None:
    rotator = Finishing()
    provider, engine, _ = _setup(rotator)
    rotator.fail_once = True
    with pytest.raises(RotationError) as failed:
        engine.rotate(NAME)
    assert failed.value.step == "finish"
    new = provider.get(NAME).value.reveal_text()
    assert new != "sk_test:the-first-key.value:0001", "finish had moved current already"
    assert rotator.seen == [(new, "sk_test:the-first-key.value:0001")]
    engine.rotate(NAME)  # resumes at finish: the old key is retired this time
    assert rotator.seen[-1] == (new, "sk_test:the-first-key.value:0001")
    assert provider.get(NAME).value.reveal_text() == new
    assert provider.get(NAME, stage=Stage.PREVIOUS).value.reveal_text().startswith("sk_test:")
    assert not provider.describe(NAME).tags.get(TAG_STATE)
