"""``AlertEngine``: evaluates the alert rules over the adapter's events on sliding windows.

Subscribe it to the adapter's ``EventBus`` (it is a listener) and call ``evaluate()`` now and then
(``Ticker`` does it on a thread) so that rules driven by time alone — windows emptying, a rotation
becoming overdue, a stale value ageing — change state without a new event. Each rule and key
(a secret, or ``*``) has at most one open episode: it fires once, stays quiet while it lasts, and
resolves once. Time comes from the events and the injected clock; nothing here sleeps.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from secrets_adapter.clock import WallClock, utcnow
from secrets_adapter.events import AccessEvent, CacheEvent, Event, Outcome, RotationEvent
from secrets_adapter.monitoring.notification import AlertNotification, AlertSink, AlertStatus
from secrets_adapter.monitoring.rules import (
    AlertRule,
    CountRule,
    RotationOverdueRule,
    StaleTooLongRule,
    default_rules,
)

__all__ = ["AlertEngine", "Ticker"]

_log = logging.getLogger(__name__)
_ALL = "*"


@dataclass(slots=True)
class _Episode:
    started_at: datetime
    count: int
    secrets: tuple[str, ...]


class AlertEngine:
    """Rules in, notifications out to every sink; a failing sink is logged and skipped."""

    def __init__(
        self,
        rules: Iterable[AlertRule] | None = None,
        sinks: Iterable[AlertSink] = (),
        *,
        clock: WallClock = utcnow,
        failure_memory: timedelta = timedelta(hours=1),
    ) -> None:
        self._rules: tuple[AlertRule, ...] = tuple(rules) if rules is not None else default_rules()
        ids = [rule.id for rule in self._rules]
        if len(ids) != len(set(ids)):
            raise ValueError("alert rule ids must be unique")
        self._count_rules = {rule.id: rule for rule in self._rules if isinstance(rule, CountRule)}
        self._sinks: tuple[AlertSink, ...] = tuple(sinks)
        self._clock = clock
        self._failure_memory = failure_memory
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], deque[tuple[datetime, str]]] = {}
        self._active: dict[tuple[str, str], _Episode] = {}
        self._last_rotation: dict[str, datetime] = {}
        self._stale_since: dict[str, datetime] = {}
        self._failures: dict[str, deque[datetime]] = {}
        self.sink_failures = 0

    @property
    def rules(self) -> tuple[AlertRule, ...]:
        return self._rules

    # --- input --------------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        """The ``EventBus`` listener."""
        with self._lock:
            notes = self._observe(event)
            notes += self._evaluate_at(event.time)
        self._deliver(notes)

    def note_rotation(self, secret: str, at: datetime) -> None:
        """Seed when ``secret`` was last rotated (e.g. the rotation schedule's ``last_rotated``)."""
        with self._lock:
            known = self._last_rotation.get(secret)
            if known is None or at > known:
                self._last_rotation[secret] = at

    def evaluate(self, now: datetime | None = None) -> list[AlertNotification]:
        """Apply the passing of time; returns (and delivers) the transitions it caused."""
        with self._lock:
            notes = self._evaluate_at(now if now is not None else self._clock())
        self._deliver(notes)
        return notes

    # --- queries ------------------------------------------------------------------------------

    def firing(self) -> list[tuple[str, str]]:
        """(rule id, key) of every open episode."""
        with self._lock:
            return sorted(self._active)

    def recent_failures(self, secret: str, now: datetime | None = None) -> int:
        """Failed or refused accesses to ``secret`` within ``failure_memory``."""
        moment = now if now is not None else self._clock()
        with self._lock:
            times = self._failures.get(secret, deque())
            return sum(1 for when in times if moment - when < self._failure_memory)

    def last_rotation(self, secret: str) -> datetime | None:
        with self._lock:
            return self._last_rotation.get(secret)

    # --- evaluation (under the lock) -------------------------------------------------------------

    def _observe(self, event: Event) -> list[AlertNotification]:
        notes: list[AlertNotification] = []
        secret = event.secret_name
        if isinstance(event, RotationEvent) and event.status == "finished":
            self._last_rotation[secret] = event.time
        elif isinstance(event, CacheEvent):
            if event.kind == "stale":
                self._stale_since[secret] = event.time - timedelta(seconds=event.age_s)
            elif event.kind in ("fetch", "refresh") and event.error_code is None:
                self._stale_since.pop(secret, None)
        elif isinstance(event, AccessEvent) and event.outcome is not Outcome.SUCCESS:
            failures = self._failures.setdefault(secret, deque(maxlen=1000))
            failures.append(event.time)
        for rule in self._count_rules.values():
            key = secret if rule.per_secret else _ALL
            if rule.clear_on is not None and rule.clear_on(event):
                self._windows.pop((rule.id, key), None)
                notes += self._resolve(rule, key, event.time, count=0)
            if not rule.counts(event):
                continue
            window = self._windows.setdefault((rule.id, key), deque())
            window.append((event.time, secret))
            self._prune(window, event.time, rule.window)
            if len(window) >= rule.threshold and (rule.id, key) not in self._active:
                notes.append(self._fire(rule, key, event.time, window))
        return notes

    def _evaluate_at(self, now: datetime) -> list[AlertNotification]:
        notes: list[AlertNotification] = []
        for (rule_id, key), window in list(self._windows.items()):
            count_rule = self._count_rules[rule_id]
            self._prune(window, now, count_rule.window)
            if len(window) < count_rule.clear_below:
                notes += self._resolve(count_rule, key, now, count=len(window))
            if not window:  # a quiet window is no window: only live ones are walked per event
                del self._windows[(rule_id, key)]
        for rule in self._rules:
            if isinstance(rule, CountRule):
                continue
            if isinstance(rule, RotationOverdueRule):
                since = self._last_rotation
            else:
                since = self._stale_since
            breached = {secret: when for secret, when in since.items() if now - when > rule.max_age}
            for secret, when in sorted(breached.items()):
                if (rule.id, secret) not in self._active:
                    notes.append(self._fire_condition(rule, secret, now, when))
            for rule_id, key in list(self._active):
                if rule_id == rule.id and key not in breached:
                    notes += self._resolve(rule, key, now, count=0)
        return notes

    @staticmethod
    def _prune(window: deque[tuple[datetime, str]], now: datetime, span: timedelta) -> None:
        while window and now - window[0][0] >= span:
            window.popleft()

    def _fire(
        self, rule: CountRule, key: str, now: datetime, window: deque[tuple[datetime, str]]
    ) -> AlertNotification:
        secrets = tuple(sorted({name for _, name in window}))[:10]
        episode = _Episode(started_at=now, count=len(window), secrets=secrets)
        self._active[(rule.id, key)] = episode
        return self._note(rule, key, now, episode, AlertStatus.FIRING)

    def _fire_condition(
        self,
        rule: RotationOverdueRule | StaleTooLongRule,
        secret: str,
        now: datetime,
        since: datetime,
    ) -> AlertNotification:
        episode = _Episode(started_at=now, count=0, secrets=(secret,))
        self._active[(rule.id, secret)] = episode
        note = self._note(rule, secret, now, episode, AlertStatus.FIRING)
        age = int((now - since).total_seconds())
        return replace(note, description=f"{note.description} ({secret}: {age} s)")

    def _resolve(
        self, rule: AlertRule, key: str, now: datetime, *, count: int
    ) -> list[AlertNotification]:
        episode = self._active.pop((rule.id, key), None)
        if episode is None:
            return []
        episode.count = count
        return [self._note(rule, key, now, episode, AlertStatus.RESOLVED)]

    @staticmethod
    def _note(
        rule: AlertRule, key: str, now: datetime, episode: _Episode, status: AlertStatus
    ) -> AlertNotification:
        return AlertNotification(
            rule_id=rule.id,
            status=status,
            severity=rule.severity,
            description=rule.description,
            key=key,
            at=now,
            started_at=episode.started_at,
            count=episode.count,
            secrets=episode.secrets,
        )

    def _deliver(self, notes: list[AlertNotification]) -> None:
        for note in notes:
            for sink in self._sinks:
                try:
                    sink(note)
                except Exception as exc:  # noqa: BLE001 - a sink must never break a read
                    self.sink_failures += 1
                    _log.warning(
                        "alert sink %s failed for %s: %s",
                        type(sink).__name__,
                        note.rule_id,
                        type(exc).__name__,
                    )


class Ticker:
    """Calls ``engine.evaluate()`` every ``interval`` on a daemon thread until ``stop()``."""

    def __init__(self, engine: AlertEngine, interval: timedelta = timedelta(seconds=15)) -> None:
        self._engine = engine
        self._interval = interval.total_seconds()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alert-ticker", daemon=True)

    def start(self) -> Ticker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._engine.evaluate()
            except Exception as exc:  # noqa: BLE001 - keep ticking
                _log.warning("alert evaluation failed: %s", type(exc).__name__)
