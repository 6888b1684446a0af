"""The same engine over every versioned provider (memory, local, AWS via moto_server, ...):
a full rotation, a failure and its resume, the lease, and the Lambda's four steps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from secrets_adapter.clock import utcnow
from secrets_adapter.errors import RotationError
from secrets_adapter.events import EventBus
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.base import VersionedProvider
from secrets_adapter.rotation.engine import RotationEngine
from secrets_adapter.rotation.lambda_handler import handle_rotation_event
from secrets_adapter.rotation.rotators import builtin_rotators
from secrets_adapter.rotation.schedule import TAG_ROTATOR, rotation_schedule
from secrets_adapter.rotation.state import TAG_LEASE, TAG_STATE, lease_tag
from tests.fixtures.providers import ProviderFixture
from tests.unit.rotation.helpers import Recorder, ScriptedRotator

NAME = "rotation/api-key"


@pytest.fixture
def versioned(provider_fixture: ProviderFixture) -> VersionedProvider:
    if not provider_fixture.versioned:
        pytest.skip(f"{provider_fixture.kind} has no versions")
    provider = provider_fixture.make({NAME: "initial-value-of-the-api-key"})
    assert isinstance(provider, VersionedProvider)
    provider.set_tags(NAME, {TAG_ROTATOR: "scripted"})
    return provider


def test_a_failed_rotation_resumes_and_completes(versioned: VersionedProvider) -> None:
    rotator = ScriptedRotator()
    recorder = Recorder()
    engine = RotationEngine(versioned, {"scripted": rotator}, events=EventBus([recorder]))
    old = versioned.get(NAME)
    rotator.fail_once = "set"
    with pytest.raises(RotationError) as caught:
        engine.rotate(NAME)
    assert versioned.get(NAME).version_id == old.version_id
    assert versioned.get(NAME).value == old.value
    tags = versioned.describe(NAME).tags
    assert tags[TAG_STATE] == f"failed:set:{caught.value.version_id}"
    assert TAG_LEASE not in tags

    result = engine.rotate(NAME)
    assert result.resumed and result.version_id == caught.value.version_id
    metadata = versioned.describe(NAME)
    # the rotation's token names the version (on Vault its id is Vault's number)
    assert metadata.current_version == versioned.get(NAME, version=result.version_id).version_id
    assert metadata.version_for(Stage.PENDING) is None
    previous = metadata.version_for(Stage.PREVIOUS)
    assert previous is not None and previous.version_id == old.version_id
    assert TAG_STATE not in metadata.tags
    assert rotation_schedule(metadata).last_rotated is not None
    assert rotator.calls["create"] == 1
    assert [e.status for e in recorder.events].count("finished") == 1


def test_an_active_lease_refuses_a_second_rotation(versioned: VersionedProvider) -> None:
    versioned.set_tags(NAME, {TAG_LEASE: lease_tag("other-run", utcnow(), timedelta(minutes=5))})
    engine = RotationEngine(versioned, builtin_rotators())
    with pytest.raises(RotationError, match="in progress"):
        engine.rotate(NAME, rotator="random")
    assert len(versioned.describe(NAME).versions) == 1


def test_the_lambda_steps_rotate_on_this_provider(versioned: VersionedProvider) -> None:
    token = "c0ffee00-0000-4000-8000-00000000beef"
    versioned.set_tags(NAME, {TAG_ROTATOR: "random"})
    old = versioned.get(NAME)
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        event = {"Step": step, "SecretId": NAME, "ClientRequestToken": token}
        handle_rotation_event(event, versioned)
    current = versioned.get(NAME)
    assert current.version_id == versioned.get(NAME, version=token).version_id
    assert current.value != old.value
    assert versioned.get(NAME, stage=Stage.PREVIOUS).value == SecretValue(old.value)
