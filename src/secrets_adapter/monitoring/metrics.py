"""Prometheus metrics from the adapter's events (``[metrics]`` extra: prometheus-client).

Each ``SecretsMetrics`` owns its ``CollectorRegistry`` — no module-level registry — so two
adapters in one process (or tests) never share counters. Labels hold secret names, actions,
outcomes and error class names; never a value, never an error message.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from secrets_adapter.clock import WallClock, utcnow
from secrets_adapter.errors import ConfigurationError
from secrets_adapter.events import (
    AccessEvent,
    CacheEvent,
    CacheResult,
    Event,
    Outcome,
    RotationEvent,
    ThrottleEvent,
)
from secrets_adapter.monitoring.rules import READ_ACTIONS, UNAUTHORIZED_ERRORS

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["SecretsMetrics"]

_SAFE_LABEL = re.compile(r"[A-Za-z0-9_.:/@+=-]{1,512}")
_LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _label(text: str | None, default: str = "none") -> str:
    """Only names and codes become labels; anything else is replaced, never shown."""
    if not text:
        return default
    return text if _SAFE_LABEL.fullmatch(text) else "other"


def _prometheus() -> Any:
    try:
        import prometheus_client
    except ImportError:  # pragma: no cover - the extra is part of the test install
        raise ConfigurationError(
            "Metrics need prometheus-client: pip install 'secrets-adapter[metrics]'."
        ) from None
    return prometheus_client


class SecretsMetrics:
    """An ``EventBus`` listener that counts; ``render()`` gives the exposition page."""

    def __init__(self, *, namespace: str = "secrets_adapter", clock: WallClock = utcnow) -> None:
        prom = _prometheus()
        self._prom = prom
        self._clock = clock
        self._lock = threading.Lock()
        self._last_rotation: dict[str, datetime] = {}
        self.registry: CollectorRegistry = prom.CollectorRegistry(auto_describe=True)
        common: dict[str, Any] = {"namespace": namespace, "registry": self.registry}
        self.accesses = prom.Counter(
            "accesses",
            "Secret accesses through the adapter.",
            ["secret", "action", "outcome", "cache"],
            **common,
        )
        self.backend_calls = prom.Counter(
            "backend_calls",
            "Calls to the secret backend (cache fetches and refreshes, uncached reads, writes).",
            ["secret", "kind", "outcome"],
            **common,
        )
        self.backend_latency = prom.Histogram(
            "backend_call_duration_seconds",
            "Latency of calls to the secret backend.",
            ["kind"],
            buckets=_LATENCY_BUCKETS,
            **common,
        )
        self.failed_retrievals = prom.Counter(
            "failed_retrievals",
            "Reads that returned no value.",
            ["secret", "error"],
            **common,
        )
        self.policy_denials = prom.Counter(
            "policy_denials",
            "Accesses our policy refused before any backend call.",
            ["secret", "principal"],
            **common,
        )
        self.unauthorized = prom.Counter(
            "unauthorized_attempts",
            "Unauthorized uses: policy denials, backend AccessDenied, KMS refusals.",
            ["secret", "error"],
            **common,
        )
        self.stale_served = prom.Counter(
            "stale_served",
            "Values served stale because the backend could not be reached.",
            ["secret"],
            **common,
        )
        self.stale_age = prom.Gauge(
            "stale_value_age_seconds",
            "Age of the last value served stale.",
            ["secret"],
            **common,
        )
        self.rotations = prom.Counter(
            "rotation_events",
            "Rotation progress events by status (started, step_done, failed, finished).",
            ["secret", "status"],
            **common,
        )
        self.rotation_failures = prom.Counter(
            "rotation_failures",
            "Rotations that failed, by the step that failed.",
            ["secret", "step"],
            **common,
        )
        self.last_rotation = prom.Gauge(
            "last_rotation_timestamp_seconds",
            "Unix time of each secret's last finished rotation.",
            ["secret"],
            **common,
        )
        self.throttled = prom.Counter(
            "throttled",
            "Answers in which the backend asked to slow down (each attempt, retried or not).",
            ["provider", "operation"],
            **common,
        )
        self.registry.register(_SinceRotation(self, f"{namespace}_seconds_since_last_rotation"))

    # --- the listener ----------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        if isinstance(event, AccessEvent):
            self._access(event)
        elif isinstance(event, CacheEvent):
            self._cache(event)
        elif isinstance(event, ThrottleEvent):
            self.throttled.labels(_label(event.provider), _label(event.operation)).inc()
        else:
            self._rotation(event)

    def note_rotation(self, secret: str, at: datetime) -> None:
        """Seed a secret's last rotation (e.g. the rotation schedule's ``last_rotated``)."""
        with self._lock:
            known = self._last_rotation.get(secret)
            if known is None or at > known:
                self._last_rotation[secret] = at
                self.last_rotation.labels(secret=_label(secret)).set(at.timestamp())

    def render(self) -> tuple[bytes, str]:
        """The text exposition page and its content type."""
        return self._prom.generate_latest(self.registry), self._prom.CONTENT_TYPE_LATEST

    def rotation_ages(self, now: datetime | None = None) -> dict[str, float]:
        moment = now if now is not None else self._clock()
        with self._lock:
            return {
                name: (moment - when).total_seconds() for name, when in self._last_rotation.items()
            }

    # --- per event type --------------------------------------------------------------------------

    def _access(self, event: AccessEvent) -> None:
        secret = _label(event.secret_name)
        error = _label(event.error_code)
        cache = event.cache.value if event.cache is not None else "none"
        self.accesses.labels(secret, _label(event.action), event.outcome.value, cache).inc()
        denied = event.outcome is Outcome.DENIED or event.error_code == "PolicyDeniedError"
        if denied:
            self.policy_denials.labels(secret, _label(event.principal)).inc()
        if denied or event.error_code in UNAUTHORIZED_ERRORS:
            self.unauthorized.labels(secret, error).inc()
        if event.action in READ_ACTIONS and event.outcome is not Outcome.SUCCESS:
            self.failed_retrievals.labels(secret, error).inc()
        uncached = event.cache in (None, CacheResult.BYPASS)
        if uncached and not denied:
            outcome = "success" if event.outcome is Outcome.SUCCESS else "error"
            self.backend_calls.labels(secret, _label(event.action), outcome).inc()
            self.backend_latency.labels(_label(event.action)).observe(event.duration_s)

    def _cache(self, event: CacheEvent) -> None:
        secret = _label(event.secret_name)
        if event.kind in ("fetch", "refresh", "error"):
            kind = "fetch" if event.kind == "error" else event.kind
            failed = event.kind == "error" or event.error_code is not None
            self.backend_calls.labels(secret, kind, "error" if failed else "success").inc()
            self.backend_latency.labels(kind).observe(event.duration_s)
        elif event.kind == "stale":
            self.stale_served.labels(secret).inc()
            self.stale_age.labels(secret).set(event.age_s)

    def _rotation(self, event: RotationEvent) -> None:
        secret = _label(event.secret_name)
        self.rotations.labels(secret, _label(event.status)).inc()
        if event.status == "failed":
            self.rotation_failures.labels(secret, _label(event.step, "unknown")).inc()
        elif event.status == "finished":
            self.note_rotation(event.secret_name, event.time)


class _SinceRotation:
    """A gauge computed at scrape time from the injected clock: seconds since last rotation."""

    def __init__(self, metrics: SecretsMetrics, name: str) -> None:
        self._metrics = metrics
        self._name = name

    def describe(self) -> Iterator[Any]:
        return iter(self._families({}))

    def collect(self) -> Iterator[Any]:
        return iter(self._families(self._metrics.rotation_ages()))

    def _families(self, ages: dict[str, float]) -> list[Any]:
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily(
            self._name, "Seconds since each secret's last rotation.", labels=["secret"]
        )
        for secret, age in sorted(ages.items()):
            family.add_metric([_label(secret)], age)
        return [family]
