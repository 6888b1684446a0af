"""Buffered audit records still queued when the process exits are written at exit (atexit)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from secrets_adapter.audit import verify_log

pytestmark = pytest.mark.slow

# The flush interval is an hour and the batch far larger than the reads: only the exit flushes.
CHILD = """
import sys
from datetime import timedelta
from secrets_adapter import SecretsAdapter
from secrets_adapter.audit import AuditTrail
from secrets_adapter.audit.sinks import JsonlFileSink
from secrets_adapter.testing import InMemoryProvider

trail = AuditTrail(
    JsonlFileSink(sys.argv[1]),
    mode="buffered",
    flush_interval=timedelta(hours=1),
    batch_size=10_000,
)
adapter = SecretsAdapter(provider=InMemoryProvider({"app/db": "v"}), audit_log=trail)
for _ in range(5):
    adapter.get_secret_value("app/db")
print("read", flush=True)
"""


def test_queued_records_are_written_when_the_process_exits(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(log)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "read"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["eventName"] for r in records] == ["GetSecretValue"] * 5
    assert verify_log(log).ok
