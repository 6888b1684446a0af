"""The AWS rotation Lambda's core over InMemoryProvider: the four events in order, re-runs,
refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from secrets_adapter.errors import RotationError, ValidationError
from secrets_adapter.events import EventBus
from secrets_adapter.localstore import init_store
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.local import LocalProvider
from secrets_adapter.rotation.lambda_handler import (
    handle_rotation_event,
    lambda_handler,
    secret_name_from_id,
)
from secrets_adapter.rotation.rotators import builtin_rotators
from secrets_adapter.rotation.schedule import TAG_ROTATOR
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL
from tests.unit.rotation.helpers import Recorder

NAME = "gaara/prod/api-key"
TOKEN = "8a3b5c1e-0000-4000-8000-000000000001"


def _event(step: str, secret_id: str = NAME, token: str = TOKEN) -> dict[str, str]:
    return {"Step": step, "SecretId": secret_id, "ClientRequestToken": token}


@pytest.fixture
def provider() -> InMemoryProvider:
    provider = InMemoryProvider({NAME: SENTINEL})
    provider.set_tags(NAME, {TAG_ROTATOR: "random"})
    return provider


def test_the_four_aws_steps_rotate_the_secret(provider: InMemoryProvider) -> None:
    old = provider.get(NAME)
    recorder = Recorder()
    bus = EventBus([recorder])
    for step in ("createSecret", "createSecret", "setSecret", "testSecret"):
        handle_rotation_event(_event(step), provider, events=bus)
        assert provider.get(NAME).version_id == old.version_id
    assert provider.get(NAME, stage=Stage.PENDING).version_id == TOKEN
    handle_rotation_event(_event("finishSecret"), provider, events=bus)
    assert provider.get(NAME).version_id == TOKEN
    assert provider.get(NAME, stage=Stage.PREVIOUS).version_id == old.version_id
    assert provider.calls["put_version"] == 1
    # Secrets Manager may call again; the version is current, so nothing happens.
    handle_rotation_event(_event("finishSecret"), provider, events=bus)
    handle_rotation_event(_event("setSecret"), provider, events=bus)
    assert [e.step for e in recorder.events if e.status == "step_done"] == [
        "create",
        "create",
        "set",
        "test",
        "finish",
    ]


def test_an_arn_names_the_secret(provider: InMemoryProvider) -> None:
    arn = f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{NAME}-AbC123"
    assert secret_name_from_id(arn) == NAME
    assert secret_name_from_id(NAME) == NAME
    handle_rotation_event(_event("createSecret", secret_id=arn), provider)
    assert provider.get(NAME, stage=Stage.PENDING).version_id == TOKEN


def test_a_step_for_a_version_that_is_not_pending_is_refused(provider: InMemoryProvider) -> None:
    with pytest.raises(RotationError, match="not staged pending"):
        handle_rotation_event(_event("setSecret"), provider)


@pytest.mark.parametrize(
    "event",
    [
        {"Step": "rotateEverything", "SecretId": NAME, "ClientRequestToken": TOKEN},
        {"Step": "createSecret", "ClientRequestToken": TOKEN},
        {"Step": "createSecret", "SecretId": NAME},
    ],
)
def test_malformed_events_are_refused(provider: InMemoryProvider, event: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        handle_rotation_event(event, provider, rotators=builtin_rotators())
    assert provider.get(NAME).value == SecretValue(SENTINEL)


def test_the_lambda_entry_point_builds_its_provider_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    init_store(store)
    seeded = LocalProvider.open(store)
    seeded.put(NAME, SecretValue(SENTINEL))
    seeded.set_tags(NAME, {TAG_ROTATOR: "random"})
    seeded.close()
    monkeypatch.setenv("SECRETS_BACKEND", "local")
    monkeypatch.setenv("SECRETS_ADAPTER_PATH", str(store))
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        lambda_handler(_event(step), None)
    reopened = LocalProvider.open(store)
    try:
        assert reopened.get(NAME).version_id == TOKEN
        assert reopened.get(NAME, stage=Stage.PREVIOUS).value == SecretValue(SENTINEL)
    finally:
        reopened.close()
