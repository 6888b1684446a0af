"""The JSON-lines file sink: one chain across rotations, threads and real processes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from secrets_adapter.audit import verify_log
from secrets_adapter.audit.chain import Checkpoint
from secrets_adapter.audit.logfiles import log_files, segments
from secrets_adapter.audit.records import to_record
from secrets_adapter.audit.sinks import JsonlFileSink, StreamSink
from secrets_adapter.errors import ConfigurationError, IntegrityError
from tests.unit.audit.events import T0, access


def _records(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for path in log_files(log) for line in path.read_text().splitlines()]


def test_appends_a_chain_to_a_private_file(tmp_path: Path) -> None:
    log = tmp_path / "audit" / "access.jsonl"
    sink = JsonlFileSink(log)
    sink.append([to_record(access(0)), to_record(access(1))])
    sink.append([to_record(access(2))])
    report = verify_log(log)
    assert report.ok
    assert report.head.count == 3
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_a_new_sink_continues_an_existing_chain(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    JsonlFileSink(log).append([to_record(access(0))])
    JsonlFileSink(log).append([to_record(access(1))])
    assert verify_log(log).head.count == 2


def test_rotation_continues_the_chain_across_files(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    sink = JsonlFileSink(log, max_bytes=1000)
    for number in range(12):
        sink.append([to_record(access(number))])
    assert len(segments(log)) >= 3
    assert [p.name for p in segments(log)][:2] == ["access.jsonl.1", "access.jsonl.2"]
    report = verify_log(log)
    assert report.ok, report.problem
    assert report.head.count == 12
    assert [r["sequence"] for r in _records(log)] == list(range(12))


def test_a_removed_segment_is_detected(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    sink = JsonlFileSink(log, max_bytes=1000)
    for number in range(12):
        sink.append([to_record(access(number))])
    segments(log)[1].unlink()
    report = verify_log(log)
    assert report.problem is not None
    assert "removed" in report.problem.reason


def test_rotation_after_the_active_file_was_rotated_elsewhere(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    sink = JsonlFileSink(log)
    sink.append([to_record(access(0))])
    log.rename(tmp_path / "access.jsonl.1")  # as another process rotating would leave it
    sink.append([to_record(access(1))])
    assert verify_log(log).head.count == 2


def test_an_incomplete_last_record_refuses_further_appends(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    JsonlFileSink(log).append([to_record(access(0))])
    with log.open("a") as handle:
        handle.write('{"cut short')
    with pytest.raises(IntegrityError, match="incomplete record"):
        JsonlFileSink(log).append([to_record(access(1))])


CHECKPOINT_KEY = b"checkpoint-key-kept-elsewhere-0123"


def test_writes_a_signed_checkpoint_when_asked(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    checkpoint_file = tmp_path / "elsewhere.checkpoint"
    sink = JsonlFileSink(
        log, checkpoint=checkpoint_file, checkpoint_key=CHECKPOINT_KEY, clock=lambda: T0
    )
    sink.append([to_record(access(n)) for n in range(3)])
    checkpoint = Checkpoint.from_json(checkpoint_file.read_text())
    assert checkpoint.count == 3
    assert checkpoint.head_hash == verify_log(log).head.hash
    assert checkpoint.time == "2026-11-29T12:00:00.000Z"
    assert checkpoint.signature_ok(CHECKPOINT_KEY)
    assert stat.S_IMODE(checkpoint_file.stat().st_mode) == 0o600
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:2]))
    report = verify_log(log, checkpoint=checkpoint, checkpoint_key=CHECKPOINT_KEY)
    assert report.problem is not None
    assert "truncated" in report.problem.reason


def test_truncation_with_a_forged_checkpoint_fails_verify(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    checkpoint_file = tmp_path / "elsewhere.checkpoint"
    sink = JsonlFileSink(log, checkpoint=checkpoint_file, checkpoint_key=CHECKPOINT_KEY)
    sink.append([to_record(access(n)) for n in range(3)])
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:2]))  # cut the last record off ...
    head = verify_log(log).head
    for forged in (  # ... and rewrite the checkpoint to match, without the key
        Checkpoint(count=head.count, head_hash=head.hash, time="t"),
        Checkpoint(count=head.count, head_hash=head.hash, time="t").signed(b"x" * 32),
    ):
        checkpoint_file.write_text(forged.to_json())
        seen = Checkpoint.from_json(checkpoint_file.read_text())
        report = verify_log(log, checkpoint=seen, checkpoint_key=CHECKPOINT_KEY)
        assert report.problem is not None
        assert "signature" in report.problem.reason
        with pytest.raises(IntegrityError, match="not signed"):  # nor does a new writer accept it
            JsonlFileSink(log, checkpoint=checkpoint_file, checkpoint_key=CHECKPOINT_KEY).append(
                [to_record(access(9))]
            )


def test_a_log_shorter_than_its_checkpoint_is_not_extended(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    checkpoint_file = tmp_path / "elsewhere.checkpoint"
    first = JsonlFileSink(log, checkpoint=checkpoint_file, checkpoint_key=CHECKPOINT_KEY)
    first.append([to_record(access(n)) for n in range(3)])
    log.unlink()  # deleted while no writer runs
    later = JsonlFileSink(log, checkpoint=checkpoint_file, checkpoint_key=CHECKPOINT_KEY)
    with pytest.raises(IntegrityError, match=r"has 0 record.* saw 3"):
        later.append([to_record(access(3))])
    assert not log.exists()


def test_a_checkpoint_without_a_key_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRETS_ADAPTER_AUDIT_CHECKPOINT_KEY", raising=False)
    monkeypatch.delenv("SECRETS_ADAPTER_AUDIT_CHECKPOINT_KEY_FILE", raising=False)
    with pytest.raises(ConfigurationError, match="SECRETS_ADAPTER_AUDIT_CHECKPOINT_KEY_FILE"):
        JsonlFileSink(tmp_path / "access.jsonl", checkpoint=tmp_path / "c")


def test_a_log_deleted_underneath_continues_its_chain(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "access.jsonl"
    sink = JsonlFileSink(log)
    sink.append([to_record(access(n)) for n in range(3)])
    log.unlink()
    sink.append([to_record(access(3))])
    assert [r["sequence"] for r in _records(log)] == [3]  # not a new chain at 0
    assert "lost records underneath" in caplog.text
    report = verify_log(log)
    assert report.problem is not None
    assert "3 record(s) removed" in report.problem.reason


def test_a_log_truncated_underneath_continues_its_chain(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    sink = JsonlFileSink(log)
    sink.append([to_record(access(n)) for n in range(3)])
    log.write_text("")  # logrotate's copytruncate, or an intruder
    sink.append([to_record(access(3))])
    assert [r["sequence"] for r in _records(log)] == [3]
    assert not verify_log(log).ok


def test_threads_appending_make_one_chain(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    sinks = [JsonlFileSink(log, fsync=False, max_bytes=20_000) for _ in range(2)]
    start = threading.Barrier(6)

    def append(worker: int) -> None:
        start.wait()
        for number in range(40):
            sinks[worker % 2].append([to_record(access(number, principal=f"t{worker}"))])

    threads = [threading.Thread(target=append, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = verify_log(log)
    assert report.ok, report.problem
    assert report.head.count == 240


_WORKER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from secrets_adapter.audit import AuditTrail, JsonlFileSink
    from secrets_adapter.events import AccessEvent, Outcome

    log, worker = sys.argv[1], sys.argv[2]
    trail = AuditTrail(JsonlFileSink(log, fsync=False, max_bytes=30_000), mode="durable")
    for number in range(60):
        trail.record(AccessEvent(
            time=datetime.now(UTC), action="get", secret_name=f"app/{worker}",
            provider="memory", principal=f"proc-{worker}", outcome=Outcome.SUCCESS,
            request_id=f"{worker}-{number}",
        ))
    trail.close()
    """
)


@pytest.mark.slow
def test_processes_appending_make_one_chain(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(log), str(worker)], env=env)
        for worker in range(4)
    ]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0, 0, 0]
    report = verify_log(log)
    assert report.ok, report.problem
    assert report.head.count == 240
    assert len(segments(log)) >= 1  # they rotated while racing
    principals = {r["userIdentity"]["principalId"] for r in _records(log)}  # type: ignore[index]
    assert principals == {f"proc-{worker}" for worker in range(4)}


def test_stream_sink_chains_in_memory() -> None:
    import io

    from secrets_adapter.audit.verification import verify_records

    stream = io.StringIO()
    sink = StreamSink(stream)
    sink.append([to_record(access(0))])
    sink.append([to_record(access(1)), to_record(access(2))])
    assert verify_records(stream.getvalue().splitlines(keepends=True)).head.count == 3


def test_syslog_sink_sends_chained_records_to_a_local_socket(tmp_path: Path) -> None:
    import socket

    from secrets_adapter.audit.sinks import SyslogSink
    from secrets_adapter.audit.verification import verify_records

    address = str(tmp_path / "log.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as daemon:
        daemon.bind(address)
        daemon.settimeout(5)
        sink = SyslogSink(address)
        sink.append([to_record(access(0)), to_record(access(1))])
        messages = [daemon.recv(65536).decode() for _ in range(2)]
        sink.close()
    assert all(m.startswith("<86>secrets-adapter: {") for m in messages)
    lines = [m.split(": ", 1)[1] for m in messages]
    assert verify_records(lines).head.count == 2


def test_syslog_sink_without_a_daemon_raises(tmp_path: Path) -> None:
    from secrets_adapter.audit.sinks import SyslogSink

    with pytest.raises(OSError):
        SyslogSink(str(tmp_path / "nobody-listens.sock")).append([to_record(access(0))])


def test_sink_for_names(tmp_path: Path) -> None:
    from secrets_adapter.audit import sink_for
    from secrets_adapter.audit.sinks import SyslogSink
    from secrets_adapter.errors import ConfigurationError

    assert isinstance(sink_for("-"), StreamSink)
    assert isinstance(sink_for("stdout"), StreamSink)
    assert isinstance(sink_for("syslog"), SyslogSink)
    assert isinstance(sink_for("syslog://127.0.0.1:514"), SyslogSink)
    assert isinstance(sink_for(tmp_path / "a.jsonl"), JsonlFileSink)
    with pytest.raises(ConfigurationError, match="syslog://host:port"):
        sink_for("syslog://nohost")
