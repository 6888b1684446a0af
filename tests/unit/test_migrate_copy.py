"""Copying between stores: versions and stages kept between versioned stores, idempotent, and
each side through its adapter's policy and audit log."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest

from secrets_adapter import PolicyDeniedError, SecretsAdapter
from secrets_adapter.dotenv_file import format_dotenv
from secrets_adapter.migrate import CopyReport
from secrets_adapter.migrate import copy_secrets as copy_between_adapters
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.base import Provider
from secrets_adapter.providers.env import EnvProvider
from secrets_adapter.testing import InMemoryProvider


def copy_secrets(
    source: Provider,
    target: Provider,
    *,
    names: Sequence[str] | None = None,
    prefix: str = "",
) -> CopyReport:
    """The copy between two stores, each opened as an adapter with no policy and no log."""
    return copy_between_adapters(
        SecretsAdapter(provider=source, cache=False),
        SecretsAdapter(provider=target, cache=False),
        names=names,
        prefix=prefix,
    )


def _source() -> InMemoryProvider:
    source = InMemoryProvider()
    source.put("gaara/prod/jwt-secret-key", SecretValue("v1"))
    source.put("gaara/prod/jwt-secret-key", SecretValue("v2"))
    source.put_version("gaara/prod/jwt-secret-key", SecretValue("v3"), token=str(uuid.uuid4()))
    source.put("gaara/prod/stripe-api-key", SecretValue(b"\x00binary"))
    source.put("other/thing", SecretValue("x"))
    return source


def test_versions_and_stages_are_preserved() -> None:
    source, target = _source(), InMemoryProvider()
    report = copy_secrets(source, target, prefix="gaara/prod/")
    assert report.ok
    assert report.copied == ("gaara/prod/jwt-secret-key", "gaara/prod/stripe-api-key")
    assert target.list_names() == ["gaara/prod/jwt-secret-key", "gaara/prod/stripe-api-key"]
    name = "gaara/prod/jwt-secret-key"
    want, got = source.describe(name), target.describe(name)
    assert [v.version_id for v in got.versions] == [v.version_id for v in want.versions]
    for stage in Stage:
        held = want.version_for(stage)
        assert held is not None
        copied = got.version_for(stage)
        assert copied is not None and copied.version_id == held.version_id
    assert target.get(name).value.reveal() == "v2"
    assert target.get(name, stage=Stage.PENDING).value.reveal() == "v3"
    assert target.get("gaara/prod/stripe-api-key").value.reveal() == b"\x00binary"


def test_second_copy_writes_nothing() -> None:
    source, target = _source(), InMemoryProvider()
    copy_secrets(source, target)
    calls = dict(target.calls)
    report = copy_secrets(source, target)
    assert report.copied == ()
    assert report.writes == 0
    assert len(report.unchanged) == 3
    assert target.calls.get("put_version") == calls.get("put_version")
    assert target.calls.get("move_stage") == calls.get("move_stage")


def test_stages_follow_a_later_rotation_in_the_source() -> None:
    source, target = _source(), InMemoryProvider()
    copy_secrets(source, target)
    name = "gaara/prod/jwt-secret-key"
    pending = source.describe(name).version_for(Stage.PENDING)
    assert pending is not None
    source.move_stage(name, Stage.CURRENT, to_version=pending.version_id)
    source.move_stage(name, Stage.PENDING, to_version=None)
    report = copy_secrets(source, target, names=[name])
    assert report.copied == (name,)
    assert target.get(name).value.reveal() == "v3"
    assert target.get(name, stage=Stage.PREVIOUS).value.reveal() == "v2"
    assert target.describe(name).version_for(Stage.PENDING) is None


def test_from_env_copies_current_values_only(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(format_dotenv({"DATABASE_URL": "pg://x", "LOG": "x"}), encoding="utf-8")
    source = EnvProvider(env_file=env_file, prefix="gaara/prod", include_environ=False)
    target = InMemoryProvider()
    report = copy_secrets(source, target, names=["gaara/prod/database-url"])
    assert report.copied == ("gaara/prod/database-url",)
    assert target.get("gaara/prod/database-url").value.reveal() == "pg://x"
    assert copy_secrets(source, target, names=["gaara/prod/database-url"]).writes == 0


def test_one_failure_does_not_stop_the_others() -> None:
    source, target = _source(), InMemoryProvider()
    target.put("gaara/prod/jwt-secret-key", SecretValue("x"))
    target.delete("gaara/prod/jwt-secret-key")
    report = copy_secrets(source, target, prefix="gaara/prod/")
    assert not report.ok
    assert [name for name, _ in report.failed] == ["gaara/prod/jwt-secret-key"]
    assert "scheduled for deletion" in report.failed[0][1]
    assert report.copied == ("gaara/prod/stripe-api-key",)


DENY_ALL = """
[[statement]]
effect = "deny"
principals = ["*"]
actions = ["*"]
secrets = ["*"]
"""

ALLOW_COPY = """
[[statement]]
effect = "allow"
principals = ["copier"]
actions = ["read", "list", "write"]
secrets = ["gaara/*"]
"""


def _records(log: Path) -> list[tuple[str, str, str]]:
    lines = log.read_text().splitlines() if log.exists() else []
    rows = [json.loads(line) for line in lines]
    return [
        (r["eventName"], r["requestParameters"]["secretId"], r.get("outcome", "success"))
        for r in rows
    ]


def _guarded(provider: Provider, tmp_path: Path, side: str, policy: str) -> SecretsAdapter:
    policy_file = tmp_path / f"{side}.toml"
    policy_file.write_text(policy)
    return SecretsAdapter(
        provider=provider,
        cache=False,
        principal="copier",
        policy=policy_file,
        audit_log=tmp_path / f"{side}.jsonl",
    )


def test_copy_under_a_deny_all_policy_copies_nothing_and_logs_the_denials(tmp_path: Path) -> None:
    target_store = InMemoryProvider()
    source = _guarded(_source(), tmp_path, "source", DENY_ALL)
    target = _guarded(target_store, tmp_path, "target", ALLOW_COPY)
    name = "gaara/prod/jwt-secret-key"
    report = copy_between_adapters(source, target, names=[name])
    source.close()
    target.close()
    assert report.copied == () and [n for n, _ in report.failed] == [name]
    assert "PolicyDeniedError" in report.failed[0][1]
    assert target_store.list_names() == []
    assert _records(tmp_path / "source.jsonl") == [("GetSecretValue", name, "denied")]
    assert _records(tmp_path / "target.jsonl") == []


def test_a_denied_listing_stops_the_copy_with_an_access_denied_record(tmp_path: Path) -> None:
    source = _guarded(_source(), tmp_path, "source", DENY_ALL)
    target = _guarded(InMemoryProvider(), tmp_path, "target", ALLOW_COPY)
    with pytest.raises(PolicyDeniedError, match="list"):
        copy_between_adapters(source, target, prefix="gaara/prod/")
    source.close()
    target.close()
    assert _records(tmp_path / "source.jsonl") == [("ListSecrets", "gaara/prod/", "denied")]


def test_a_target_that_may_not_write_refuses_each_secret(tmp_path: Path) -> None:
    source = _guarded(_source(), tmp_path, "source", ALLOW_COPY)
    target = _guarded(InMemoryProvider(), tmp_path, "target", DENY_ALL)
    report = copy_between_adapters(source, target, prefix="gaara/prod/")
    source.close()
    target.close()
    assert report.copied == () and len(report.failed) == 2
    names = ["gaara/prod/jwt-secret-key", "gaara/prod/stripe-api-key"]
    assert _records(tmp_path / "target.jsonl") == [
        ("PutSecretValue", name, "denied") for name in names
    ]


def test_an_allowed_copy_leaves_one_read_and_one_write_record_per_secret(tmp_path: Path) -> None:
    source = _guarded(_source(), tmp_path, "source", ALLOW_COPY)
    target = _guarded(InMemoryProvider(), tmp_path, "target", ALLOW_COPY)
    report = copy_between_adapters(source, target, prefix="gaara/prod/")
    source.close()
    target.close()
    names = ["gaara/prod/jwt-secret-key", "gaara/prod/stripe-api-key"]
    assert report.copied == tuple(names)
    assert _records(tmp_path / "source.jsonl") == [
        ("ListSecrets", "gaara/prod/", "success"),
        *[("GetSecretValue", name, "success") for name in names],
    ]
    assert _records(tmp_path / "target.jsonl") == [
        ("PutSecretValue", name, "success") for name in names
    ]
