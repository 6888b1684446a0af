"""The recorder: durable and buffered writing, and refusing when the sink fails or hangs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from secrets_adapter.audit import AuditTrail, JsonlFileSink, verify_log
from secrets_adapter.errors import AuditUnavailableError, ConfigurationError
from secrets_adapter.models import SecretValue
from tests.unit.audit.events import access
from tests.unit.audit.faulty import MemorySink, wait_until

SHORT = timedelta(milliseconds=50)
LONG = timedelta(seconds=5)


@pytest.fixture
def sink() -> Iterator[MemorySink]:
    memory = MemorySink()
    yield memory
    if memory.hang is not None:
        memory.hang.set()  # release the writer thread


def test_durable_record_is_written_before_record_returns(sink: MemorySink) -> None:
    trail = AuditTrail(sink, mode="durable", timeout=LONG)
    trail.record(access(0))
    assert [r["requestID"] for r in sink.records] == ["req-0"]
    trail.close()
    assert sink.closed


def test_durable_mode_refuses_when_the_sink_raises(sink: MemorySink) -> None:
    sink.failing = True
    trail = AuditTrail(sink, mode="durable", timeout=LONG)
    with pytest.raises(AuditUnavailableError, match="OSError") as caught:
        trail.record(access(0))
    assert isinstance(caught.value.__cause__, OSError)
    sink.failing = False
    assert trail.flush(LONG)  # the writer retries the refused read's record
    trail.record(access(1))  # and accepts accesses again once a write succeeded
    first, second = sink.records
    assert (first["requestID"], first["outcome"], first["errorCode"]) == (
        "req-0",
        "error",
        "AuditUnavailableError",
    )
    assert "refused" in str(first["errorMessage"])
    assert (second["requestID"], second.get("outcome")) == ("req-1", None)  # a success
    trail.close()


def test_durable_mode_times_out_on_a_hanging_sink(sink: MemorySink) -> None:
    sink.hang = threading.Event()
    trail = AuditTrail(sink, mode="durable", timeout=SHORT)
    with pytest.raises(AuditUnavailableError, match="within"):
        trail.record(access(0))
    assert sink.entered.is_set()
    sink.hang.set()
    trail.close()


def test_buffered_mode_returns_before_writing_and_flushes(sink: MemorySink) -> None:
    trail = AuditTrail(sink, mode="buffered", flush_interval=timedelta(seconds=60), timeout=LONG)
    for number in range(3):
        trail.record(access(number))
    assert sink.records == []  # still queued: the interval is long
    assert trail.flush()
    assert [r["requestID"] for r in sink.records] == ["req-0", "req-1", "req-2"]
    assert len(sink.batches) == 1  # one batch, one write
    trail.close()


def test_buffered_mode_flushes_when_a_batch_is_full(sink: MemorySink) -> None:
    trail = AuditTrail(
        sink, mode="buffered", batch_size=4, flush_interval=timedelta(seconds=60), timeout=LONG
    )
    for number in range(4):
        trail.record(access(number))
    assert trail.flush(LONG)
    assert len(sink.batches) == 1
    trail.close()


def test_buffered_records_are_written_at_close(sink: MemorySink) -> None:
    trail = AuditTrail(sink, mode="buffered", flush_interval=timedelta(seconds=60), timeout=LONG)
    trail.record(access(0))
    trail.close()
    assert [r["requestID"] for r in sink.records] == ["req-0"]
    with pytest.raises(AuditUnavailableError, match="closed"):
        trail.record(access(1))


def test_buffered_failure_keeps_the_records_and_refuses_new_ones(sink: MemorySink) -> None:
    trail = AuditTrail(sink, mode="buffered", flush_interval=SHORT, timeout=LONG)
    sink.failing = True
    trail.record(access(0))  # queued: accepted
    wait_until(lambda: trail.problem is not None)  # the write failed
    with pytest.raises(AuditUnavailableError, match="failing"):
        trail.record(access(1))
    sink.failing = False
    closer = threading.Thread(target=trail.close)
    closer.start()
    closer.join(LONG.total_seconds())
    assert not closer.is_alive()
    outcomes = [(r["requestID"], r.get("outcome", "success")) for r in sink.records]
    assert outcomes == [("req-0", "success"), ("req-1", "error")]  # retried, not lost


def test_buffered_mode_refuses_when_the_queue_stays_full(sink: MemorySink) -> None:
    sink.hang = threading.Event()
    trail = AuditTrail(sink, mode="buffered", max_pending=2, batch_size=1, timeout=SHORT)
    trail.record(access(0))
    assert sink.entered.wait(LONG.total_seconds())  # the writer is stuck on record 0
    trail.record(access(1))
    trail.record(access(2))
    with pytest.raises(AuditUnavailableError, match="queue stayed full"):
        trail.record(access(3))
    sink.hang.set()
    trail.close()


def test_fail_open_logs_and_lets_the_access_through(
    sink: MemorySink, caplog: pytest.LogCaptureFixture
) -> None:
    sink.failing = True
    trail = AuditTrail(sink, mode="durable", fail_open=True, timeout=LONG)
    trail.record(access(0))  # no exception
    assert "fail-open" in caplog.text
    trail.close()


def test_value_is_recorded_only_as_its_keyed_hmac(sink: MemorySink) -> None:
    trail = AuditTrail(sink, mode="durable", fingerprint_key=b"k" * 32, timeout=LONG)
    trail.record(access(0), value=SecretValue("hunter2-value"))
    trail.record(access(1))
    first, second = sink.records
    assert str(first["valueHmac"]).startswith("hmac-sha256:")
    assert "valueHmac" not in second
    assert "hunter2" not in repr(sink.records)
    trail.close()


def test_unknown_mode_is_a_configuration_error(sink: MemorySink) -> None:
    with pytest.raises(ConfigurationError, match="durable"):
        AuditTrail(sink, mode="eventually")


def test_concurrent_durable_callers_share_writes(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    trail = AuditTrail(JsonlFileSink(log, fsync=False), mode="durable", timeout=LONG)

    def read(worker: int) -> None:
        for number in range(25):
            trail.record(access(number, principal=f"w{worker}"))

    threads = [threading.Thread(target=read, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    trail.close()
    report = verify_log(log)
    assert report.ok
    assert report.head.count == 100


@pytest.mark.slow
def test_a_forked_child_gets_its_own_writer(tmp_path: Path) -> None:
    import os

    log = tmp_path / "access.jsonl"
    trail = AuditTrail(JsonlFileSink(log, fsync=False), mode="durable", timeout=LONG)
    trail.record(access(0))  # the parent's writer thread is running
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        status = 1
        try:
            trail.record(access(1, principal="child"))
            trail.close()
            status = 0
        finally:
            os._exit(status)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    trail.record(access(2))
    trail.close()
    report = verify_log(log)
    assert report.ok, report.problem
    assert report.head.count == 3
