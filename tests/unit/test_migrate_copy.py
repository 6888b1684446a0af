"""Copying between stores: versions and stages kept between versioned stores, idempotent."""

from __future__ import annotations

import uuid
from pathlib import Path

from secrets_adapter.dotenv_file import format_dotenv
from secrets_adapter.migrate import copy_secrets
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.env import EnvProvider
from secrets_adapter.testing import InMemoryProvider


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
