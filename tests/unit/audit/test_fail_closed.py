"""Fault injection, in both modes: a sink that hangs or errors refuses reads within the bound
and the refused reads are recorded as refused; a log deleted underneath keeps its chain."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from secrets_adapter.audit import AuditTrail, JsonlFileSink, verify_log
from secrets_adapter.errors import AuditUnavailableError
from tests.unit.audit.events import access
from tests.unit.audit.faulty import MemorySink, wait_until

BOUND = timedelta(milliseconds=300)
MODES = ["durable", "buffered"]
# How late past the bound a refusal may come on this (loaded, 2-core) machine.
SLACK = 1.5


@pytest.fixture
def sink() -> Iterator[MemorySink]:
    memory = MemorySink()
    yield memory
    if memory.hang is not None:
        memory.hang.set()  # release the writer thread


def trail_for(sink: object, mode: str) -> AuditTrail:
    return AuditTrail(
        sink,  # type: ignore[arg-type]
        mode=mode,
        timeout=BOUND,
        flush_interval=timedelta(milliseconds=10),
        batch_size=10_000,
    )


def read_until_refused(trail: AuditTrail, first: int = 0) -> tuple[int, float]:
    """Record accesses until one is refused: (how many were accepted, seconds it took)."""
    started = time.monotonic()
    number = first
    while True:
        try:
            trail.record(access(number))
        except AuditUnavailableError:
            return number - first, time.monotonic() - started
        number += 1
        assert time.monotonic() - started < 30, "never refused"


@pytest.mark.parametrize("mode", MODES)
def test_a_hung_sink_refuses_reads_within_the_bound(sink: MemorySink, mode: str) -> None:
    sink.hang = threading.Event()
    trail = trail_for(sink, mode)
    accepted, waited = read_until_refused(trail)
    assert waited < BOUND.total_seconds() + SLACK
    if mode == "durable":
        assert accepted == 0  # the first record never got written: refused after the bound
    # once the sink has held a write past the bound (on a loaded machine the writer may only
    # now have reached it), every later access is refused at once, without waiting again
    deadline = time.monotonic() + 10
    while "has not finished a write" not in (trail.problem or "") and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(AuditUnavailableError, match="has not finished a write"):
        trail.record(access(10**6))
    assert time.monotonic() - started < BOUND.total_seconds()
    problem_before = trail.problem
    assert problem_before is not None
    sink.hang.set()
    assert trail.flush(timedelta(seconds=10))
    assert trail.problem is None  # recovered once the sink answered
    trail.close()
    refused = [r for r in sink.records if r.get("outcome", "success") == "error"]
    assert refused, "the refused reads left no record"
    assert {r["errorCode"] for r in refused} == {"AuditUnavailableError"}
    assert all("refused" in str(r["errorMessage"]) for r in refused)
    assert "req-1000000" in {r["requestID"] for r in refused}
    if mode == "durable":
        # record 0 was being written when its caller gave up: written as it was, then corrected
        outcomes = [r.get("outcome", "success") for r in sink.records if r["requestID"] == "req-0"]
        assert outcomes == ["success", "error"]
    else:
        served = [r["requestID"] for r in sink.records if r.get("outcome", "success") == "success"]
        assert len(served) == accepted  # each value served has its record, none was lost


@pytest.mark.parametrize("mode", MODES)
def test_an_erroring_sink_refuses_reads_and_records_the_refusals(
    sink: MemorySink, mode: str
) -> None:
    sink.failing = True
    trail = trail_for(sink, mode)
    accepted, waited = read_until_refused(trail)
    assert waited < BOUND.total_seconds() + SLACK
    with pytest.raises(AuditUnavailableError, match="failing"):
        trail.record(access(10**6))
    sink.failing = False
    assert trail.flush(timedelta(seconds=10))
    trail.record(access(2 * 10**6))  # accepted again once a write succeeded
    trail.close()
    by_id = {r["requestID"]: r for r in sink.records}
    assert by_id["req-1000000"]["outcome"] == "error"
    assert by_id["req-1000000"]["errorCode"] == "AuditUnavailableError"
    assert "outcome" not in by_id["req-2000000"]  # a success: left out, as in CloudTrail
    served = [r for r in sink.records if r.get("outcome", "success") == "success"]
    assert len(served) == accepted + 1  # what was served, and only that, is a success


def test_a_refused_write_is_not_recorded_as_refused(sink: MemorySink) -> None:
    """A write has happened when its record is refused: its record must not deny that."""
    sink.failing = True
    trail = trail_for(sink, "durable")
    with pytest.raises(AuditUnavailableError):
        trail.record(access(0, action="put", cache=None))
    sink.failing = False
    assert trail.flush(timedelta(seconds=10))
    trail.close()
    (record,) = sink.records
    assert (record["eventName"], record.get("outcome", "success")) == ("PutSecretValue", "success")


@pytest.mark.parametrize("mode", MODES)
def test_a_log_deleted_underneath_is_not_a_new_chain(tmp_path: Path, mode: str) -> None:
    log = tmp_path / "audit" / "access.jsonl"
    trail = trail_for(JsonlFileSink(log, fsync=False), mode)
    for number in range(3):
        trail.record(access(number))
    assert trail.flush()
    log.unlink()
    trail.record(access(3))
    trail.close()
    sequences = [json.loads(line)["sequence"] for line in log.read_text().splitlines()]
    assert sequences == [3]
    report = verify_log(log)
    assert not report.ok
    assert report.problem is not None
    assert "3 record(s) removed" in report.problem.reason


def test_a_refusal_is_never_waited_for_twice(sink: MemorySink) -> None:
    """Once the sink is known hung, buffered readers are refused at once, not after a wait."""
    sink.hang = threading.Event()
    trail = trail_for(sink, "buffered")
    trail.record(access(0))
    assert trail.flush(timedelta(milliseconds=1)) is False
    wait_until(lambda: trail.problem is not None)
    started = time.monotonic()
    for number in range(100):
        with pytest.raises(AuditUnavailableError):
            trail.record(access(number + 1))
    assert time.monotonic() - started < BOUND.total_seconds()
    sink.hang.set()
    trail.close()


@pytest.mark.parametrize("mode", MODES)
def test_an_adapter_over_a_hung_sink_stops_serving_within_the_bound(
    sink: MemorySink, mode: str
) -> None:
    """Through the adapter's read path (the short hand-over included), not the trail alone."""
    from secrets_adapter import SecretsAdapter
    from secrets_adapter.testing import InMemoryProvider

    sink.hang = threading.Event()
    trail = trail_for(sink, mode)
    adapter = SecretsAdapter(provider=InMemoryProvider({"app/db": "v"}), audit_log=trail)
    started = time.monotonic()
    served = 0
    with pytest.raises(AuditUnavailableError):
        while time.monotonic() - started < 30:
            adapter.get_secret_value("app/db")
            served += 1
            if mode == "buffered" and served == 1:
                trail.flush(timedelta(milliseconds=1))  # the writer takes it and hangs
    assert time.monotonic() - started < BOUND.total_seconds() + SLACK
    sink.hang.set()
    assert trail.flush(timedelta(seconds=10))
    adapter.close()
    outcomes = [r.get("outcome", "success") for r in sink.records if r["requestID"]]
    assert outcomes.count("success") >= served
    assert "error" in outcomes


def test_a_value_is_fingerprinted_once_per_value_object(
    sink: MemorySink, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secrets_adapter.audit import entries as trail_module
    from secrets_adapter.models import SecretValue

    calls: list[int] = []
    from secrets_adapter.audit.fingerprint import fingerprint as real

    def counting(key: bytes, value: bytes) -> str:
        calls.append(1)
        return real(key, value)

    monkeypatch.setattr(trail_module, "fingerprint", counting)
    trail = AuditTrail(sink, mode="buffered", fingerprint_key=b"k" * 32, timeout=BOUND)
    one, other = SecretValue("first-value"), SecretValue("first-value")
    for _ in range(50):
        trail.record(access(0), value=one)
    trail.record(access(1), value=other)  # equal, but another object: fingerprinted again
    trail.close()
    assert len(calls) == 2
    assert len({r["valueHmac"] for r in sink.records}) == 1


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_sink_is_retried_with_back_off_not_in_a_loop(sink: MemorySink, mode: str) -> None:
    attempts: list[int] = []
    failing_append = sink.append

    def counted(bodies: Sequence[Mapping[str, Any]]) -> None:
        attempts.append(len(bodies))
        failing_append(bodies)

    sink.append = counted  # type: ignore[method-assign]
    sink.failing = True
    trail = AuditTrail(
        sink, mode=mode, timeout=BOUND, flush_interval=timedelta(milliseconds=100), batch_size=1
    )
    for number in range(500):  # many refused reads queue their records: the writer must not spin
        with contextlib.suppress(AuditUnavailableError):
            trail.record(access(number))
    time.sleep(0.5)  # a span of wall time over which to count the retries
    assert len(attempts) <= 12  # about one attempt per 100 ms, not thousands
    sink.failing = False
    assert trail.flush(timedelta(seconds=10))
    trail.close()
    assert len(sink.records) == 500  # every read has its record, served or refused
