"""LocalProvider beyond the contract suite: persistence, pruning, recovery windows, threads."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.config import LocalSettings, Settings
from secrets_adapter.errors import (
    ConflictError,
    ProviderError,
    SecretNotFoundError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.localstore import DB_FILE, init_store
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.base import VersionedProvider
from secrets_adapter.providers.factory import build_provider
from secrets_adapter.providers.local import LocalProvider


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    init_store(tmp_path / "store")
    return tmp_path / "store"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def provider(folder: Path, clock: FakeClock) -> Iterator[LocalProvider]:
    with LocalProvider.open(folder, clock=clock) as provider:
        yield provider


def _count(folder: Path, table: str) -> int:
    conn = sqlite3.connect(folder / DB_FILE)
    try:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
        return int(row[0])
    finally:
        conn.close()


def test_is_a_versioned_provider_of_kind_local(provider: LocalProvider) -> None:
    assert isinstance(provider, VersionedProvider)
    assert provider.kind == "local"


def test_everything_survives_a_reopen(folder: Path, provider: LocalProvider) -> None:
    first = provider.put("app/db", SecretValue("v1"))
    provider.put("app/db", SecretValue(b"\xffv2"))
    provider.put_version("app/db", SecretValue("v3"), token="tok-3")
    provider.set_tags("app/db", {"team": "shop"})
    provider.close()
    with LocalProvider.open(folder) as reopened:
        assert reopened.get("app/db").value.reveal() == b"\xffv2"
        assert reopened.get("app/db", stage=Stage.PREVIOUS).version_id == first.version_id
        assert reopened.get("app/db", stage=Stage.PENDING).value.reveal() == "v3"
        meta = reopened.describe("app/db")
        assert dict(meta.tags) == {"team": "shop"}
        assert meta.versions[0].version_id == first.version_id
        assert len(meta.versions) == 3


def test_unlabelled_versions_are_pruned_past_the_limit(folder: Path) -> None:
    with LocalProvider.open(folder, max_versions=3) as provider:
        infos = [provider.put("app/db", SecretValue(f"v{i}")) for i in range(6)]
        meta = provider.describe("app/db")
        assert [v.version_id for v in meta.versions] == [i.version_id for i in infos[-3:]]
        with pytest.raises(SecretNotFoundError):
            provider.get("app/db", version=infos[0].version_id)
    assert _count(folder, "versions") == 3


def test_labelled_versions_are_never_pruned(folder: Path) -> None:
    with LocalProvider.open(folder, max_versions=2) as provider:
        first = provider.put("app/db", SecretValue("v0"))
        provider.put_version("app/db", SecretValue("pending"), token="tok")
        provider.put("app/db", SecretValue("v1"))
        provider.put("app/db", SecretValue("v2"))
        meta = provider.describe("app/db")
        assert meta.version_for(Stage.PENDING) is not None
        assert first.version_id not in [v.version_id for v in meta.versions]


def test_reading_a_deleted_secret_says_it_is_scheduled(
    provider: LocalProvider, clock: FakeClock
) -> None:
    provider.put("app/db", SecretValue("v"))
    provider.delete("app/db", recovery_window=timedelta(days=7))
    with pytest.raises(
        SecretScheduledForDeletionError, match="scheduled for deletion on 2026-01-08"
    ):
        provider.get("app/db")
    with pytest.raises(SecretScheduledForDeletionError):
        provider.put("app/db", SecretValue("new"))
    with pytest.raises(SecretScheduledForDeletionError):
        provider.set_tags("app/db", {"a": "b"})
    assert provider.describe("app/db").deletion_date == clock.now + timedelta(days=7)
    result = provider.get_many(["app/db"])
    assert isinstance(result["app/db"], SecretScheduledForDeletionError)


def test_after_the_window_the_secret_is_gone_and_purged(
    folder: Path, provider: LocalProvider, clock: FakeClock
) -> None:
    provider.put("app/db", SecretValue("v"))
    provider.put("app/keep", SecretValue("k"))
    provider.delete("app/db", recovery_window=timedelta(days=7))
    clock.now += timedelta(days=7, seconds=1)
    with pytest.raises(SecretNotFoundError) as info:
        provider.get("app/db")
    assert not isinstance(info.value, SecretScheduledForDeletionError)
    with pytest.raises(SecretNotFoundError):
        provider.describe("app/db")
    assert _count(folder, "secrets") == 2  # still on disk until the next write
    provider.put("app/other", SecretValue("o"))
    assert _count(folder, "secrets") == 2
    assert provider.list_names() == ["app/keep", "app/other"]
    with pytest.raises(SecretNotFoundError):
        provider.restore("app/db")
    provider.put("app/db", SecretValue("a new secret"))
    assert len(provider.describe("app/db").versions) == 1


def test_restore_within_the_window(provider: LocalProvider, clock: FakeClock) -> None:
    provider.put("app/db", SecretValue("v"))
    provider.delete("app/db", recovery_window=timedelta(days=30))
    clock.now += timedelta(days=29)
    provider.restore("app/db")
    assert provider.get("app/db").value.reveal() == "v"
    assert provider.describe("app/db").deletion_date is None


def test_force_delete_removes_every_row(folder: Path, provider: LocalProvider) -> None:
    provider.put("app/db", SecretValue("v1"))
    provider.put("app/db", SecretValue("v2"))
    provider.delete("app/db", force=True)
    for table in ("secrets", "versions", "stages"):
        assert _count(folder, table) == 0


def test_bad_version_token_is_refused(provider: LocalProvider) -> None:
    with pytest.raises(ValidationError, match="token"):
        provider.put_version("app/db", SecretValue("v"), token="")
    with pytest.raises(ValidationError, match="token"):
        provider.put_version("app/db", SecretValue("v"), token="t" * 257)
    with pytest.raises(SecretNotFoundError):
        provider.get("app/db")


def test_first_put_version_becomes_current(provider: LocalProvider) -> None:
    info = provider.put_version("app/new", SecretValue("v"), token="tok")
    assert info.stages == frozenset({Stage.CURRENT, Stage.PENDING})
    assert provider.get("app/new").version_id == "tok"


def test_put_version_with_current_stage_moves_previous(provider: LocalProvider) -> None:
    old = provider.put("app/db", SecretValue("old"))
    provider.put_version("app/db", SecretValue("new"), token="tok", stage=Stage.CURRENT)
    assert provider.get("app/db").value.reveal() == "new"
    assert provider.get("app/db", stage=Stage.PREVIOUS).version_id == old.version_id


def test_stage_rules_hold_in_the_database(folder: Path, provider: LocalProvider) -> None:
    provider.put("app/db", SecretValue("a"))
    provider.put("app/db", SecretValue("b"))
    provider.put("app/db", SecretValue("c"))
    assert _count(folder, "stages") == 2  # one current, one previous


def test_a_closed_provider_says_so(folder: Path) -> None:
    provider = LocalProvider.open(folder)
    provider.close()
    with pytest.raises(ProviderError, match="closed"):
        provider.get("app/db")


def test_max_versions_must_be_positive(folder: Path) -> None:
    with pytest.raises(ValidationError, match="max_versions"):
        LocalProvider.open(folder, max_versions=0)


def test_threads_sharing_one_provider_lose_no_update(provider: LocalProvider) -> None:
    provider.put("app/counter", SecretValue("0"))
    threads, increments = 4, 15

    def work() -> None:
        for _ in range(increments):
            while True:
                current = provider.get("app/counter")
                value = SecretValue(str(int(current.value.reveal_text()) + 1))
                try:
                    provider.put("app/counter", value, expected_current=current.version_id)
                    break
                except ConflictError:
                    continue

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert provider.get("app/counter").value.reveal() == str(threads * increments)


def test_built_from_settings_by_the_factory_and_the_adapter(folder: Path) -> None:
    provider = build_provider(Settings(backend="local", local=LocalSettings(path=folder)))
    assert isinstance(provider, LocalProvider)
    provider.close()
    with SecretsAdapter(backend="local", path=folder) as adapter:
        adapter.put_secret("gaara/prod/database-url", "postgres://u:p@h/db")
        assert adapter.get_secret_value("gaara/prod/database-url") == "postgres://u:p@h/db"
        assert adapter.list_secrets() == ["gaara/prod/database-url"]


def test_not_found_names_the_store_folder_and_what_to_run(folder: Path) -> None:
    with LocalProvider.open(folder) as provider:
        with pytest.raises(SecretNotFoundError) as missing:
            provider.get("app/absent")
        assert repr(str(folder)) in str(missing.value)
        assert "`secrets-adapter list`" in str(missing.value)
        provider.put("app/present", SecretValue("v"))
        with pytest.raises(SecretNotFoundError, match=r"has no version 'v9'.*versions"):
            provider.get("app/present", version="v9")
