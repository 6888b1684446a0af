"""The writer's fast formatter writes exactly the canonical JSON of ``access_record``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from secrets_adapter.audit.chain import PreparedRecord, canonical_json
from secrets_adapter.audit.lines import AccessLineFormatter
from secrets_adapter.audit.records import AccessFields, access_record
from secrets_adapter.events import CacheResult, Outcome

MOMENT = datetime(2026, 11, 29, 12, 0, 3, 456789, tzinfo=UTC)


def fields(**changes: object) -> AccessFields:
    base: dict[str, object] = {
        "time": MOMENT.timestamp(),
        "action": "get",
        "name": "gaara/prod/database-url",
        "provider": "local",
        "principal": "api",
        "outcome": Outcome.SUCCESS,
        "version": "3f2a9c1e-1111-2222-3333-444455556666",
        "stage": "current",
        "cache": CacheResult.HIT,
        "error_code": None,
        "error_message": None,
        "duration": 0.0123456,
        "request_id": "req-1",
    }
    base.update(changes)
    return tuple(base.values())  # type: ignore[return-value]


CASES = {
    "hit": fields(),
    "miss": fields(cache=CacheResult.MISS),
    "stale, another stage": fields(cache=CacheResult.STALE, stage="previous"),
    "no cache, no version": fields(cache=None, version=None, action="put"),
    "denied": fields(
        outcome=Outcome.DENIED,
        cache=None,
        version=None,
        error_code="PolicyDeniedError",
        error_message='The policy does not let "api" read \u00e9 \\ secret',
    ),
    "batch item": fields(action="get_many"),
    "listing": fields(action="list", name="gaara/prod", version=None, cache=None),
    "unknown action": fields(action="some_new_thing"),
    "odd name": fields(name='gaara/"quoted"\\name'),
    "datetime time": fields(time=MOMENT),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
@pytest.mark.parametrize("value_hmac", [None, "hmac-sha256:" + "ab" * 32])
def test_the_fast_line_is_the_canonical_json_of_the_record(
    case: str, value_hmac: str | None
) -> None:
    formatter = AccessLineFormatter()
    for _ in range(2):  # the second time from what it remembered
        prepared = formatter.format(CASES[case], value_hmac=value_hmac)
        text = f"{prepared.prefix}7{prepared.suffix}"
        expected = {**access_record(CASES[case], value_hmac=value_hmac), "sequence": 7}
        assert json.loads(text) == expected
        assert text == canonical_json(expected)
        assert dict(prepared) == access_record(CASES[case], value_hmac=value_hmac)


def test_request_ids_are_made_unique_when_none_is_given() -> None:
    formatter = AccessLineFormatter()
    made = [formatter.format(fields(request_id=None)) for _ in range(600)]
    ids = {record["requestID"] for record in made}
    assert len(ids) == 600
    assert all(len(str(i)) == 12 for i in ids)
    assert isinstance(made[0], PreparedRecord)


def test_event_time_is_utc_with_milliseconds() -> None:
    record = AccessLineFormatter().format(fields())
    assert record["eventTime"] == "2026-11-29T12:00:03.456Z"
