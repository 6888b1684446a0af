"""The rotation state machine, pure: what the next run of a secret's rotation must do.

Two tags carry the state between runs (and between processes):

- ``secrets-adapter:rotation-lease`` = ``<owner>@<expiry>``: who is rotating now, until when. An
  expired lease is free, so a crashed rotator cannot block the secret for ever.
- ``secrets-adapter:rotation-state`` = ``<status>:<step>:<token>``: the step a rotation reached
  and whether it is ``running`` or ``failed``; removed when a rotation finishes.
- ``secrets-adapter:rotation-failures`` = how many runs failed since the last one finished (what
  ``status`` counts in FAILS); removed when a rotation finishes.

``plan_rotation`` reads those tags and the version stages and answers: refuse (another rotation
holds the lease), resume an interrupted rotation at its failed step with its token, or start a new
one (first removing a stale ``pending`` label left by a rotation that cannot be resumed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from secrets_adapter.errors import RotationError
from secrets_adapter.models import LEASE_LABEL, SecretMetadata, Stage

__all__ = [
    "STEPS",
    "TAG_FAILURES",
    "TAG_LEASE",
    "TAG_STATE",
    "Lease",
    "RotationPlan",
    "RotationState",
    "RotationStep",
    "StepStatus",
    "active_lease",
    "failure_count",
    "lease_tag",
    "parse_lease",
    "parse_state",
    "plan_rotation",
    "rotation_health",
    "state_tag",
]

TAG_LEASE = "secrets-adapter:rotation-lease"
TAG_STATE = "secrets-adapter:rotation-state"
TAG_FAILURES = "secrets-adapter:rotation-failures"


class RotationStep(StrEnum):
    """The four steps of AWS Secrets Manager rotation, in order."""

    CREATE = "create"
    SET = "set"
    TEST = "test"
    FINISH = "finish"


STEPS: tuple[RotationStep, ...] = tuple(RotationStep)


class StepStatus(StrEnum):
    RUNNING = "running"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Lease:
    """Who holds a secret's rotation, and until when."""

    owner: str
    expires_at: datetime

    def active(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True, slots=True, kw_only=True)
class RotationState:
    """How far an unfinished rotation got."""

    token: str
    step: RotationStep
    status: StepStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class RotationPlan:
    """What a run does: rotate with ``token`` from step ``start``; first drop ``stale_pending``."""

    token: str
    start: RotationStep
    resumed: bool = False
    stale_pending: str | None = None

    @property
    def steps(self) -> tuple[RotationStep, ...]:
        return STEPS[STEPS.index(self.start) :]


def lease_tag(owner: str, now: datetime, ttl: timedelta) -> str:
    return f"{owner}@{(now + ttl).isoformat()}"


def parse_lease(raw: str | None) -> Lease | None:
    """The lease in a tag value, or None when absent or unreadable (an unreadable lease is free)."""
    if not raw or "@" not in raw:
        return None
    owner, _, expiry = raw.partition("@")
    try:
        return Lease(owner=owner, expires_at=datetime.fromisoformat(expiry))
    except ValueError:
        return None


def active_lease(tags: Mapping[str, str], now: datetime) -> Lease | None:
    lease = parse_lease(tags.get(TAG_LEASE))
    return lease if lease is not None and lease.active(now) else None


def state_tag(token: str, step: RotationStep, status: StepStatus) -> str:
    return f"{status.value}:{step.value}:{token}"


def parse_state(raw: str | None) -> RotationState | None:
    if not raw:
        return None
    status, _, rest = raw.partition(":")
    step, _, token = rest.partition(":")
    try:
        return RotationState(token=token, step=RotationStep(step), status=StepStatus(status))
    except ValueError:
        return None


def plan_rotation(
    metadata: SecretMetadata,
    *,
    now: datetime,
    new_token: str,
    restart: bool = False,
    lease_owner: str | None = None,
) -> RotationPlan:
    """Decide what a rotation run of this secret does (see the module docstring).

    ``restart`` abandons an interrupted rotation instead of resuming it (its pending version is
    unlabelled and a new token starts at *create*) — for a pending value that can never pass.
    ``lease_owner``: the run that holds the lease already (its own lease does not refuse it).
    """
    lease = active_lease(metadata.tags, now)
    if lease is not None and lease.owner != lease_owner:
        raise RotationError(
            f"A rotation of secret {metadata.name!r} is already in progress (lease held until "
            f"{lease.expires_at.isoformat()}); wait for it to finish or for the lease to expire.",
            secret_name=metadata.name,
        )
    state = parse_state(metadata.tags.get(TAG_STATE))
    pending = metadata.version_for(Stage.PENDING)
    pending_id = pending.version_id if pending else None
    if pending is not None and any(label.startswith(LEASE_LABEL) for label in pending.labels):
        # On AWS the lease's own version holds AWSPENDING as the lock: not a stale rotation's
        # version to unlabel (that would drop the lock); *create* moves the label to its version.
        pending_id = None
    current = metadata.version_for(Stage.CURRENT)
    if state is not None and state.token:
        if current is not None and current.named(state.token):
            # The stage move of ``finish`` happened; only its cleanup is left.
            return RotationPlan(token=state.token, start=RotationStep.FINISH, resumed=True)
        if pending is not None and pending.named(state.token) and not restart:
            return RotationPlan(token=state.token, start=state.step, resumed=True)
    return RotationPlan(token=new_token, start=RotationStep.CREATE, stale_pending=pending_id)


def failure_count(tags: Mapping[str, str]) -> int:
    try:
        return max(0, int(tags.get(TAG_FAILURES, "0") or "0"))
    except ValueError:
        return 0


def rotation_health(metadata: SecretMetadata, now: datetime) -> tuple[str | None, int]:
    """What ``status`` shows of a secret's rotation: a failed or interrupted step (or None when
    none is recorded or one is running under a live lease) and the failed runs since the last
    finished one."""
    failures = failure_count(metadata.tags)
    state = parse_state(metadata.tags.get(TAG_STATE))
    if state is None:
        return None, failures
    if state.status is StepStatus.FAILED:
        return f"rotation failed at step {state.step.value}", failures
    if active_lease(metadata.tags, now) is not None:
        return f"rotating (step {state.step.value})", failures
    return f"rotation unfinished at step {state.step.value}", failures
