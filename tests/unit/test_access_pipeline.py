"""The access pipeline: one set of steps for every face, permissions drawn as AWS draws them.

A denied listing is refused and recorded (not ``[]`` as a success); ``get_many(errors="return")``
gives each name its own outcome and record; force-delete is a permission of its own; and an
asynchronous face built on ``before`` / ``after`` leaves the same records as the sync one.
"""

from __future__ import annotations

import asyncio
import json
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

from secrets_adapter import (
    PolicyDeniedError,
    Secret,
    SecretNotFoundError,
    SecretsAdapter,
    SecretsAdapterError,
    ValidationError,
)
from secrets_adapter.access import AccessPipeline, open_pipeline
from secrets_adapter.config import Settings
from secrets_adapter.events import EventBus
from secrets_adapter.policy import evaluate_listing, parse_policy
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL

POLICY = """
[[statement]]
effect = "allow"
principals = ["api"]
actions = ["read", "list"]
secrets = ["app/*"]

[[statement]]
effect = "deny"
principals = ["*"]
actions = ["*"]
secrets = ["app/admin/*"]

[[statement]]
effect = "allow"
principals = ["ops"]
actions = ["write", "delete"]
secrets = ["app/*"]

[[statement]]
effect = "allow"
principals = ["breakglass"]
actions = ["force-delete"]
secrets = ["app/*"]
"""


def _records(log: Path) -> list[tuple[str, str, str]]:
    rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return [
        (r["eventName"], r["requestParameters"]["secretId"], r.get("outcome", "success"))
        for r in rows
    ]


@pytest.fixture
def provider() -> InMemoryProvider:
    return InMemoryProvider(
        {"app/db": SENTINEL, "app/api-key": "k-1", "app/admin/root": "r", "other/x": "x"}
    )


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return path


def _adapter(provider: Any, tmp_path: Path, policy_file: Path, principal: str) -> SecretsAdapter:
    return SecretsAdapter(
        provider=provider,
        principal=principal,
        policy=policy_file,
        audit_log=tmp_path / "audit.jsonl",
    )


# --- list ---------------------------------------------------------------------------------------


def test_a_denied_listing_raises_and_is_recorded_as_denied(
    provider: InMemoryProvider, tmp_path: Path, policy_file: Path
) -> None:
    with _adapter(provider, tmp_path, policy_file, "ops") as ops:  # ops may not list
        with pytest.raises(PolicyDeniedError, match="list") as denied:
            ops.list_secrets("app/")
        assert denied.value.principal == "ops"
    assert _records(tmp_path / "audit.jsonl") == [("ListSecrets", "app/", "denied")]
    assert provider.calls.get("list_names") is None  # refused before the backend


def test_a_listing_under_a_denied_folder_is_refused_and_elsewhere_filtered(
    provider: InMemoryProvider, tmp_path: Path, policy_file: Path
) -> None:
    with _adapter(provider, tmp_path, policy_file, "api") as api:
        assert api.list_secrets("app/") == ["app/api-key", "app/db"]  # admin/ filtered out
        with pytest.raises(PolicyDeniedError):
            api.list_secrets("app/admin/")
        with pytest.raises(PolicyDeniedError):
            api.list_secrets("other/")
    assert _records(tmp_path / "audit.jsonl") == [
        ("ListSecrets", "app/", "success"),
        ("ListSecrets", "app/admin/", "denied"),
        ("ListSecrets", "other/", "denied"),
    ]


@pytest.mark.parametrize(
    ("principal", "prefix", "allowed"),
    [
        ("api", "", True),  # some names under "" are listable
        ("api", "app/", True),
        ("api", "app/sub/", True),
        ("api", "ap", True),
        ("api", "app/admin/", False),  # the deny covers every name under it
        ("api", "app/admin/deep/", False),
        ("api", "other/", False),
        ("ops", "app/", False),  # no list at all
        ("api", "app/../", False),
    ],
)
def test_evaluate_listing(principal: str, prefix: str, allowed: bool) -> None:
    decision = evaluate_listing(
        parse_policy(tomllib.loads(POLICY)), principal=principal, prefix=prefix
    )
    assert decision.allowed is allowed, decision.reason


# --- get_many ---------------------------------------------------------------------------------


def test_get_many_can_return_each_names_own_error_with_one_record_each(
    provider: InMemoryProvider, tmp_path: Path, policy_file: Path
) -> None:
    names = ["app/db", "app/admin/root", "app/missing", "db"]
    with SecretsAdapter(
        provider=provider,
        prefix="app",
        principal="api",
        policy=policy_file,
        audit_log=tmp_path / "audit.jsonl",
    ) as api:
        outcome = api.get_many(names, errors="return")
        assert list(outcome) == names
        db = outcome["app/db"]
        assert isinstance(db, Secret) and db.value.reveal() == SENTINEL
        assert outcome["db"] is db  # the same secret under its short name
        assert isinstance(outcome["app/admin/root"], PolicyDeniedError)
        assert isinstance(outcome["app/missing"], SecretNotFoundError)
        with pytest.raises(PolicyDeniedError):  # the default still raises
            api.get_many(["app/db", "app/admin/root"])
        with pytest.raises(ValidationError, match="errors="):
            api.get_many(["app/db"], errors="ignore")  # type: ignore[call-overload]
    assert _records(tmp_path / "audit.jsonl")[:3] == [
        ("GetSecretValue", "app/db", "success"),
        ("GetSecretValue", "app/admin/root", "denied"),
        ("GetSecretValue", "app/missing", "error"),
    ]


def test_get_many_when_the_whole_batch_fails_gives_every_name_that_error(
    tmp_path: Path,
) -> None:
    class Down(InMemoryProvider):
        def get_many(self, names: Any) -> Any:
            raise SecretNotFoundError("the batch call failed")

    provider = Down({"a/x": "1", "a/y": "2"})
    with SecretsAdapter(provider=provider, cache=False, audit_log=tmp_path / "a.jsonl") as app:
        outcome = app.get_many(["a/x", "a/y"], errors="return")
    assert all(isinstance(item, SecretsAdapterError) for item in outcome.values())
    assert [r[2] for r in _records(tmp_path / "a.jsonl")] == ["error", "error"]


# --- force-delete -------------------------------------------------------------------------------


def test_force_delete_is_a_permission_of_its_own(
    provider: InMemoryProvider, tmp_path: Path, policy_file: Path
) -> None:
    with _adapter(provider, tmp_path, policy_file, "ops") as ops:
        with pytest.raises(PolicyDeniedError, match="force-delete"):
            ops.delete_secret("app/api-key", force=True)
        ops.delete_secret("app/api-key")  # a scheduled deletion: delete suffices
        ops.restore_secret("app/api-key")
    with _adapter(provider, tmp_path, policy_file, "breakglass") as breakglass:
        with pytest.raises(PolicyDeniedError, match="delete"):
            breakglass.delete_secret("app/api-key")  # force-delete does not imply delete
        breakglass.delete_secret("app/api-key", force=True)
    assert "app/api-key" not in provider.list_names()
    rows = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    forced = [r for r in rows if r["requestParameters"].get("forceDeleteWithoutRecovery")]
    assert [(r["eventName"], r.get("outcome", "success")) for r in forced] == [
        ("DeleteSecret", "denied"),
        ("DeleteSecret", "success"),
    ]


# --- two faces ----------------------------------------------------------------------------------


async def _async_get(access: AccessPipeline, provider: InMemoryProvider, name: str) -> Secret:
    """An asynchronous face in miniature: the pipeline's steps around an awaited read."""
    full = access.before("get", name)
    started = time.perf_counter()
    try:
        secret = await asyncio.to_thread(provider.get, full)
    except SecretsAdapterError as exc:
        access.failed("get", full, started, exc)
        raise
    access.after("get", full, started, secret)
    return secret


def test_an_async_face_on_the_same_pipeline_leaves_the_same_records(
    provider: InMemoryProvider, tmp_path: Path, policy_file: Path
) -> None:
    sync_log, async_log = tmp_path / "sync.jsonl", tmp_path / "async.jsonl"
    with SecretsAdapter(
        provider=provider, cache=False, principal="api", policy=policy_file, audit_log=sync_log
    ) as sync_face:
        sync_face.get("app/db")
        with pytest.raises(PolicyDeniedError):
            sync_face.get("app/admin/root")
        with pytest.raises(SecretNotFoundError):
            sync_face.get("app/missing")
    access = open_pipeline(
        Settings(),
        provider_kind=provider.kind,
        principal="api",
        audit_log=async_log,
        audit_mode=None,
        policy=policy_file,
        events=EventBus(),
        clock=sync_face._clock,
    )

    async def main() -> None:
        secret = await _async_get(access, provider, "app/db")
        assert secret.value.reveal() == SENTINEL
        assert access.served.mask(f"x {SENTINEL} y") != f"x {SENTINEL} y"  # remembered
        with pytest.raises(PolicyDeniedError):
            await _async_get(access, provider, "app/admin/root")
        with pytest.raises(SecretNotFoundError):
            await _async_get(access, provider, "app/missing")

    asyncio.run(main())
    assert access.audit is not None
    access.audit.close()
    assert _records(async_log) == _records(sync_log)
