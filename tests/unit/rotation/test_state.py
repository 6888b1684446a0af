"""The pure rotation state machine: leases, recorded state, and what the next run does."""

from __future__ import annotations

from datetime import timedelta

import pytest

from secrets_adapter.errors import RotationError
from secrets_adapter.models import SecretMetadata, Stage, VersionInfo
from secrets_adapter.rotation.state import (
    TAG_LEASE,
    TAG_STATE,
    RotationStep,
    StepStatus,
    lease_tag,
    parse_lease,
    parse_state,
    plan_rotation,
    state_tag,
)
from tests.unit.rotation.helpers import START

NAME = "app/key"


def _metadata(tags: dict[str, str], **stages: tuple[Stage, ...]) -> SecretMetadata:
    versions = tuple(
        VersionInfo(name=NAME, version_id=vid, stages=frozenset(labels))
        for vid, labels in stages.items()
    )
    return SecretMetadata(name=NAME, versions=versions, tags=tags)


def test_tags_round_trip() -> None:
    lease = parse_lease(lease_tag("run-1", START, timedelta(minutes=15)))
    assert lease is not None and lease.owner == "run-1"
    assert lease.active(START + timedelta(minutes=14)) and not lease.active(
        START + timedelta(minutes=15)
    )
    state = parse_state(state_tag("tok", RotationStep.TEST, StepStatus.FAILED))
    assert state is not None and (state.token, state.step, state.status) == (
        "tok",
        RotationStep.TEST,
        StepStatus.FAILED,
    )


@pytest.mark.parametrize("raw", ["", "garbage", "x@not-a-date"])
def test_unreadable_leases_are_free(raw: str) -> None:
    assert parse_lease(raw) is None


@pytest.mark.parametrize("raw", ["", "failed", "failed:jump:tok", "asleep:set:tok"])
def test_unreadable_states_are_ignored(raw: str) -> None:
    assert parse_state(raw) is None


def test_a_fresh_secret_starts_at_create_with_a_new_token() -> None:
    plan = plan_rotation(_metadata({}, v1=(Stage.CURRENT,)), now=START, new_token="new")
    assert (plan.token, plan.start, plan.resumed, plan.stale_pending) == (
        "new",
        RotationStep.CREATE,
        False,
        None,
    )
    assert plan.steps == tuple(RotationStep)


def test_a_crash_mid_step_resumes_at_that_step_once_the_lease_expired() -> None:
    tags = {
        TAG_LEASE: lease_tag("crashed", START, timedelta(minutes=15)),
        TAG_STATE: state_tag("tok", RotationStep.SET, StepStatus.RUNNING),
    }
    metadata = _metadata(tags, v1=(Stage.CURRENT,), tok=(Stage.PENDING,))
    with pytest.raises(RotationError, match="in progress"):
        plan_rotation(metadata, now=START + timedelta(minutes=1), new_token="new")
    plan = plan_rotation(metadata, now=START + timedelta(minutes=15), new_token="new")
    assert (plan.token, plan.start, plan.resumed) == ("tok", RotationStep.SET, True)
    assert plan.steps == (RotationStep.SET, RotationStep.TEST, RotationStep.FINISH)


def test_a_crash_after_the_stage_move_only_finishes() -> None:
    tags = {TAG_STATE: state_tag("tok", RotationStep.FINISH, StepStatus.FAILED)}
    metadata = _metadata(tags, v1=(Stage.PREVIOUS,), tok=(Stage.CURRENT, Stage.PENDING))
    plan = plan_rotation(metadata, now=START, new_token="new")
    assert (plan.token, plan.start) == ("tok", RotationStep.FINISH)


def test_a_pending_version_of_another_rotation_is_cleaned_up() -> None:
    tags = {TAG_STATE: state_tag("gone", RotationStep.SET, StepStatus.FAILED)}
    metadata = _metadata(tags, v1=(Stage.CURRENT,), other=(Stage.PENDING,))
    plan = plan_rotation(metadata, now=START, new_token="new")
    assert (plan.token, plan.start, plan.stale_pending) == ("new", RotationStep.CREATE, "other")


def test_restart_abandons_an_interrupted_rotation() -> None:
    tags = {TAG_STATE: state_tag("tok", RotationStep.TEST, StepStatus.FAILED)}
    metadata = _metadata(tags, v1=(Stage.CURRENT,), tok=(Stage.PENDING,))
    plan = plan_rotation(metadata, now=START, new_token="new", restart=True)
    assert (plan.token, plan.start, plan.stale_pending) == ("new", RotationStep.CREATE, "tok")


def test_rotation_health_names_the_failed_or_interrupted_step_and_counts_failures() -> None:
    from secrets_adapter.rotation.state import TAG_FAILURES, rotation_health

    assert rotation_health(_metadata({}), START) == (None, 0)
    failed = _metadata({TAG_STATE: "failed:test:tok", TAG_FAILURES: "3"})
    assert rotation_health(failed, START) == ("rotation failed at step test", 3)
    running = {TAG_STATE: "running:set:tok"}
    assert rotation_health(_metadata(running), START) == ("rotation unfinished at step set", 0)
    held = {**running, TAG_LEASE: lease_tag("me", START, timedelta(minutes=5))}
    assert rotation_health(_metadata(held), START) == ("rotating (step set)", 0)
    assert rotation_health(_metadata({TAG_FAILURES: "junk"}), START) == (None, 0)


def test_a_lease_held_by_the_planner_itself_does_not_refuse_it() -> None:
    tags = {TAG_LEASE: lease_tag("me", START, timedelta(minutes=5))}
    with pytest.raises(RotationError, match="already in progress"):
        plan_rotation(_metadata(tags), now=START, new_token="t")
    plan = plan_rotation(_metadata(tags), now=START, new_token="t", lease_owner="me")
    assert plan.token == "t"
