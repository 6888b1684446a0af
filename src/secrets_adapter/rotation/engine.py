"""The four-step rotation engine: create, set, test, finish — over any ``VersionedProvider``.

The same code serves the local store, AWS and Vault, the ``rotate`` CLI, ``rotate_secret`` and
the AWS rotation Lambda. ``state.plan_rotation`` decides (purely) what a run does; this module
does the I/O through the provider protocol only:

- **create** stores the rotator's new value as a version whose id is the rotation token, staged
  ``pending``; a re-run finds that version and creates nothing.
- **set** and **test** hand the pending value to the rotator (apply it, prove it works).
- **finish** moves ``current`` to the pending version with a ``from_version`` check (the old
  current becomes ``previous``), then removes ``pending``.

A failure at any step leaves ``current`` where it was, records ``failed:<step>:<token>`` in the
secret's tags, releases the lease and raises ``RotationError``; the next run resumes at that
step. Two rotations of one secret never overlap: a run first takes a lease. A provider that has
``acquire_rotation_lease`` / ``release_rotation_lease`` (the local store: one SQLite transaction)
grants it atomically, so of two runs started in the same instant exactly one proceeds. Otherwise
the lease is a tag with an expiry, written and read back (tags have no compare-and-set), and
*finish*'s ``from_version`` check is the last guard: a run whose ``current`` moved meanwhile fails
instead of overwriting it.

A secret with no rotator configured is never rotated (no default): ``ConfigurationError`` with
the ``rotation configure`` command to run, before any write.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from secrets_adapter.clock import WallClock, utcnow
from secrets_adapter.errors import (
    ConfigurationError,
    RotationError,
    SecretNotFoundError,
    SecretsAdapterError,
)
from secrets_adapter.events import EventBus, RotationEvent
from secrets_adapter.models import Secret, SecretMetadata, Stage
from secrets_adapter.providers.base import VersionedProvider
from secrets_adapter.rotation.rotator import (
    FinishingRotator,
    GuardedRotator,
    RotationContext,
    Rotator,
)
from secrets_adapter.rotation.schedule import TAG_LAST_ROTATED, TAG_ROTATOR, rotation_options
from secrets_adapter.rotation.state import (
    TAG_FAILURES,
    TAG_LEASE,
    TAG_STATE,
    RotationPlan,
    RotationStep,
    StepStatus,
    active_lease,
    failure_count,
    lease_tag,
    parse_state,
    plan_rotation,
    state_tag,
)

__all__ = ["DEFAULT_LEASE_TTL", "RotationEngine", "RotationLeaseHolder", "RotationResult"]

DEFAULT_LEASE_TTL = timedelta(minutes=15)


@runtime_checkable
class RotationLeaseHolder(Protocol):
    """A provider that grants a secret's rotation lease atomically (check-and-set)."""

    def acquire_rotation_lease(self, name: str, *, owner: str, ttl: timedelta) -> bool:
        """True if ``owner`` now holds the lease (it was free, expired, or already its own)."""
        ...

    def release_rotation_lease(self, name: str, *, owner: str) -> None:
        """Free the lease if ``owner`` holds it."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RotationResult:
    """A finished rotation: the new current version and what it replaced."""

    name: str
    rotator: str
    version_id: str
    previous_version_id: str | None
    resumed: bool = False


class RotationEngine:
    """Runs rotations of secrets in one provider with the rotators it knows by name.

    ``rotators`` maps a name (the ``secrets-adapter:rotator`` tag) to a ``Rotator``;
    ``default_rotator`` serves secrets without that tag (None: such a secret cannot be rotated).
    """

    def __init__(
        self,
        provider: VersionedProvider,
        rotators: Mapping[str, Rotator],
        *,
        default_rotator: str | None = None,
        events: EventBus | None = None,
        clock: WallClock = utcnow,
        lease_ttl: timedelta = DEFAULT_LEASE_TTL,
        new_token: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._provider = provider
        self._rotators = dict(rotators)
        self._default = default_rotator
        self._events = events if events is not None else EventBus()
        self._clock = clock
        self._lease_ttl = lease_ttl
        self._new_token = new_token
        self._acquire = threading.Lock()

    # --- whole rotations --------------------------------------------------------------------

    def rotate(
        self, name: str, *, rotator: str | None = None, restart: bool = False
    ) -> RotationResult:
        """Rotate ``name`` through all four steps, or resume its interrupted rotation.

        ``restart=True`` abandons an interrupted rotation and starts a new one. (With the
        single-user PostgreSQL strategy only when a ``master-secret`` is configured: if the
        abandoned *set* already changed the password, the current login no longer works.)
        """
        owner = str(uuid.uuid4())
        plan, chosen, previous = self._take_lease(name, rotator, owner, restart)
        try:
            if plan.stale_pending is not None:
                self._provider.move_stage(
                    name, Stage.PENDING, to_version=None, from_version=plan.stale_pending
                )
            self._emit(name, "started", chosen, version_id=plan.token)
            for step in plan.steps:
                self._run(name, step, plan.token, chosen)
        finally:
            self._release(name, owner)
        return RotationResult(
            name=name,
            rotator=chosen.name,
            version_id=plan.token,
            previous_version_id=previous,
            resumed=plan.resumed,
        )

    def run_step(
        self, name: str, step: RotationStep, token: str, *, rotator: str | None = None
    ) -> None:
        """Run one step for ``token`` (the AWS Lambda calls each step; AWS serializes them)."""
        metadata = self._provider.describe(name)
        self._run(name, step, token, self._rotator_for(metadata, rotator))

    # --- internals --------------------------------------------------------------------------

    def _rotator_for(self, metadata: SecretMetadata, override: str | None) -> Rotator:
        chosen = override or metadata.tags.get(TAG_ROTATOR) or self._default
        if chosen is None:
            raise ConfigurationError(
                f"Secret {metadata.name!r} has no rotator configured, so it was not rotated "
                f"(its value is untouched). Choose the one that fits what it holds: "
                f"'secrets-adapter rotation configure {metadata.name} --rotator ROTATOR' with "
                f"ROTATOR one of {', '.join(sorted(self._rotators))}.",
                secret_name=metadata.name,
            )
        rotator = self._rotators.get(chosen)
        if rotator is None:
            raise ConfigurationError(
                f"Secret {metadata.name!r} asks for rotator {chosen!r}, which is not one of "
                f"{', '.join(sorted(self._rotators))}.",
                secret_name=metadata.name,
            )
        return rotator

    def _take_lease(
        self, name: str, override: str | None, owner: str, restart: bool
    ) -> tuple[RotationPlan, Rotator, str | None]:
        """Take the lease and plan the run; raises ``RotationError`` if one is in progress."""
        with self._acquire:
            metadata = self._provider.describe(name)
            now = self._clock()
            plan = plan_rotation(metadata, now=now, new_token=self._new_token(), restart=restart)
            chosen = self._rotator_for(metadata, override)
            if isinstance(chosen, GuardedRotator):
                chosen.check(name, rotation_options(metadata.tags))
            state = parse_state(metadata.tags.get(TAG_STATE))
            resuming_failed = (
                plan.resumed and state is not None and state.status is StepStatus.FAILED
            )
            if not self._acquire_lease(name, owner, now, resuming_failed=resuming_failed):
                raise RotationError(
                    f"A rotation of secret {name!r} is already in progress (another run took "
                    "the lease at the same moment).",
                    secret_name=name,
                )
            if isinstance(self._provider, RotationLeaseHolder):
                # granted atomically: plan again from what the store holds now that it is ours
                metadata = self._provider.describe(name)
                plan = plan_rotation(
                    metadata, now=now, new_token=plan.token, restart=restart, lease_owner=owner
                )
        previous = metadata.current_version if metadata.current_version != plan.token else None
        return plan, chosen, previous

    def _acquire_lease(
        self, name: str, owner: str, now: datetime, *, resuming_failed: bool = False
    ) -> bool:
        """The provider's own lease where it has one (one transaction, a check-and-set write,
        AWSPENDING moved with RemoveFromVersionId), else the lease tag. A failed rotation's
        pending version can hold the provider's lock itself (AWSPENDING on AWS): resuming it
        falls back to the tag, as two resumers of one failed run at the same instant only
        repeat idempotent steps (create is keyed on the token, finish checks from_version)."""
        if isinstance(self._provider, RotationLeaseHolder):
            if self._provider.acquire_rotation_lease(name, owner=owner, ttl=self._lease_ttl):
                return True
            if not resuming_failed:
                return False
        self._provider.set_tags(name, {TAG_LEASE: lease_tag(owner, now, self._lease_ttl)})
        confirmed = active_lease(self._provider.describe(name).tags, now)
        return confirmed is not None and confirmed.owner == owner

    def _release(self, name: str, owner: str) -> None:
        if isinstance(self._provider, RotationLeaseHolder):
            with contextlib.suppress(SecretsAdapterError):  # it expires by itself
                self._provider.release_rotation_lease(name, owner=owner)
        try:  # the lease tag too (ours if a resume of a failed run fell back to it)
            tags = self._provider.describe(name).tags
            lease = active_lease(tags, self._clock())
            if lease is not None and lease.owner == owner:
                self._provider.set_tags(name, {TAG_LEASE: ""})
        except SecretsAdapterError:
            # The lease expires by itself; a failed release must not hide the rotation's outcome.
            return

    def _run(self, name: str, step: RotationStep, token: str, rotator: Rotator) -> None:
        self._provider.set_tags(name, {TAG_STATE: state_tag(token, step, StepStatus.RUNNING)})
        failure: Exception | None = None
        try:
            self._step(name, step, token, rotator)
        except Exception as exc:  # noqa: BLE001 - a rotator's code: re-raised below as RotationError
            self._fail(name, step, token, rotator, exc)
            failure = exc
        if failure is not None:
            # Raised outside the ``except`` block: a foreign exception's message might hold a
            # value, and even a suppressed ``__context__`` keeps it reachable.
            # our errors never hold a value: their message says what was wrong
            why = failure.message if isinstance(failure, SecretsAdapterError) else ""
            error = RotationError(
                f"Rotation of secret {name!r} failed at step {step.value!r} "
                f"({type(failure).__name__}{': ' + why if why else ''}); the current version "
                "still serves, and the next rotation resumes at this step.",
                secret_name=name,
                provider=self._provider.kind,
                step=step.value,
                version_id=token,
            )
            if isinstance(failure, SecretsAdapterError):
                raise error from failure  # our errors never hold a value
            raise error
        self._emit(name, "step_done", rotator, step=step, version_id=token)
        if step is RotationStep.FINISH:
            self._provider.set_tags(
                name,
                {TAG_STATE: "", TAG_FAILURES: "", TAG_LAST_ROTATED: self._clock().isoformat()},
            )
            self._emit(name, "finished", rotator, version_id=token)

    def _fail(
        self, name: str, step: RotationStep, token: str, rotator: Rotator, exc: Exception
    ) -> None:
        # If this write fails, the "running" state already names this step: a resume finds it.
        with contextlib.suppress(SecretsAdapterError):
            failures = failure_count(self._provider.describe(name).tags) + 1
            self._provider.set_tags(
                name,
                {
                    TAG_STATE: state_tag(token, step, StepStatus.FAILED),
                    TAG_FAILURES: str(failures),
                },
            )
        message = exc.message if isinstance(exc, SecretsAdapterError) else None
        self._emit(
            name,
            "failed",
            rotator,
            step=step,
            version_id=token,
            error_code=type(exc).__name__,
            error_message=message,
        )

    def _step(self, name: str, step: RotationStep, token: str, rotator: Rotator) -> None:
        if step is RotationStep.CREATE:
            self._create(name, token, rotator)
        elif step is RotationStep.FINISH:
            self._finish(name, token)
            if isinstance(rotator, FinishingRotator):
                rotator.finish(self._context(name, token), self._previous(name))
        else:
            pending = self._provider.get(name, version=token)
            context = self._context(name, token)
            if step is RotationStep.SET:
                rotator.set(context, pending.value)
            else:
                rotator.test(context, pending.value)

    def _create(self, name: str, token: str, rotator: Rotator) -> None:
        try:
            existing = self._provider.get(name, version=token)
        except SecretNotFoundError:
            value = rotator.create(self._context(name, token))
            self._provider.put_version(name, value, token=token, stage=Stage.PENDING)
            return
        if Stage.PENDING not in existing.stages and Stage.CURRENT not in existing.stages:
            self._provider.move_stage(name, Stage.PENDING, to_version=token)

    def _finish(self, name: str, token: str) -> None:
        metadata = self._provider.describe(name)
        current = metadata.current_version
        if current != token:
            self._provider.move_stage(name, Stage.CURRENT, to_version=token, from_version=current)
        pending = metadata.version_for(Stage.PENDING)
        if pending is not None:
            self._provider.move_stage(
                name, Stage.PENDING, to_version=None, from_version=pending.version_id
            )

    def _previous(self, name: str) -> Secret | None:
        try:
            return self._provider.get(name, stage=Stage.PREVIOUS)
        except SecretNotFoundError:
            return None

    def _context(self, name: str, token: str) -> RotationContext:
        metadata = self._provider.describe(name)
        current = self._provider.get(name, stage=Stage.CURRENT)
        return RotationContext(
            name=name,
            token=token,
            current=current,
            now=self._clock(),
            options=rotation_options(metadata.tags),
            lookup=lambda other: self._provider.get(other).value,
        )

    def _emit(
        self,
        name: str,
        status: str,
        rotator: Rotator,
        *,
        step: RotationStep | None = None,
        version_id: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        self._events.emit(
            RotationEvent(
                time=self._clock(),
                secret_name=name,
                status=status,
                step=step.value if step else None,
                version_id=version_id,
                rotator=rotator.name,
                error_code=error_code,
                error_message=error_message,
            )
        )
