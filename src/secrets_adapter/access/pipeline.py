"""The one access pipeline: qualify → authorise → (the face reads) → record → remember.

Every face (``SecretsAdapter`` now, an asynchronous one later, the CLI through them) calls the same
steps, so policy, audit, metrics and redaction cannot drift between faces. The I/O step — the
cache or provider call — is not in here: a face does ``before`` → its own read (plain or awaited)
→ ``after`` (or ``failed``). ``before`` on a name seen before costs one dict lookup plus the
authoriser's remembered decision; nothing on that path allocates.
"""

from __future__ import annotations

import time
import uuid

from secrets_adapter.audit import AuditTrail, HitFields, HitRecorder
from secrets_adapter.clock import WallClock
from secrets_adapter.errors import PolicyDeniedError, SecretsAdapterError
from secrets_adapter.events import AccessEvent, CacheResult, EventBus, Outcome
from secrets_adapter.models import Secret, SecretValue, Stage
from secrets_adapter.policy import OPERATION_ACTIONS, Authorizer
from secrets_adapter.redaction import ServedValues
from secrets_adapter.validation import arn_secret_name, validate_name, validate_secret_id

__all__ = ["AccessPipeline"]

_QUALIFIED_MEMO_SIZE = 4096  # names seen; cleared when full, so dynamic names cannot grow it


class AccessPipeline:
    """Policy, audit, events and redaction for one principal over one backend.

    ``audit`` and ``events`` are read by the faces' hit path (``audit is None and not
    events.active``: nobody to tell, so the read skips the timing and the record).
    """

    __slots__ = (
        "_authorizer",
        "_clock",
        "_prefix",
        "_qualified",
        "_record_read",
        "audit",
        "events",
        "principal",
        "provider_kind",
        "record_hit",
        "served",
    )

    def __init__(
        self,
        *,
        prefix: str,
        principal: str,
        provider_kind: str,
        authorizer: Authorizer | None,
        audit: AuditTrail | None,
        events: EventBus,
        clock: WallClock,
    ) -> None:
        self._prefix = prefix
        self._authorizer = authorizer
        self._clock = clock
        self._qualified: dict[str, str] = {}
        self.principal = principal
        self.provider_kind = provider_kind
        self.audit = audit
        self._record_read = (  # the audited hit path's hand-over to the trail
            audit.read_recorder(principal=principal, provider=provider_kind)
            if audit is not None
            else None
        )
        # the served-text hot path's hand-over (access.served_text); None: no audit log
        self.record_hit: HitRecorder | None = audit.hit_recorder() if audit is not None else None
        self.events = events
        self.served = ServedValues()

    # --- qualify ---------------------------------------------------------------------------------

    def qualify(self, name: str) -> str:
        """A relative name (no ``/``) gets the configured prefix: ``database-url`` →
        ``gaara/prod/database-url``. Full names pass through unchanged."""
        try:
            known = self._qualified.get(name)
        except TypeError:  # unhashable: not a name at all; let the rule say so
            known = validate_name(name)
        if known is not None:
            return known  # validated before: the hit path skips the regular expression
        full = validate_secret_id(name)  # a name, or an AWS secret ARN (never prefixed)
        if self._prefix and "/" not in full and not full.startswith("arn:"):
            full = validate_name(f"{self._prefix}/{full}")
        if len(self._qualified) >= _QUALIFIED_MEMO_SIZE:
            self._qualified.clear()
        self._qualified[name] = full
        return full

    # --- authorise -------------------------------------------------------------------------------

    def before(self, operation: str, name: str) -> str:
        """The qualified name, once the policy lets this principal do ``operation`` on it.

        A refusal is recorded (``AccessDenied``) and raised before any cache or backend call.
        """
        try:
            full = self._qualified[name]  # the hit path: a name seen before, already validated
        except (KeyError, TypeError):
            full = self.qualify(name)
        if self._authorizer is not None:
            self.authorize(operation, full)
        return full

    def authorize(self, operation: str, full: str) -> None:
        """Refuse, and record the denial, before any cache or backend call."""
        denial = self.denial(operation, full)
        if denial is not None:
            self.record(operation, full, time.perf_counter(), error=denial)
            raise denial

    def denial(self, operation: str, full: str) -> PolicyDeniedError | None:
        """The policy's refusal of ``operation`` on ``full`` for this principal, if it refuses."""
        if self._authorizer is None:
            return None
        action = OPERATION_ACTIONS[operation]
        decision = self._authorizer.decide(action, full)
        arn_name = arn_secret_name(full) if full.startswith("arn:") else None
        if arn_name is not None and decision.allowed:
            # An ARN is judged by the name in it, with and without a full ARN's random suffix:
            # an ARN must not reach what the name is denied.
            for subject in dict.fromkeys((arn_name, arn_name[:-7] or arn_name)):
                decision = self._authorizer.decide(action, subject)
                if not decision.allowed:
                    break
        if decision.allowed:
            return None
        return self._refusal(action, full, decision.reason)

    def before_listing(self, prefix: str) -> None:
        """Refuse (recorded, ``PolicyDeniedError``) a listing under ``prefix`` that no statement
        allows, as ``ListSecrets`` is refused as a whole; an allowed listing is then filtered
        name by name with ``denial("list", name)``."""
        if self._authorizer is None:
            return
        decision = self._authorizer.decide_listing(prefix)
        if not decision.allowed:
            denial = self._refusal("list", prefix or "*", decision.reason)
            self.record("list", prefix, time.perf_counter(), error=denial)
            raise denial

    def _refusal(self, action: str, target: str, reason: str) -> PolicyDeniedError:
        return PolicyDeniedError(
            f"The access policy does not let {self.principal!r} {action} secret {target!r}: "
            f"{reason}.",
            secret_name=target,
            provider=self.provider_kind,
            principal=self.principal,
            action=action,
        )

    # --- record and remember ---------------------------------------------------------------------

    def remember(self, value: SecretValue) -> None:
        """Note a served value for the redaction filter (one dict lookup once seen)."""
        if self.served.seen.get(id(value)) is not value:
            self.served.remember(value)

    def hit_fields(self, full: str, secret: Secret) -> HitFields | None:
        """The record of a cache hit on ``secret`` (the current version), all but its time; None
        without an audit log. ``after`` would record the same for such a read."""
        if self.audit is None:
            return None
        return (
            "get",
            full,
            self.provider_kind,
            self.principal,
            Outcome.SUCCESS,
            secret.version_id,
            Stage.CURRENT,
            CacheResult.HIT,
            None,
            None,
            0.0,
            None,
        )

    def after(
        self,
        operation: str,
        full: str,
        started: float,
        secret: Secret,
        *,
        stage: Stage | None = None,
        cache: CacheResult | None = None,
    ) -> None:
        """A value was served: remember it, then record the access (the trail may refuse)."""
        self.served.remember(secret.value)
        if self._record_read is not None and not self.events.active:  # only the trail listens
            duration = time.perf_counter() - started
            self._record_read(
                operation, full, secret.version_id, stage, cache, secret.value, duration
            )
            return
        self.record(
            operation,
            full,
            started,
            version_id=secret.version_id,
            stage=stage,
            cache=cache,
            value=secret.value,
        )

    def failed(
        self,
        operation: str,
        full: str,
        started: float,
        error: SecretsAdapterError,
        *,
        stage: Stage | None = None,
    ) -> None:
        """The operation raised ``error``: record it (the caller re-raises)."""
        self.record(operation, full, started, error=error, stage=stage)

    def record(
        self,
        operation: str,
        full: str,
        started: float,
        *,
        error: SecretsAdapterError | None = None,
        version_id: str | None = None,
        stage: Stage | None = None,
        cache: CacheResult | None = None,
        value: SecretValue | None = None,
    ) -> None:
        """Record the access (the audit trail may refuse it: fail closed), then tell listeners.

        ``value`` reaches the audit trail only, which logs its keyed HMAC if so configured.
        """
        outcome = (
            Outcome.SUCCESS
            if error is None
            else Outcome.DENIED
            if isinstance(error, PolicyDeniedError)
            else Outcome.ERROR
        )
        if not self.events.active:
            if self.audit is not None:  # only the trail listens: hand it the fields, no event
                self.audit.record_access(
                    operation,
                    full,
                    principal=self.principal,
                    provider=self.provider_kind,
                    outcome=outcome,
                    version_id=version_id,
                    stage=stage,  # a Stage is a str: no slow .value
                    cache=cache,
                    error_code=type(error).__name__ if error is not None else None,
                    error_message=error.message if error is not None else None,
                    duration_s=time.perf_counter() - started,
                    value=value,
                )
            return
        event = AccessEvent(
            time=self._clock(),
            action=operation,
            secret_name=full,
            provider=self.provider_kind,
            principal=self.principal,
            outcome=outcome,
            request_id=str(uuid.uuid4()),
            version_id=version_id,
            stage=stage.value if stage is not None else None,
            cache=cache,
            error_code=type(error).__name__ if error is not None else None,
            error_message=error.message if error is not None else None,
            duration_s=time.perf_counter() - started,
        )
        if self.audit is not None:
            self.audit.record(event, value=value)
        self.events.emit(event)
