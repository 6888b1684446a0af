"""SecretsAdapter with an audit log and a policy: every access recorded, every access checked."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from secrets_adapter import (
    PolicyDeniedError,
    SecretNotFoundError,
    SecretsAdapter,
)
from secrets_adapter.audit import AuditTrail, fingerprint, verify_log
from secrets_adapter.cache import SecretCache
from secrets_adapter.cli.main import main
from secrets_adapter.config import AuditSettings, Settings, load_settings
from secrets_adapter.errors import AuditUnavailableError, ConfigurationError
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL

POLICY = """
[[statement]]
effect = "allow"
principals = ["api"]
actions = ["read", "list", "write"]
secrets = ["app/*"]

[[statement]]
effect = "deny"
principals = ["*"]
actions = ["*"]
secrets = ["app/admin/*"]

[[statement]]
effect = "allow"
principals = ["rotator"]
actions = ["rotate"]
secrets = ["app/*"]
"""

LONG = timedelta(seconds=5)


def _records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.fixture
def provider() -> InMemoryProvider:
    memory = InMemoryProvider(
        {
            "app/db": SENTINEL,
            "app/api-key": "k-1",
            "app/admin/root": SENTINEL,
            "other/thing": "x",
        }
    )
    memory.set_tags("app/api-key", {"secrets-adapter:rotator": "random"})  # rotation is opt-in
    return memory


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return path


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "access.jsonl"


def _adapter(
    provider: Any, log: Path, policy_file: Path | None = None, *, principal: str = "api"
) -> SecretsAdapter:
    return SecretsAdapter(provider=provider, principal=principal, audit_log=log, policy=policy_file)


# --- audit ---------------------------------------------------------------------------------


def test_every_read_is_recorded_with_cloudtrail_fields(
    provider: InMemoryProvider, log: Path
) -> None:
    with _adapter(provider, log) as adapter:
        assert adapter.get_secret_value("app/db") == SENTINEL
        adapter.get_many(["app/db", "app/api-key"])
        with pytest.raises(SecretNotFoundError):
            adapter.get("app/missing")
        adapter.put_secret("app/new", "fresh-value")
    records = _records(log)
    assert [r["eventName"] for r in records] == [
        "GetSecretValue",
        "GetSecretValue",
        "GetSecretValue",
        "GetSecretValue",
        "PutSecretValue",
    ]
    first = records[0]
    assert first["userIdentity"]["principalId"] == "api"
    assert first["eventSource"] == "memory"
    assert first["requestParameters"] == {"secretId": "app/db"}  # current: the default stage
    assert first["versionId"] == provider.describe("app/db").current_version
    assert "outcome" not in first  # a success: CloudTrail marks only failures (errorCode)
    assert records[1]["requestParameters"]["batch"] is True
    assert records[3]["outcome"] == "error"
    assert records[3]["errorCode"] == "SecretNotFoundError"
    assert len({r["requestID"] for r in records}) == 5
    assert verify_log(log).ok


def test_the_sentinel_never_reaches_the_log_but_its_hmac_does(
    provider: InMemoryProvider,
    log: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key_file = tmp_path / "audit.key"
    key_file.write_text("an-audit-fingerprint-key-kept-elsewhere\n")
    monkeypatch.setenv("SECRETS_ADAPTER_AUDIT_KEY_FILE", str(key_file))
    with _adapter(provider, log) as adapter:
        adapter.get("app/db")
        adapter.put_secret("app/db2", SENTINEL)
        with pytest.raises(SecretNotFoundError):
            adapter.get("app/nope")
    text = log.read_text()
    assert SENTINEL not in text
    leaked = fingerprint(b"an-audit-fingerprint-key-kept-elsewhere", SENTINEL.encode())
    assert [r.get("valueHmac") for r in _records(log)] == [leaked, leaked, None]

    monkeypatch.setattr("sys.stdin", _Stdin(SENTINEL.encode() + b"\n"))
    assert main(["audit", "hash"]) == 0
    assert capsys.readouterr().out.strip() == leaked


class _Stdin:
    def __init__(self, data: bytes) -> None:
        import io

        self.buffer = io.BytesIO(data)


def test_buffered_mode_writes_at_close(provider: InMemoryProvider, log: Path) -> None:
    adapter = SecretsAdapter(
        provider=provider, principal="api", audit_log=log, audit_mode="buffered"
    )
    adapter.get("app/db")
    adapter.close()
    assert [r["eventName"] for r in _records(log)] == ["GetSecretValue"]


class _BrokenSink:
    def __init__(self) -> None:
        self.hang: threading.Event | None = None

    def append(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        if self.hang is not None:
            self.hang.wait()
            return
        raise OSError("disk full")

    def close(self) -> None:
        """Nothing held."""


@pytest.fixture
def broken_sink() -> Iterator[_BrokenSink]:
    sink = _BrokenSink()
    yield sink
    if sink.hang is not None:
        sink.hang.set()


def test_a_read_that_cannot_be_recorded_is_refused(
    provider: InMemoryProvider, broken_sink: _BrokenSink
) -> None:
    adapter = SecretsAdapter(
        provider=provider, audit_log=AuditTrail(broken_sink, mode="durable", timeout=LONG)
    )
    with pytest.raises(AuditUnavailableError, match="refused") as caught:
        adapter.get_secret_value("app/db")
    assert SENTINEL not in str(caught.value)
    with pytest.raises(AuditUnavailableError):
        adapter.get_many(["app/db"])
    adapter.close()


def test_a_hanging_sink_times_out_and_refuses(
    provider: InMemoryProvider, broken_sink: _BrokenSink
) -> None:
    broken_sink.hang = threading.Event()
    trail = AuditTrail(broken_sink, mode="durable", timeout=timedelta(milliseconds=50))
    adapter = SecretsAdapter(provider=provider, audit_log=trail)
    with pytest.raises(AuditUnavailableError, match="within"):
        adapter.get_secret_value("app/db")
    adapter.close()


def test_buffered_mode_refuses_once_the_sink_is_known_broken(
    provider: InMemoryProvider, broken_sink: _BrokenSink
) -> None:
    trail = AuditTrail(broken_sink, mode="buffered", timeout=LONG)
    adapter = SecretsAdapter(provider=provider, audit_log=trail)
    adapter.get("app/db")  # queued, so served
    assert not trail.flush(LONG)
    with pytest.raises(AuditUnavailableError, match="failing"):
        adapter.get("app/db")
    adapter.close()


def test_fail_open_is_refused_in_production(provider: InMemoryProvider, log: Path) -> None:
    settings = replace(
        Settings(), environment="production", audit=AuditSettings(log=log, fail_open=True)
    )
    with pytest.raises(ConfigurationError, match="fail-open"):
        SecretsAdapter(provider=provider, settings=settings)


def test_fail_open_in_development_serves_the_read(
    provider: InMemoryProvider, broken_sink: _BrokenSink
) -> None:
    trail = AuditTrail(broken_sink, mode="durable", fail_open=True, timeout=LONG)
    adapter = SecretsAdapter(provider=provider, audit_log=trail)
    assert adapter.get_secret_value("app/db") == SENTINEL
    adapter.close()


# --- policy --------------------------------------------------------------------------------


def test_allowed_reads_pass_and_denied_reads_never_reach_the_backend(
    provider: InMemoryProvider, log: Path, policy_file: Path
) -> None:
    adapter = _adapter(provider, log, policy_file)
    assert adapter.get_secret_value("app/db") == SENTINEL
    before = dict(provider.calls)
    with pytest.raises(PolicyDeniedError, match="does not let 'api' read") as caught:
        adapter.get("app/admin/root")
    assert caught.value.principal == "api"
    assert caught.value.action == "read"
    with pytest.raises(PolicyDeniedError, match="no statement allows it"):
        adapter.get("other/thing")
    with pytest.raises(PolicyDeniedError):
        adapter.get("app/../admin/root")
    assert provider.calls == before
    records = _records(log)
    assert [r.get("outcome", "success") for r in records] == [
        "success",
        "denied",
        "denied",
        "denied",
    ]
    assert records[1]["errorCode"] == "PolicyDeniedError"
    assert SENTINEL not in log.read_text()


def test_cache_hits_are_recorded(provider: InMemoryProvider, log: Path) -> None:
    with _adapter(provider, log) as adapter:
        adapter.get("app/db")
        adapter.get("app/db")
    assert provider.calls["get"] == 1
    assert [r["cache"] for r in _records(log)] == ["miss", "hit"]


def test_policy_applies_to_cache_hits_too(
    provider: InMemoryProvider, log: Path, policy_file: Path
) -> None:
    shared = SecretCache(provider)  # one warm cache in front of both principals
    api = SecretsAdapter(
        provider=shared, principal="api", audit_log=log, policy=policy_file, cache=False
    )
    worker = SecretsAdapter(
        provider=shared, principal="worker", audit_log=log, policy=policy_file, cache=False
    )
    assert api.get_secret_value("app/db") == SENTINEL
    assert api.get_secret_value("app/db") == SENTINEL  # a hit
    assert "app/db" in shared
    with pytest.raises(PolicyDeniedError):
        worker.get("app/db")  # cached, and still refused
    assert provider.calls["get"] == 1
    api.close()
    worker.close()
    outcomes = [
        (r["userIdentity"]["principalId"], r.get("outcome", "success")) for r in _records(log)
    ]
    assert outcomes == [("api", "success"), ("api", "success"), ("worker", "denied")]
    assert verify_log(log).ok


def test_batch_reads_are_authorised_per_item(
    provider: InMemoryProvider, log: Path, policy_file: Path
) -> None:
    adapter = _adapter(provider, log, policy_file)
    with pytest.raises(PolicyDeniedError):
        adapter.get_many(["app/db", "app/admin/root"])
    assert provider.calls.get("get", 0) == 0
    assert provider.calls["get_many"] == 1
    records = _records(log)
    by_secret = {r["requestParameters"]["secretId"]: r.get("outcome", "success") for r in records}
    assert by_secret == {"app/db": "success", "app/admin/root": "denied"}
    assert adapter.get_many(["app/db", "app/api-key"]).keys() == {"app/db", "app/api-key"}
    with pytest.raises(PolicyDeniedError):
        adapter.get_many(["app/admin/root"])  # nothing allowed: no backend call at all
    assert provider.calls["get_many"] == 2
    with pytest.raises(PolicyDeniedError, match="2 secrets could not be read") as both:
        adapter.get_many(["app/admin/root", "app/admin/other"])
    assert (both.value.principal, both.value.action) == ("api", "read")


def test_writes_lists_and_rotation_are_checked(
    provider: InMemoryProvider, log: Path, policy_file: Path
) -> None:
    api = _adapter(provider, log, policy_file)
    api.put_secret("app/new", "v")
    with pytest.raises(PolicyDeniedError):
        api.put_secret("app/admin/root", "v")
    with pytest.raises(PolicyDeniedError):
        api.delete_secret("app/new", force=True)
    with pytest.raises(PolicyDeniedError):
        api.describe_secret("app/new")
    with pytest.raises(PolicyDeniedError):
        api.rotate_secret("app/new")
    assert api.list_secrets("app/") == ["app/api-key", "app/db", "app/new"]
    rotator = _adapter(provider, log, policy_file, principal="rotator")
    rotator.rotate_secret("app/api-key")  # rotate alone suffices, no separate write right
    describer = _adapter(provider, log, policy_file, principal="ops")
    with pytest.raises(PolicyDeniedError):
        describer.describe_secret("app/db")
    names = [(r["eventName"], r.get("outcome", "success")) for r in _records(log)]
    assert ("RotateSecret", "success") in names
    assert ("DeleteSecret", "denied") in names
    assert names[-1] == ("DescribeSecret", "denied")


def test_a_listing_is_recorded_once_with_its_prefix(
    provider: InMemoryProvider, log: Path, policy_file: Path
) -> None:
    with _adapter(provider, log, policy_file) as adapter:
        assert adapter.list_secrets("app/") == ["app/api-key", "app/db"]  # admin/ filtered out
    (record,) = _records(log)
    assert record["eventName"] == "ListSecrets"
    assert record["requestParameters"] == {"secretId": "app/", "listPrefix": True}
    assert record["userIdentity"]["principalId"] == "api"
    assert record.get("outcome", "success") == "success"
    assert verify_log(log).ok


def test_a_listing_that_cannot_be_recorded_is_refused(
    provider: InMemoryProvider, broken_sink: _BrokenSink
) -> None:
    adapter = SecretsAdapter(
        provider=provider, audit_log=AuditTrail(broken_sink, mode="durable", timeout=LONG)
    )
    with pytest.raises(AuditUnavailableError):
        adapter.list_secrets("app/")
    adapter.close()


def test_every_write_kind_is_recorded(provider: InMemoryProvider, log: Path) -> None:
    with _adapter(provider, log) as adapter:
        adapter.put_secret("app/temp", "v")
        adapter.delete_secret("app/temp")
        adapter.restore_secret("app/temp")
        provider.set_tags("app/temp", {"secrets-adapter:rotator": "random"})
        adapter.rotate_secret("app/temp")
    accesses = [
        (r["eventName"], r["requestParameters"]["secretId"], r.get("outcome", "success"))
        for r in _records(log)
        if not r["eventName"].startswith("Rotation")  # the rotation's own step records
    ]
    assert accesses == [
        ("PutSecretValue", "app/temp", "success"),
        ("DeleteSecret", "app/temp", "success"),
        ("RestoreSecret", "app/temp", "success"),
        ("RotateSecret", "app/temp", "success"),
    ]
    assert verify_log(log).ok


def test_describe_is_recorded(provider: InMemoryProvider, log: Path) -> None:
    with _adapter(provider, log) as adapter:
        adapter.describe_secret("app/db")
        with pytest.raises(SecretNotFoundError):
            adapter.describe_secret("app/none")
    assert [(r["eventName"], r.get("outcome", "success")) for r in _records(log)] == [
        ("DescribeSecret", "success"),
        ("DescribeSecret", "error"),
    ]


def test_settings_from_the_environment(
    provider: InMemoryProvider, tmp_path: Path, policy_file: Path
) -> None:
    log = tmp_path / "env-audit.jsonl"
    environ = {
        "SECRETS_ADAPTER_PRINCIPAL": "worker",
        "SECRETS_ADAPTER_AUDIT_LOG": str(log),
        "SECRETS_ADAPTER_AUDIT_MODE": "buffered",
        "SECRETS_ADAPTER_POLICY": str(policy_file),
    }
    settings = load_settings(environ)
    assert settings.audit == AuditSettings(
        principal="worker", log=log, mode="buffered", policy=policy_file
    )
    adapter = SecretsAdapter.from_env(environ, provider=provider)
    with pytest.raises(PolicyDeniedError, match="'worker'"):
        adapter.get("app/db")
    adapter.close()
    assert _records(log)[0]["userIdentity"]["principalId"] == "worker"


def test_adapter_without_audit_or_policy_is_unchanged(provider: InMemoryProvider) -> None:
    adapter = SecretsAdapter(provider=provider)
    assert adapter.get_secret_value("other/thing") == "x"


def test_rotation_steps_are_recorded(provider: InMemoryProvider, log: Path) -> None:
    with _adapter(provider, log, principal="rotator") as adapter:
        adapter.rotate_secret("app/api-key")
    records = _records(log)
    names = [r["eventName"] for r in records]
    assert names[0] == "RotationStarted"
    assert names.count("RotationStepCompleted") == 4
    assert names[-2:] == ["RotationSucceeded", "RotateSecret"]
    steps = [r["requestParameters"].get("step") for r in records[1:5]]
    assert steps == ["create", "set", "test", "finish"]
    assert {r["userIdentity"]["principalId"] for r in records} == {"rotator"}
    assert verify_log(log).ok


def test_configure_rotation_is_checked_and_audited(
    provider: InMemoryProvider, log: Path, policy_file: Path
) -> None:
    api = _adapter(provider, log, policy_file, principal="api")
    with pytest.raises(PolicyDeniedError):
        api.configure_rotation("app/api-key", rotator="random", every=timedelta(days=30))
    assert "secrets-adapter:rotation-every" not in provider.describe("app/api-key").tags
    api.close()

    rotator = _adapter(provider, log, policy_file, principal="rotator")
    metadata = rotator.configure_rotation(
        "app/api-key", rotator="random", every=timedelta(days=30), options={"length": "40"}
    )
    assert metadata.tags["secrets-adapter:rotator"] == "random"
    rotator.configure_rotation("app/api-key", rotator="random")  # earlier options go
    tags = provider.describe("app/api-key").tags
    assert not any(key.startswith("secrets-adapter:rotator.") for key in tags)
    rotator.close()
    records = [r for r in _records(log) if r["eventName"] == "TagResource"]
    assert [r.get("errorCode") for r in records] == ["PolicyDeniedError", None, None]
    assert all(r["requestParameters"]["secretId"] == "app/api-key" for r in records)
