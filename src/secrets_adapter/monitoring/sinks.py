"""Where alerts go: a structured JSON log line, an HTTP webhook (Slack-compatible), or a callable.

Every sink may fail; ``AlertEngine`` catches and logs that (type only), so a failing sink never
breaks the read whose event triggered the alert. ``BackgroundSink`` moves a slow sink (a webhook
with retries) off the caller's thread.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from secrets_adapter.monitoring.notification import AlertNotification, AlertSink, AlertStatus
from secrets_adapter.monitoring.severity import Severity

__all__ = ["BackgroundSink", "LogSink", "WebhookDeliveryError", "WebhookSink"]

_LEVELS = {
    Severity.INFO: logging.INFO,
    Severity.WARNING: logging.WARNING,
    Severity.CRITICAL: logging.ERROR,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class LogSink:
    """One JSON object per alert on ``logger`` (resolves at INFO, firing at the rule's level)."""

    logger: logging.Logger = field(
        default_factory=lambda: logging.getLogger("secrets_adapter.alerts")
    )

    def __call__(self, notification: AlertNotification) -> None:
        level = (
            logging.INFO
            if notification.status is AlertStatus.RESOLVED
            else _LEVELS[notification.severity]
        )
        self.logger.log(level, "%s", json.dumps(notification.as_dict(), sort_keys=True))


class WebhookDeliveryError(Exception):
    """All attempts to deliver an alert failed; the message names the URL's host, never a body."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSink:
    """HTTP POST of ``{"text": ..., "alert": {...}}`` (Slack incoming webhooks read ``text``).

    Each attempt waits at most ``timeout``; network errors, timeouts and 5xx/429 answers are
    retried ``retries`` times with ``backoff`` doubling; a 4xx is not retried.
    """

    url: str
    timeout: timedelta = timedelta(seconds=3)
    retries: int = 2
    backoff: timedelta = timedelta(milliseconds=500)
    sleep: Callable[[float], None] = time.sleep
    headers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError("the webhook URL must be http:// or https://")

    def __call__(self, notification: AlertNotification) -> None:
        body = json.dumps({"text": notification.text, "alert": notification.as_dict()}).encode()
        delay = self.backoff.total_seconds()
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(delay)
                delay *= 2
            error, retry = self._attempt(body)
            if error is None:
                return
            last = error
            if not retry:
                break
        host = urllib.parse.urlparse(self.url).netloc
        raise WebhookDeliveryError(f"alert webhook to {host} failed: {last}")

    def _attempt(self, body: bytes) -> tuple[str | None, bool]:
        """(error or None, worth retrying)."""
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __post_init__
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", **dict(self.headers)},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout.total_seconds()) as resp:  # noqa: S310
                resp.read()
            return None, False
        except urllib.error.HTTPError as exc:
            exc.close()
            return f"HTTP {exc.code}", exc.code >= 500 or exc.code == 429
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            return type(exc).__name__, True


class BackgroundSink:
    """Delivers to ``sink`` on a daemon thread through a bounded queue; a full queue drops (and
    logs) rather than block the caller. ``flush()`` waits until everything queued was tried."""

    def __init__(self, sink: AlertSink, *, max_queued: int = 100) -> None:
        self._sink = sink
        self._queue: queue.Queue[AlertNotification] = queue.Queue(maxsize=max_queued)
        self._log = logging.getLogger(__name__)
        self._thread = threading.Thread(target=self._run, name="alert-sink", daemon=True)
        self._thread.start()

    def __call__(self, notification: AlertNotification) -> None:
        try:
            self._queue.put_nowait(notification)
        except queue.Full:
            self._log.warning("alert sink queue full; dropped %s", notification.rule_id)

    def flush(self) -> None:
        self._queue.join()

    def _run(self) -> None:
        while True:
            notification = self._queue.get()
            try:
                self._sink(notification)
            except Exception as exc:  # noqa: BLE001 - a sink failure is logged, never raised
                self._log.warning("alert sink failed: %s", type(exc).__name__)
            finally:
                self._queue.task_done()
