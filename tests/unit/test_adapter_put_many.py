"""SecretsAdapter.put_many: one bulk write, each name authorised and recorded on its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secrets_adapter import PolicyDeniedError, SecretsAdapter, ValidationError, VersionInfo
from secrets_adapter.localstore import init_store
from secrets_adapter.policy import parse_policy
from secrets_adapter.testing import InMemoryProvider

POLICY = parse_policy(
    {
        "statement": [
            {"effect": "allow", "principals": ["*"], "actions": ["*"], "secrets": ["app/*"]},
            {"effect": "deny", "principals": ["*"], "actions": ["write"], "secrets": ["app/no/*"]},
        ]
    }
)


def test_put_many_writes_through_one_bulk_call_on_the_embedded_store(tmp_path: Path) -> None:
    init_store(tmp_path / "store")
    with SecretsAdapter("local", path=tmp_path / "store", prefix="app") as adapter:
        written = adapter.put_many({"a": "1", "b": {"user": "u"}, "app/c": "3"})
        assert list(written) == ["a", "b", "app/c"]
        assert all(isinstance(info, VersionInfo) for info in written.values())
        assert adapter.get_secret_value("a") == "1"
        assert adapter.get_secret("b") == {"user": "u"}
        # read-your-writes: a cached value is forgotten by the bulk write
        adapter.put_many({"a": "2"})
        assert adapter.get_secret_value("a") == "2"


def test_each_name_is_authorised_and_recorded_on_its_own(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    provider = InMemoryProvider()
    adapter = SecretsAdapter(provider=provider, policy=POLICY, audit_log=log)
    outcome = adapter.put_many({"app/ok": "v", "app/no/x": "w", "bad name": "z"}, errors="return")
    assert isinstance(outcome["app/ok"], VersionInfo)
    assert isinstance(outcome["app/no/x"], PolicyDeniedError)
    assert isinstance(outcome["bad name"], ValidationError)
    assert provider.list_names("") == ["app/ok"]
    adapter.close()
    records = [json.loads(line) for line in log.read_text().splitlines()]
    outcomes = {(r["requestParameters"]["secretId"], r.get("outcome", "success")) for r in records}
    assert outcomes == {("app/ok", "success"), ("app/no/x", "denied")}


def test_by_default_the_first_error_is_raised_after_every_item_was_tried() -> None:
    provider = InMemoryProvider()
    adapter = SecretsAdapter(provider=provider, policy=POLICY)
    with pytest.raises(PolicyDeniedError):
        adapter.put_many({"app/no/x": "w", "app/later": "v"})
    assert provider.get("app/later").value.reveal() == "v"
