"""Monitoring: Prometheus metrics and alert rules over the adapter's events, alert sinks,
the CloudWatch side of the same rules, and the status table.

Wire it up with ``adapter.events.subscribe(metrics)`` and ``adapter.events.subscribe(engine)``.
"""

from secrets_adapter.monitoring.audit_watch import WatchedAuditSink
from secrets_adapter.monitoring.engine import AlertEngine, Ticker
from secrets_adapter.monitoring.metrics import SecretsMetrics
from secrets_adapter.monitoring.notification import AlertNotification, AlertSink, AlertStatus
from secrets_adapter.monitoring.rules import (
    AlertRule,
    CountRule,
    EventMatch,
    RotationOverdueRule,
    StaleTooLongRule,
    default_rules,
)
from secrets_adapter.monitoring.severity import Severity
from secrets_adapter.monitoring.sinks import (
    BackgroundSink,
    LogSink,
    WebhookDeliveryError,
    WebhookSink,
)

__all__ = [
    "AlertEngine",
    "AlertNotification",
    "AlertRule",
    "AlertSink",
    "AlertStatus",
    "BackgroundSink",
    "CountRule",
    "EventMatch",
    "LogSink",
    "RotationOverdueRule",
    "SecretsMetrics",
    "Severity",
    "StaleTooLongRule",
    "Ticker",
    "WebhookDeliveryError",
    "WatchedAuditSink",
    "WebhookSink",
    "default_rules",
]
