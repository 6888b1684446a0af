"""An ``AccessEvent`` as an audit record with CloudTrail's field names. Pure; never a value.

CloudTrail names were kept so that people who already query CloudTrail (or ship it to a SIEM)
read this log the same way; the additions are ``cache``, ``versionId``, ``outcome`` and
``valueHmac`` (a keyed fingerprint of the value, see ``fingerprint.py``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from secrets_adapter.events import AccessEvent, RotationEvent

__all__ = [
    "EVENT_NAMES",
    "RECORD_VERSION",
    "ROTATION_EVENT_NAMES",
    "event_name",
    "format_time",
    "rotation_record",
    "to_record",
]

RECORD_VERSION = "1.0"

# Adapter action → CloudTrail eventName. A batch item is logged as GetSecretValue, as AWS logs
# one GetSecretValue per secret of a BatchGetSecretValue call.
EVENT_NAMES: dict[str, str] = {
    "get": "GetSecretValue",
    "get_many": "GetSecretValue",
    "put": "PutSecretValue",
    "put_version": "PutSecretValue",
    "move_stage": "UpdateSecretVersionStage",
    "delete": "DeleteSecret",
    "force_delete": "DeleteSecret",  # with forceDeleteWithoutRecovery, as CloudTrail logs it
    "restore": "RestoreSecret",
    "rotate": "RotateSecret",
    "configure_rotation": "TagResource",  # the rotation settings live in the secret's tags
    "describe": "DescribeSecret",
    "list": "ListSecrets",
}


# Rotation status → the names CloudTrail gives Secrets Manager's own rotation events.
ROTATION_EVENT_NAMES: dict[str, str] = {
    "started": "RotationStarted",
    "step_done": "RotationStepCompleted",
    "finished": "RotationSucceeded",
    "failed": "RotationFailed",
}


def event_name(action: str) -> str:
    """CloudTrail's name for an adapter action; unknown actions become CamelCase."""
    known = EVENT_NAMES.get(action)
    if known is not None:
        return known
    return "".join(part.capitalize() for part in action.split("_"))


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` and microseconds, sortable as text."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def to_record(event: AccessEvent, *, value_hmac: str | None = None) -> dict[str, Any]:
    """The record body (before chaining). Only names, ids and codes: the event holds no value."""
    parameters: dict[str, Any] = {"secretId": event.secret_name}
    if event.stage is not None:
        parameters["versionStage"] = event.stage
    if event.action == "get_many":
        parameters["batch"] = True
    elif event.action == "force_delete":
        parameters["forceDeleteWithoutRecovery"] = True
    elif event.action == "list":
        parameters["listPrefix"] = True  # secretId is the prefix listed, not one secret
    record: dict[str, Any] = {
        "eventVersion": RECORD_VERSION,
        "eventTime": format_time(event.time),
        "eventSource": event.provider,
        "eventName": event_name(event.action),
        "userIdentity": {"type": "Component", "principalId": event.principal},
        "requestParameters": parameters,
        "requestID": event.request_id,
        "outcome": event.outcome.value,
        "cache": event.cache.value if event.cache is not None else None,
        "versionId": event.version_id,
        "durationMs": round(event.duration_s * 1000, 3),
    }
    if event.error_code is not None:
        record["errorCode"] = event.error_code
        record["errorMessage"] = event.error_message
    if value_hmac is not None:
        record["valueHmac"] = value_hmac
    return record


def rotation_record(event: RotationEvent, *, principal: str, provider: str) -> dict[str, Any]:
    """A rotation step as a record body: who rotated what, which step, which version."""
    parameters: dict[str, Any] = {"secretId": event.secret_name}
    if event.step is not None:
        parameters["step"] = event.step
    if event.rotator is not None:
        parameters["rotator"] = event.rotator
    record: dict[str, Any] = {
        "eventVersion": RECORD_VERSION,
        "eventTime": format_time(event.time),
        "eventSource": provider,
        "eventName": ROTATION_EVENT_NAMES.get(event.status, event_name(event.status)),
        "userIdentity": {"type": "Component", "principalId": principal},
        "requestParameters": parameters,
        "requestID": str(uuid.uuid4()),
        "outcome": "error" if event.status == "failed" else "success",
        "cache": None,
        "versionId": event.version_id,
    }
    if event.error_code is not None:
        record["errorCode"] = event.error_code
        record["errorMessage"] = event.error_message
    return record
