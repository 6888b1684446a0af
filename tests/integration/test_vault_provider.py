"""VaultProvider against a real OpenBao dev server: storage format, stages, cas, deletion."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import hvac.exceptions
import pytest

from secrets_adapter.errors import (
    ConflictError,
    SecretNotFoundError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.vault import VaultProvider
from tests.fixtures.vault import BaoServer, vault_settings
from tests.sentinel import SENTINEL


@pytest.fixture
def provider(openbao_server: BaoServer) -> VaultProvider:
    return VaultProvider.from_settings(vault_settings(openbao_server, path_root=""))


def _raw(server: BaoServer, path: str) -> dict[str, Any]:
    data: dict[str, Any] = server.client().secrets.kv.v2.read_secret_version(
        path=path, mount_point="secret", raise_on_deleted_version=True
    )["data"]
    return data


def _name(stem: str) -> str:
    return f"it/{stem}-{uuid.uuid4().hex[:8]}"


def test_a_json_object_is_stored_as_kv_fields_whatever_its_form(
    provider: VaultProvider, openbao_server: BaoServer
) -> None:
    name = _name("fields")
    provider.put(name, SecretValue('{"username": "app",\n "password": "p@ss"}'))
    assert _raw(openbao_server, name)["data"] == {"password": "p@ss", "username": "app"}
    assert provider.get(name).value.json() == {"password": "p@ss", "username": "app"}


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("plain", {"value": "plain"}),
        (b"\x00\xff", {"value": "AP8=", "encoding": "base64"}),
        ('{"value":"x"}', {"value": '{"value":"x"}', "encoding": "utf-8"}),
        ('{"a":"1","a":"2"}', {"value": '{"a":"1","a":"2"}'}),  # a repeated key: plain text
    ],
)
def test_other_values_are_stored_under_the_documented_keys(
    provider: VaultProvider,
    openbao_server: BaoServer,
    value: str | bytes,
    stored: dict[str, str],
) -> None:
    name = _name("envelope")
    provider.put(name, SecretValue(value))
    assert _raw(openbao_server, name)["data"] == stored
    assert provider.get(name).value.reveal() == value


def test_data_written_by_other_tools_reads_as_json_or_text(
    provider: VaultProvider, openbao_server: BaoServer
) -> None:
    kv = openbao_server.client().secrets.kv.v2
    fields, lone = _name("foreign-fields"), _name("foreign-value")
    kv.create_or_update_secret(path=fields, secret={"user": "u", "port": 5432})
    kv.create_or_update_secret(path=lone, secret={"value": "just text"})
    assert provider.get(fields).value.reveal() == '{"port":5432,"user":"u"}'
    assert provider.get(lone).value.reveal() == "just text"


def test_stages_are_recorded_as_of_a_vault_version_and_foreign_writes_become_current(
    provider: VaultProvider, openbao_server: BaoServer
) -> None:
    name = _name("stages")
    first = provider.put(name, SecretValue("v1"))
    token = str(uuid.uuid4())
    pending = provider.put_version(name, SecretValue("v2"), token=token)
    assert (first.version_id, pending.version_id) == ("1", "2")
    metadata = openbao_server.client().secrets.kv.v2.read_secret_metadata(path=name)["data"]
    custom = metadata["custom_metadata"]
    assert custom["secrets-adapter.stage.current"] == "1"
    assert custom["secrets-adapter.stage.pending"] == "2"
    assert custom["secrets-adapter.stage.as-of"] == "2"
    assert custom[f"secrets-adapter.token.{token}"] == "2"
    assert provider.get(name).value.reveal() == "v1"
    provider.move_stage(name, Stage.CURRENT, to_version=token, from_version=first.version_id)
    provider.move_stage(name, Stage.PENDING, to_version=None, from_version=token)
    assert provider.get(name, stage=Stage.PREVIOUS).version_id == "1"
    # a version written by another tool becomes current, as it is for any Vault reader
    openbao_server.client().secrets.kv.v2.create_or_update_secret(
        path=name, secret={"value": "from the CLI"}
    )
    assert provider.get(name).value.reveal() == "from the CLI"
    assert provider.get(name).version_id == "3"
    assert provider.get(name, stage=Stage.PREVIOUS).value.reveal() == "v2"


def test_cas_conflict_between_two_clients(openbao_server: BaoServer) -> None:
    settings = vault_settings(openbao_server)
    alice = VaultProvider.from_settings(settings)
    bob = VaultProvider.from_settings(settings)
    name = _name("race")
    base = alice.put(name, SecretValue("v1"))
    # Both read version 1; Bob writes first; Alice's check-and-set write must not win.
    bob.put(name, SecretValue("bob"), expected_current=base.version_id)
    with pytest.raises(ConflictError):
        alice.put(name, SecretValue("alice"), expected_current=base.version_id)
    assert alice.get(name).value.reveal() == "bob"


def test_server_side_cas_rejects_a_write_that_raced_past_the_check(
    openbao_server: BaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = vault_settings(openbao_server)
    alice = VaultProvider.from_settings(settings)
    name = _name("race-cas")
    alice.put(name, SecretValue("v1"))
    read_state = alice._writable_state
    path = f"{settings.path_root}/{name}"

    def state_then_another_tool_writes(secret_name: str) -> Any:
        state = read_state(secret_name)
        # `bao kv put` takes no lock of ours: it lands between Alice's read and her write
        openbao_server.client().secrets.kv.v2.create_or_update_secret(
            path=path, secret={"value": "other tool"}
        )
        return state

    monkeypatch.setattr(alice, "_writable_state", state_then_another_tool_writes)
    with pytest.raises(ConflictError, match="check-and-set"):
        alice.put(name, SecretValue("alice"))
    monkeypatch.undo()
    assert alice.get(name).value.reveal() == "other tool"
    assert alice.get(name, stage=Stage.PREVIOUS).value.reveal() == "v1"


def test_put_version_retry_after_success_is_idempotent(provider: VaultProvider) -> None:
    name = _name("idem")
    provider.put(name, SecretValue("v1"))
    token = f"tok-{uuid.uuid4()}"
    first = provider.put_version(name, SecretValue(SENTINEL), token=token)
    again = provider.put_version(name, SecretValue(SENTINEL), token=token)
    assert first.version_id == again.version_id == "2"
    assert provider.get(name, version=token).version_id == "2"
    with pytest.raises(ConflictError) as info:
        provider.put_version(name, SecretValue("different"), token=token)
    assert SENTINEL not in str(info.value)


def test_bare_number_tokens_are_refused(provider: VaultProvider) -> None:
    with pytest.raises(ValidationError, match="bare number"):
        provider.put_version(_name("num"), SecretValue("v"), token="42")


@pytest.mark.parametrize("bad", ["a//b", "/lead", "trail/", "a/../b", "a/./b"])
def test_names_that_are_not_clean_vault_paths_are_refused(
    provider: VaultProvider, bad: str
) -> None:
    with pytest.raises(ValidationError, match="path segments"):
        provider.get(bad)


def test_soft_delete_is_vault_delete_and_restore_is_undelete(
    provider: VaultProvider, openbao_server: BaoServer
) -> None:
    name = _name("soft")
    provider.put(name, SecretValue("v1"))
    provider.put(name, SecretValue("v2"))
    provider.delete(name, recovery_window=timedelta(days=7))
    kv = openbao_server.client().secrets.kv.v2
    versions = kv.read_secret_metadata(path=name)["data"]["versions"]
    assert all(info["deletion_time"] for info in versions.values())
    with pytest.raises(SecretScheduledForDeletionError):
        provider.get(name)
    deletion = provider.describe(name).deletion_date
    assert deletion is not None
    assert timedelta(days=6) < deletion - datetime.now(UTC) <= timedelta(days=7)
    provider.restore(name)
    versions = kv.read_secret_metadata(path=name)["data"]["versions"]
    assert not any(info["deletion_time"] for info in versions.values())
    assert provider.get(name).value.reveal() == "v2"
    assert provider.get(name, stage=Stage.PREVIOUS).value.reveal() == "v1"


def test_a_passed_deletion_date_reads_as_gone_and_the_next_write_starts_afresh(
    openbao_server: BaoServer,
) -> None:
    now = [datetime.now(UTC)]
    provider = VaultProvider.from_settings(vault_settings(openbao_server), clock=lambda: now[0])
    name = _name("expired")
    provider.put(name, SecretValue("old"))
    provider.delete(name, recovery_window=timedelta(days=7))
    now[0] += timedelta(days=8)
    with pytest.raises(SecretNotFoundError) as info:
        provider.get(name)
    assert not isinstance(info.value, SecretScheduledForDeletionError)
    created = provider.put(name, SecretValue("new"))
    assert created.version_id == "1"
    assert len(provider.describe(name).versions) == 1


def test_force_delete_destroys_every_version(
    provider: VaultProvider, openbao_server: BaoServer
) -> None:
    name = _name("destroy")
    provider.put(name, SecretValue("v"))
    provider.delete(name, force=True)
    with pytest.raises(hvac.exceptions.InvalidPath):
        openbao_server.client().secrets.kv.v2.read_secret_metadata(path=name)


def test_list_names_walks_folders_and_skips_deleted(provider: VaultProvider) -> None:
    stem = _name("list")
    for leaf in ("a", "deep/b", "deep/er/c", "gone"):
        provider.put(f"{stem}/{leaf}", SecretValue("v"))
    provider.delete(f"{stem}/gone", recovery_window=timedelta(days=7))
    assert provider.list_names(f"{stem}/") == [
        f"{stem}/a",
        f"{stem}/deep/b",
        f"{stem}/deep/er/c",
    ]
    assert provider.list_names(f"{stem}/de") == [f"{stem}/deep/b", f"{stem}/deep/er/c"]


def test_tags_are_plain_custom_metadata_and_reserved_keys_are_refused(
    provider: VaultProvider, openbao_server: BaoServer
) -> None:
    name = _name("tags")
    provider.put(name, SecretValue("v"))
    provider.set_tags(name, {"team": "shop"})
    custom = openbao_server.client().secrets.kv.v2.read_secret_metadata(path=name)["data"][
        "custom_metadata"
    ]
    assert custom["team"] == "shop"
    with pytest.raises(ValidationError, match="secrets-adapter"):
        provider.set_tags(name, {"secrets-adapter.stage.current": "9"})


def test_repr_names_the_server_never_the_token(provider: VaultProvider) -> None:
    provider.get_many([])
    text = repr(provider)
    assert "127.0.0.1" in text
    assert "root-token" not in text


def _count_requests(provider: VaultProvider) -> list[str]:
    seen: list[str] = []
    for client in provider.session._clients:
        client.adapter.session.hooks["response"].append(
            lambda response, *args, **kwargs: seen.append(response.request.path_url)
        )
    return seen


def test_reading_current_is_one_request_and_two_while_a_rotation_is_pending(
    provider: VaultProvider,
) -> None:
    name = _name("one-read")
    provider.put(name, SecretValue("v1"))
    seen = _count_requests(provider)
    assert provider.get(name).value.reveal() == "v1"
    assert len(seen) == 1
    provider.put_version(name, SecretValue("v2"), token=str(uuid.uuid4()))
    seen.clear()
    secret = provider.get(name)
    assert (secret.value.reveal(), secret.version_id) == ("v1", "1")
    assert len(seen) == 2  # the newest version (pending, with the record), then version 1
    assert provider.get(name, stage=Stage.PENDING).stages == {Stage.PENDING}
