"""``get_secret_value``'s kept-text hot path with an audit log (access.served_text), on both faces:
every read still gets its record, the same record the full path writes; a failing or full trail
still refuses the read; and the refusal's traceback, locals included, holds no value."""

from __future__ import annotations

import asyncio
import json
import threading
import traceback
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import pytest

from secrets_adapter import AsyncSecretsAdapter, SecretsAdapter
from secrets_adapter.audit import AuditTrail
from secrets_adapter.errors import AuditUnavailableError
from secrets_adapter.testing import InMemoryProvider
from tests.unit.audit.faulty import MemorySink

NAME = "gaara/prod/stripe-api-key"
VALUE = "sk_live_kept_text_value_0123456789"
PER_READ = ("eventTime", "requestID")  # what differs between two records of the same hit


@pytest.fixture
def sink() -> Iterator[MemorySink]:
    memory = MemorySink()
    yield memory
    if memory.hang is not None:
        memory.hang.set()


def open_face(face: type[Any], trail: AuditTrail) -> Any:
    return face(provider=InMemoryProvider({NAME: VALUE}), audit_log=trail, cache_ttl=300)


def read(adapter: Any, name: str = NAME, *, typed: bool = False) -> str:
    """One read: ``get_secret_value`` (the hot path once kept), or ``get`` (the full path)."""
    call = adapter.get(name) if typed else adapter.get_secret_value(name)
    result: Any = asyncio.run(call) if isinstance(adapter, AsyncSecretsAdapter) else call
    return str(result.value.reveal()) if typed else str(result)


def close(adapter: Any) -> None:
    if isinstance(adapter, AsyncSecretsAdapter):
        asyncio.run(adapter.aclose())
    else:
        adapter.close()


def body(record: Mapping[str, Any]) -> dict[str, Any]:
    return {key: record[key] for key in record if key not in PER_READ}


FACES_AND_MODES = [
    (SecretsAdapter, "buffered"),
    (SecretsAdapter, "durable"),
    (AsyncSecretsAdapter, "buffered"),
    (AsyncSecretsAdapter, "durable"),
]


@pytest.mark.parametrize(("face", "mode"), FACES_AND_MODES)
def test_every_read_is_recorded_as_the_full_path_records_a_hit(
    sink: MemorySink, face: type[Any], mode: str
) -> None:
    trail = AuditTrail(
        sink,
        mode=mode,
        flush_interval=timedelta(hours=1),
        batch_size=10**6,
        fingerprint_key=b"test-fingerprint-key-0123456789",
    )
    adapter = face(
        provider=InMemoryProvider({NAME: VALUE}),
        audit_log=trail,
        cache_ttl=300,
        prefix="gaara/prod",
        principal="web",
    )
    relative = NAME.removeprefix("gaara/prod/")
    for number in range(1, 6):
        assert read(adapter, relative) == VALUE
        if mode == "durable":  # on disk before the value was returned, the hot path's too
            assert len(sink.records) == number
    assert read(adapter, relative, typed=True) == VALUE  # `get`: the full path, a cache hit
    assert trail.flush(timedelta(seconds=10))
    records = sink.records
    assert len(records) == 6
    assert [r["cache"] for r in records] == ["miss"] + ["hit"] * 5
    full_path_hit = body(records[-1])
    assert full_path_hit["requestParameters"] == {"secretId": NAME}
    assert full_path_hit["userIdentity"] == {"principalId": "web"}
    assert full_path_hit["valueHmac"] == records[0]["valueHmac"]  # the value's fingerprint
    assert all(body(r) == full_path_hit for r in records[1:5])
    assert len({r["requestID"] for r in records}) == 6
    assert VALUE not in json.dumps([dict(r) for r in records])
    close(adapter)


@pytest.mark.parametrize("face", [SecretsAdapter, AsyncSecretsAdapter])
def test_a_kept_read_is_refused_once_the_sink_fails_and_leaks_nothing(
    sink: MemorySink, face: type[Any]
) -> None:
    # a failed write is retried every flush_interval
    trail = AuditTrail(sink, mode="buffered", flush_interval=timedelta(milliseconds=50))
    adapter = open_face(face, trail)
    assert read(adapter) == VALUE
    assert read(adapter) == VALUE  # kept: the next reads take the hot path
    assert trail.flush(timedelta(seconds=10))
    sink.failing = True
    assert read(adapter) == VALUE  # queued before anyone knows the sink fails
    assert not trail.flush(timedelta(milliseconds=300))  # the write fails
    with pytest.raises(AuditUnavailableError) as refused:
        read(adapter)
    frames = "".join(
        traceback.TracebackException.from_exception(refused.value, capture_locals=True).format()
    )
    assert NAME in frames  # the locals were captured ...
    assert VALUE not in frames  # ... and none of them shows the value
    sink.failing = False
    assert trail.flush(timedelta(seconds=10))
    outcomes = [r.get("outcome", "success") for r in sink.records]
    assert outcomes.count("error") == 1  # the refused read is recorded as refused
    close(adapter)


def test_a_full_queue_with_a_hung_writer_refuses_kept_reads(sink: MemorySink) -> None:
    trail = AuditTrail(
        sink,
        mode="buffered",
        timeout=timedelta(milliseconds=200),
        flush_interval=timedelta(hours=1),
        batch_size=10**6,
        max_pending=50,
    )
    adapter = open_face(SecretsAdapter, trail)
    sink.hang = threading.Event()
    read(adapter)
    trail.flush(timedelta(milliseconds=1))  # the writer takes the first record and hangs
    assert sink.entered.wait(10)
    with pytest.raises(AuditUnavailableError, match=r"has not finished a write|queue stayed full"):
        for _ in range(1000):
            read(adapter)
    sink.hang.set()
    assert trail.flush(timedelta(seconds=10))
    close(adapter)


def test_a_kept_read_that_races_close_is_refused_not_served_unrecorded(sink: MemorySink) -> None:
    """A reader that saw the trail open, then queued its record after ``close()`` wrote the
    last of the queue: that record would never be written, so the read is refused. The
    interleaving is staged by giving the reader the open trail's state it saw."""
    trail = AuditTrail(sink, mode="buffered", flush_interval=timedelta(hours=1))
    adapter = open_face(SecretsAdapter, trail)
    assert read(adapter) == VALUE
    assert read(adapter) == VALUE  # kept, and the trail's writer is running
    trail.close()
    assert len(sink.records) == 2  # close() wrote everything queued
    trail._fast = True  # what the racing reader read before close() began
    with pytest.raises(AuditUnavailableError, match="closed"):
        read(adapter)
    assert not trail._queue  # its record was taken back: nothing left half-recorded
