"""LocalProvider.put_many: a bulk write in one transaction, with each name's own outcome."""

from __future__ import annotations

from pathlib import Path

import pytest

from secrets_adapter.errors import SecretScheduledForDeletionError, ValidationError
from secrets_adapter.localstore import init_store
from secrets_adapter.models import SecretValue, Stage, VersionInfo
from secrets_adapter.providers.base import BulkWritableProvider, put_each
from secrets_adapter.providers.local import LocalProvider
from secrets_adapter.testing import InMemoryProvider


@pytest.fixture
def provider(tmp_path: Path) -> LocalProvider:
    init_store(tmp_path / "store")
    return LocalProvider.open(tmp_path / "store")


def test_new_and_existing_secrets_are_written_together(provider: LocalProvider) -> None:
    assert isinstance(provider, BulkWritableProvider)
    old = provider.put("app/existing", SecretValue("old"))
    result = provider.put_many(
        {
            "app/new-text": SecretValue("text"),
            "app/existing": SecretValue("newer"),
            "app/new-binary": SecretValue(b"\x00\xffraw"),
        }
    )
    assert list(result) == ["app/new-text", "app/existing", "app/new-binary"]
    assert all(isinstance(info, VersionInfo) for info in result.values())
    assert provider.get("app/new-text").value.reveal() == "text"
    assert provider.get("app/new-binary").value.reveal_bytes() == b"\x00\xffraw"
    existing = provider.get("app/existing")
    assert existing.value.reveal() == "newer"
    assert provider.get("app/existing", stage=Stage.PREVIOUS).version_id == old.version_id
    described = provider.describe("app/new-text")
    assert [v.stages for v in described.versions] == [frozenset({Stage.CURRENT})]


def test_each_name_that_cannot_be_written_gets_its_own_error(provider: LocalProvider) -> None:
    provider.put("app/leaving", SecretValue("v"))
    provider.delete("app/leaving")
    result = provider.put_many(
        {
            "app/fine": SecretValue("ok"),
            "bad name with spaces": SecretValue("x"),
            "app/leaving": SecretValue("back?"),
        }
    )
    assert isinstance(result["app/fine"], VersionInfo)
    assert isinstance(result["bad name with spaces"], ValidationError)
    assert isinstance(result["app/leaving"], SecretScheduledForDeletionError)
    assert provider.get("app/fine").value.reveal() == "ok"
    assert provider.list_names("app/") == ["app/fine"]


def test_a_bulk_write_is_one_transaction(provider: LocalProvider) -> None:
    names = [f"bulk/n{i}" for i in range(2_000)]
    result = provider.put_many({name: SecretValue(f"value-{name}") for name in names})
    created = {info.created_at for info in result.values() if isinstance(info, VersionInfo)}
    assert len(created) == 1  # one clock reading: one transaction
    assert provider.list_names("bulk/") == sorted(names)
    batch = provider.get_many(names[:50])
    assert {
        name: s.value.reveal() for name, s in batch.items() if not isinstance(s, Exception)
    } == {name: f"value-{name}" for name in names[:50]}


def test_put_each_is_the_fallback_for_backends_without_a_bulk_write() -> None:
    provider = InMemoryProvider()
    result = put_each(provider, {"a/one": SecretValue("1"), "a two": SecretValue("2")})
    assert isinstance(result["a/one"], VersionInfo)
    assert isinstance(result["a two"], ValidationError)
    assert provider.get("a/one").value.reveal() == "1"
