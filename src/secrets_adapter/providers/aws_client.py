"""The boto3 session and client the AWS provider talks through: credentials, retries, timeouts,
log hygiene, and what a throttled answer does.

botocore's ``standard`` and ``adaptive`` retry modes back off exponentially with jitter (capped at
20 s) and never read a ``Retry-After`` header. Where AWS (or a proxy in front of it) sends one, the
``needs-retry`` hook registered here waits at least that long before the next attempt, within the
configured ``max_attempts``; a wait longer than ``MAX_RETRY_AFTER`` is not slept through: the call
fails as unavailable at once. Every throttled answer, retried or not, becomes a
``ThrottleEvent`` for the listeners (the ``throttled`` metric).

botocore logs request and response bodies (which hold ``SecretString``) at DEBUG level;
``guard_sdk_logging`` pins those loggers to INFO and drops their DEBUG records.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal

from secrets_adapter.clock import utcnow
from secrets_adapter.config import AwsSettings
from secrets_adapter.errors import ConfigurationError
from secrets_adapter.events import Listener, ThrottleEvent

if TYPE_CHECKING:
    from boto3.session import Session
    from botocore.config import Config

__all__ = [
    "MAX_RETRY_AFTER",
    "MissingRegionError",
    "RETRY_MODES",
    "ThrottleWatch",
    "aws_session",
    "client_config",
    "guard_sdk_logging",
    "retry_after_seconds",
]

MAX_RETRY_AFTER = 20.0
"""Seconds: the longest ``Retry-After`` slept through (botocore's own backoff cap)."""

RETRY_MODES = ("standard", "adaptive")
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
_BODY_LOGGERS = ("botocore.endpoint", "botocore.parsers", "botocore.awsrequest")


class MissingRegionError(ConfigurationError):
    """No region from the arguments, the environment or the profile (the CLI rewords it with
    its own flag)."""


class _DropDebug(logging.Filter):
    """Refuses DEBUG records on a botocore logger that would print request or response bodies."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def guard_sdk_logging() -> None:
    """Keep botocore's body-logging loggers above DEBUG, whatever the root logger's level."""
    for logger_name in _BODY_LOGGERS:
        logger = logging.getLogger(logger_name)
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
        if not any(isinstance(f, _DropDebug) for f in logger.filters):
            logger.addFilter(_DropDebug())


def aws_session(settings: AwsSettings) -> Session:
    """A boto3 session on the standard credential chain, with the configured profile and region."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        session = boto3.session.Session(profile_name=settings.profile, region_name=settings.region)
    except ProfileNotFound:
        raise ConfigurationError(
            f"The AWS profile {settings.profile!r} is not in ~/.aws/config or ~/.aws/credentials."
        ) from None
    if session.region_name is None:
        raise MissingRegionError(
            "No AWS region configured: pass region=... (e.g. region='us-east-1') or set AWS_REGION."
        )
    return session


def client_config(settings: AwsSettings) -> Config:
    """botocore ``Config``: the retry mode, bounded attempts, connect and read timeouts."""
    from botocore.config import Config

    if settings.max_attempts < 1:
        raise ConfigurationError("AWS max_attempts must be at least 1.")
    if settings.retry_mode not in RETRY_MODES:
        raise ConfigurationError(
            f"AWS retry mode {settings.retry_mode!r} is not one of {', '.join(RETRY_MODES)}."
        )
    mode: Literal["standard", "adaptive"] = (
        "adaptive" if settings.retry_mode == "adaptive" else "standard"
    )
    return Config(
        retries={"mode": mode, "max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        user_agent_extra="secrets-adapter",
    )


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The wait a response asks for: ``x-amz-retry-after`` (milliseconds) or ``Retry-After``
    (seconds or an HTTP date); None when it asks for none or says it unreadably."""
    lowered = {key.lower(): value for key, value in headers.items()}
    raw_ms = lowered.get("x-amz-retry-after")
    if raw_ms is not None and raw_ms.strip().isdigit():
        return int(raw_ms) / 1000
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - utcnow()).total_seconds())


class ThrottleWatch:
    """The ``needs-retry`` hook: sees every answer before botocore decides to retry it.

    For a throttled answer it tells the listeners, and when the answer carries ``Retry-After``
    it returns that delay (handlers run in order and the first delay wins, so it is registered
    first); otherwise it returns None and botocore's own backoff applies.
    """

    def __init__(self, *, max_attempts: int, provider: str = "aws") -> None:
        self._max_attempts = max_attempts
        self._provider = provider
        self._listeners: tuple[Listener, ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners = (*self._listeners, listener)

    def attach(self, client: Any) -> None:
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register_first(f"needs-retry.{service}", self.needs_retry)

    def needs_retry(
        self, response: Any = None, attempts: int = 1, operation: Any = None, **_: Any
    ) -> float | bool | None:
        if response is None:
            return None  # a connection error: botocore's backoff decides
        http_response, parsed = response
        code = str((parsed or {}).get("Error", {}).get("Code", ""))
        status = getattr(http_response, "status_code", 0)
        if code not in THROTTLING_CODES and status != 429:
            return None
        wait = retry_after_seconds(dict(getattr(http_response, "headers", {}) or {}))
        will_retry = attempts < self._max_attempts and (wait is None or wait <= MAX_RETRY_AFTER)
        event = ThrottleEvent(
            time=utcnow(),
            provider=self._provider,
            operation=str(getattr(operation, "name", "")),
            retry_after_s=wait,
            retried=will_retry,
        )
        for listener in self._listeners:
            try:
                listener(event)
            except Exception as exc:  # noqa: BLE001 - a listener must never break a call
                logging.getLogger(__name__).warning(
                    "throttle listener failed with %s", type(exc).__name__
                )
        if wait is None:
            return None
        # False (not None) stops botocore from retrying at its own pace after a long Retry-After.
        return wait if will_retry else False
