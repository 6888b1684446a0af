"""An ``AccessEvent`` as an audit record with CloudTrail's field names. Pure; never a value.

CloudTrail names were kept so that people who already query CloudTrail (or ship it to a SIEM)
read this log the same way; the additions are ``cache``, ``versionId``, ``outcome`` (``error`` or
``denied``; left out on success, as CloudTrail marks a failure only by its ``errorCode``) and
``valueHmac`` (a keyed fingerprint of the value, see ``fingerprint.py``).
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from typing import Any

from secrets_adapter.events import AccessEvent, CacheResult, Outcome, RotationEvent

__all__ = [
    "EVENT_NAMES",
    "AccessFields",
    "DEFAULT_STAGE",
    "HitFields",
    "RECORD_VERSION",
    "REQUEST_ID_BYTES",
    "ROTATION_EVENT_NAMES",
    "access_record",
    "event_name",
    "fields_of_event",
    "format_time",
    "new_request_id",
    "rotation_record",
    "to_record",
]

# 1.1: compact records, hash over the line (chain.py); 1.2: ``outcome`` only when not a success
RECORD_VERSION = "1.2"
DEFAULT_STAGE = "current"

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
    """ISO 8601 in UTC with a ``Z`` and milliseconds, sortable as text."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


REQUEST_ID_BYTES = 9  # 72 random bits: 12 base64url characters


def new_request_id() -> str:
    """A random request id: 72 bits as 12 base64url characters (unique, not a secret)."""
    return base64.urlsafe_b64encode(os.urandom(REQUEST_ID_BYTES)).decode("ascii")


# What the read path hands the writer, in this order: time (epoch seconds or a datetime),
# action, secret name, provider, principal, outcome, version id, stage, cache result,
# error code, error message, duration in seconds, request id (None: made on the writer).
AccessFields = tuple[
    float | datetime,
    str,
    str,
    str,
    str,
    Outcome,
    str | None,
    str | None,
    CacheResult | None,
    str | None,
    str | None,
    float,
    str | None,
]

# A cache hit's fields after the time, made once per served value (``access.served_text``):
# no error code or message, no request id; its duration is not written.
HitFields = tuple[
    str, str, str, str, Outcome, str | None, str | None, CacheResult | None, None, None, float, None
]


def fields_of_event(event: AccessEvent) -> AccessFields:
    return (
        event.time,
        event.action,
        event.secret_name,
        event.provider,
        event.principal,
        event.outcome,
        event.version_id,
        event.stage,
        event.cache,
        event.error_code,
        event.error_message,
        event.duration_s,
        event.request_id,
    )


def _format_epoch(seconds: float) -> str:
    return format_time(datetime.fromtimestamp(seconds, UTC))


def access_record(fields: AccessFields, *, value_hmac: str | None = None) -> dict[str, Any]:
    """The record body (before chaining). Only names, ids and codes, never a value.

    Compact by omission: ``versionStage`` only when not the default ``current`` (as CloudTrail
    logs it only when asked), ``cache``, ``versionId``, ``errorCode``/``errorMessage`` and
    ``valueHmac`` only when they have a value, ``durationMs`` only when the backend was asked
    (not for a cache hit, which takes microseconds).
    """
    (moment, action, name, provider, principal, outcome, version_id, stage, cache) = fields[:9]
    error_code, error_message, duration_s, request_id = fields[9:]
    parameters: dict[str, Any] = {"secretId": name}
    if stage is not None and stage != DEFAULT_STAGE:
        parameters["versionStage"] = stage
    if action == "get_many":
        parameters["batch"] = True
    elif action == "force_delete":
        parameters["forceDeleteWithoutRecovery"] = True
    elif action == "list":
        parameters["listPrefix"] = True  # secretId is the prefix listed, not one secret
    record: dict[str, Any] = {
        "eventVersion": RECORD_VERSION,
        "eventTime": (
            format_time(moment) if isinstance(moment, datetime) else _format_epoch(moment)
        ),
        "eventSource": provider,
        "eventName": EVENT_NAMES.get(action) or event_name(action),
        "userIdentity": {"principalId": principal},
        "requestParameters": parameters,
        "requestID": request_id if request_id is not None else new_request_id(),
    }
    if outcome != Outcome.SUCCESS:  # as in CloudTrail, a record without an error succeeded
        record["outcome"] = outcome.value
    if cache is not None:
        record["cache"] = cache.value
    if version_id is not None:
        record["versionId"] = version_id
    if cache is not CacheResult.HIT:
        record["durationMs"] = round(duration_s * 1000, 3)
    if error_code is not None:
        record["errorCode"] = error_code
        record["errorMessage"] = error_message
    if value_hmac is not None:
        record["valueHmac"] = value_hmac
    return record


def to_record(event: AccessEvent, *, value_hmac: str | None = None) -> dict[str, Any]:
    """The record body of ``event`` (before chaining)."""
    return access_record(fields_of_event(event), value_hmac=value_hmac)


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
        "userIdentity": {"principalId": principal},
        "requestParameters": parameters,
        "requestID": new_request_id(),
    }
    if event.status == "failed":
        record["outcome"] = Outcome.ERROR.value
    if event.version_id is not None:
        record["versionId"] = event.version_id
    if event.error_code is not None:
        record["errorCode"] = event.error_code
        record["errorMessage"] = event.error_message
    return record
