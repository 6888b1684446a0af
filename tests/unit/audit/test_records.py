"""Event → record: CloudTrail's field names, and nothing that could hold a value."""

from __future__ import annotations

import pytest

from secrets_adapter.audit.fingerprint import fingerprint, load_key
from secrets_adapter.audit.query import RecordFilter, parse_moment
from secrets_adapter.audit.records import event_name, to_record
from secrets_adapter.errors import ConfigurationError, ValidationError
from secrets_adapter.events import CacheResult, Outcome
from tests.unit.audit.events import T0, access


def test_record_uses_cloudtrail_field_names() -> None:
    record = to_record(access(3, cache=CacheResult.STALE))
    assert record["eventTime"] == "2026-11-29T12:00:03.000Z"
    assert record["eventSource"] == "memory"
    assert record["eventName"] == "GetSecretValue"
    assert record["userIdentity"] == {"principalId": "api"}
    assert record["requestParameters"] == {"secretId": "gaara/prod/db"}  # current: the default
    assert record["requestID"] == "req-3"
    assert record["cache"] == "stale"
    assert record["versionId"] == "v3"
    assert record.get("outcome", "success") == "success"
    assert "errorCode" not in record


def test_errors_and_denials_carry_code_and_message() -> None:
    record = to_record(access(outcome=Outcome.DENIED, error_code="PolicyDeniedError"))
    assert record.get("outcome", "success") == "denied"
    assert record["errorCode"] == "PolicyDeniedError"
    assert record["errorMessage"] == "refused"


def test_batch_items_are_marked() -> None:
    record = to_record(access(action="get_many"))
    assert record["eventName"] == "GetSecretValue"
    assert record["requestParameters"]["batch"] is True


@pytest.mark.parametrize(
    ("action", "name"),
    [
        ("put", "PutSecretValue"),
        ("delete", "DeleteSecret"),
        ("restore", "RestoreSecret"),
        ("rotate", "RotateSecret"),
        ("describe", "DescribeSecret"),
        ("list", "ListSecrets"),
        ("some_new_thing", "SomeNewThing"),
    ],
)
def test_event_names(action: str, name: str) -> None:
    assert event_name(action) == name


def test_value_fingerprint_is_keyed() -> None:
    key = b"k" * 32
    one = fingerprint(key, b"hunter2")
    assert one.startswith("hmac-sha256:")
    assert one == fingerprint(key, b"hunter2")
    assert one != fingerprint(b"j" * 32, b"hunter2")
    assert to_record(access(), value_hmac=one)["valueHmac"] == one


def test_fingerprint_key_sources() -> None:
    assert load_key(environ={}) is None
    assert load_key(environ={"SECRETS_ADAPTER_AUDIT_KEY": "x" * 20}) == b"x" * 20
    with pytest.raises(ConfigurationError, match="shorter"):
        load_key(environ={"SECRETS_ADAPTER_AUDIT_KEY": "short"})
    with pytest.raises(ConfigurationError, match="Cannot read"):
        load_key(environ={"SECRETS_ADAPTER_AUDIT_KEY_FILE": "/nonexistent/key"})


def test_query_filters() -> None:
    record = to_record(access(5, principal="worker", outcome=Outcome.DENIED, error_code="X"))
    assert RecordFilter().matches(record)
    assert RecordFilter(secret="gaara/prod/*", principal="work*").matches(record)
    assert not RecordFilter(secret="gaara/dev/*").matches(record)
    assert not RecordFilter(principal="api").matches(record)
    assert RecordFilter(event="GetSecretValue").matches(record)
    assert RecordFilter(event="get").matches(record)
    assert not RecordFilter(event="PutSecretValue").matches(record)
    assert RecordFilter(outcome="denied").matches(record)
    assert not RecordFilter(outcome="success").matches(record)
    later = parse_moment("2026-11-29T12:00:06Z", now=T0)
    assert not RecordFilter(since=later).matches(record)
    assert RecordFilter(until=later).matches(record)


def test_parse_moment() -> None:
    assert parse_moment("2h", now=T0) == T0.replace(hour=10)
    assert parse_moment("2026-11-29T12:00:00", now=T0) == T0
    with pytest.raises(ValidationError):
        parse_moment("yesterday", now=T0)


def test_rotation_records_use_cloudtrail_rotation_names() -> None:
    from secrets_adapter.audit.records import rotation_record
    from secrets_adapter.events import RotationEvent

    failed = RotationEvent(
        time=T0,
        secret_name="app/db",
        status="failed",
        step="test",
        version_id="tok",
        rotator="postgres",
        error_code="RotationError",
        error_message="the new password does not log in",
    )
    record = rotation_record(failed, principal="rotator", provider="aws")
    assert record["eventName"] == "RotationFailed"
    assert record.get("outcome", "success") == "error"
    parameters = {"secretId": "app/db", "step": "test", "rotator": "postgres"}
    assert record["requestParameters"] == parameters
    assert record["errorCode"] == "RotationError"
    assert record["versionId"] == "tok"
