"""``secrets-adapter audit``: verify (exit 4 on tampering), checkpoint, query, hash."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from secrets_adapter.audit.records import to_record
from secrets_adapter.audit.sinks import JsonlFileSink
from secrets_adapter.cli.main import main
from secrets_adapter.events import Outcome
from tests.unit.audit.events import access


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "access.jsonl"
    sink = JsonlFileSink(path, fsync=False, max_bytes=2000)
    sink.append([to_record(access(0, principal="api", secret="app/db"))])
    sink.append([to_record(access(1, principal="worker", secret="app/queue"))])
    sink.append(
        [
            to_record(
                access(
                    2,
                    principal="worker",
                    secret="app/db",
                    outcome=Outcome.DENIED,
                    error_code="PolicyDeniedError",
                )
            )
        ]
    )
    sink.append([to_record(access(3, action="put", principal="api", secret="app/db"))])
    sink.append([to_record(access(4, principal="api", secret="app/db"))])
    return path


def test_verify_a_good_log(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", str(log)]) == 0
    assert "audit log OK: 5 records" in capsys.readouterr().out


def test_verify_reports_an_edited_byte_with_exit_4(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = log.read_text()
    log.write_text(text.replace('"principalId":"api"', '"principalId":"apj"', 1))
    assert main(["audit", "verify", str(log)]) == 4
    err = capsys.readouterr().err
    assert "BROKEN at record" in err
    assert "edited" in err


def test_verify_reports_a_missing_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", str(tmp_path / "none.jsonl")]) == 2
    assert "give the file SECRETS_ADAPTER_AUDIT_LOG names" in capsys.readouterr().err


@pytest.fixture
def checkpoint_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = "checkpoint-key-0123456789abcdef"
    monkeypatch.setenv("SECRETS_ADAPTER_AUDIT_CHECKPOINT_KEY", key)
    return key


@pytest.mark.usefixtures("checkpoint_key")
def test_checkpoint_then_truncation_is_exit_4(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = tmp_path / "offsite" / "audit.checkpoint"
    checkpoint.parent.mkdir()
    assert main(["audit", "checkpoint", str(log), str(checkpoint)]) == 0
    assert main(["audit", "verify", str(log), "--checkpoint", str(checkpoint)]) == 0
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:-1]))
    capsys.readouterr()
    assert main(["audit", "verify", str(log), "--checkpoint", str(checkpoint)]) == 4
    assert "truncated" in capsys.readouterr().err


@pytest.mark.usefixtures("checkpoint_key")
def test_truncation_plus_a_forged_checkpoint_is_exit_4(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from secrets_adapter.audit import Checkpoint, verify_log

    checkpoint = tmp_path / "audit.checkpoint"
    assert main(["audit", "checkpoint", str(log), str(checkpoint)]) == 0
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:-1]))
    head = verify_log(log).head  # what an intruder without the key can compute
    checkpoint.write_text(Checkpoint(count=head.count, head_hash=head.hash, time="t").to_json())
    capsys.readouterr()
    assert main(["audit", "verify", str(log), "--checkpoint", str(checkpoint)]) == 4
    assert "signature" in capsys.readouterr().err


def test_checkpoints_need_the_checkpoint_key(
    log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SECRETS_ADAPTER_AUDIT_CHECKPOINT_KEY", raising=False)
    monkeypatch.delenv("SECRETS_ADAPTER_AUDIT_CHECKPOINT_KEY_FILE", raising=False)
    assert main(["audit", "checkpoint", str(log), str(tmp_path / "c")]) == 3
    assert "SECRETS_ADAPTER_AUDIT_CHECKPOINT_KEY_FILE" in capsys.readouterr().err
    key_file = tmp_path / "key"
    key_file.write_text("k" * 32)
    key_file.chmod(0o644)
    assert (
        main(
            [
                "audit",
                "checkpoint",
                str(log),
                str(tmp_path / "c"),
                "--checkpoint-key-file",
                str(key_file),
            ]
        )
        == 3
    )
    assert "chmod 600" in capsys.readouterr().err
    key_file.chmod(0o600)
    assert (
        main(
            [
                "audit",
                "checkpoint",
                str(log),
                str(tmp_path / "c"),
                "--checkpoint-key-file",
                str(key_file),
            ]
        )
        == 0
    )


@pytest.mark.usefixtures("checkpoint_key")
def test_a_bad_checkpoint_file_is_a_configuration_error(log: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus"
    bogus.write_text("{}")
    assert main(["audit", "verify", str(log), "--checkpoint", str(bogus)]) == 3


def test_query_filters(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "query", str(log), "--principal", "worker"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert all("worker" in line for line in lines)

    assert main(["audit", "query", str(log), "--outcome", "denied", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["errorCode"] for r in records] == ["PolicyDeniedError"]

    assert main(["audit", "query", str(log), "--event", "PutSecretValue", "--json"]) == 0
    assert [json.loads(x)["sequence"] for x in capsys.readouterr().out.splitlines()] == [3]

    assert main(["audit", "query", str(log), "--secret", "app/d*", "--event", "get"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3

    since = ["--since", "2026-11-29T12:00:03Z", "--json"]
    assert main(["audit", "query", str(log), *since]) == 0
    assert [json.loads(x)["sequence"] for x in capsys.readouterr().out.splitlines()] == [3, 4]

    assert main(["audit", "query", str(log), "--since", "yesterday"]) == 2


def test_hash_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETS_ADAPTER_AUDIT_KEY", raising=False)
    monkeypatch.delenv("SECRETS_ADAPTER_AUDIT_KEY_FILE", raising=False)
    monkeypatch.setattr("sys.stdin", _Stdin(b"value\n"))
    assert main(["audit", "hash"]) == 3


def test_hash_from_a_key_file_strips_one_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "key"
    key.write_text("0123456789abcdef0123")
    monkeypatch.setattr("sys.stdin", _Stdin(b"value\n"))
    assert main(["audit", "hash", "--key-file", str(key)]) == 0
    stripped = capsys.readouterr().out.strip()
    monkeypatch.setattr("sys.stdin", _Stdin(b"value\n"))
    assert main(["audit", "hash", "--key-file", str(key), "--keep-newline"]) == 0
    kept = capsys.readouterr().out.strip()
    assert stripped.startswith("hmac-sha256:")
    assert stripped != kept
    assert "value" not in stripped


def test_query_reads_a_success_with_or_without_an_outcome(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Records of version 1.2 leave ``outcome`` out on success; 1.1 wrote it. Both are successes."""
    older = {**to_record(access(5, principal="api", secret="app/db")), "eventVersion": "1.1"}
    older["outcome"] = "success"
    JsonlFileSink(log, fsync=False, max_bytes=2000).append([older])
    assert main(["audit", "query", str(log), "--outcome", "success", "--json"]) == 0
    found = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["sequence"] for r in found] == [0, 1, 3, 4, 5]
    assert [r.get("outcome") for r in found] == [None, None, None, None, "success"]
    assert main(["audit", "query", str(log), "--principal", "api"]) == 0
    assert all(" success " in line for line in capsys.readouterr().out.splitlines())
