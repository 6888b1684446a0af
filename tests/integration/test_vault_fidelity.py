"""What the real ``bao`` CLI and our provider see of the same secrets: deleted and destroyed
versions, ``previous`` after another tool's write, and the KV layout."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from secrets_adapter.errors import SecretNotFoundError
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.vault import VaultProvider
from tests.fixtures.vault import BaoServer, bao, vault_settings


@pytest.fixture
def provider(openbao_server: BaoServer) -> VaultProvider:
    return VaultProvider.from_settings(vault_settings(openbao_server, path_root=""))


def _name(stem: str) -> str:
    return f"fidelity/{stem}-{uuid.uuid4().hex[:8]}"


def _bao_get(server: BaoServer, name: str, *flags: str) -> Any:
    return json.loads(bao(server, "kv", "get", "-format=json", *flags, f"secret/{name}").stdout)


# --- deleted and destroyed versions ------------------------------------------------------------


def test_bao_kv_delete_of_the_newest_version_is_not_found_never_the_older_value(
    provider: VaultProvider, openbao_server: BaoServer
) -> None:
    name = _name("deleted")
    provider.put(name, SecretValue("v1"))
    provider.put(name, SecretValue("v2-leaked"))
    bao(openbao_server, "kv", "delete", f"secret/{name}")
    assert _bao_get(openbao_server, name)["data"]["data"] is None  # what every Vault client sees
    with pytest.raises(SecretNotFoundError) as info:
        provider.get(name)
    message = str(info.value)
    assert "deleted" in message
    assert f"bao kv undelete -versions=2 secret/{name}" in message
    assert "restore" in message
    # the intact older version is still there for whoever asks for it by number
    assert provider.get(name, version="1").value.reveal() == "v1"
    bao(openbao_server, "kv", "undelete", "-versions=2", f"secret/{name}")
    assert provider.get(name).value.reveal() == "v2-leaked"


def test_bao_kv_destroy_of_the_newest_version_is_not_found_never_the_older_value(
    provider: VaultProvider, openbao_server: BaoServer
) -> None:
    name = _name("destroyed")
    provider.put(name, SecretValue("v1"))
    provider.put(name, SecretValue("v2-leaked"))
    bao(openbao_server, "kv", "destroy", "-versions=2", f"secret/{name}")
    assert _bao_get(openbao_server, name)["data"]["metadata"]["destroyed"] is True
    with pytest.raises(SecretNotFoundError, match="destroyed") as info:
        provider.get(name)
    assert "--version" in str(info.value)
    assert provider.get(name, version="1").value.reveal() == "v1"
    assert provider.get(name, stage=Stage.PREVIOUS).value.reveal() == "v1"
    with pytest.raises(SecretNotFoundError, match="destroyed"):
        provider.get(name, version="2")
    assert name not in provider.list_names("fidelity/")
    # a new value makes the secret readable again; the destroyed version stays previous
    provider.put(name, SecretValue("v3"))
    assert provider.get(name).value.reveal() == "v3"
    with pytest.raises(SecretNotFoundError, match="destroyed"):
        provider.get(name, stage=Stage.PREVIOUS)


def test_a_deleted_current_during_a_rotation_is_not_replaced_by_the_pending_one(
    provider: VaultProvider, openbao_server: BaoServer
) -> None:
    name = _name("deleted-current")
    provider.put(name, SecretValue("v1"))
    provider.put(name, SecretValue("v2"))
    provider.put_version(name, SecretValue("v3-pending"), token=str(uuid.uuid4()))
    bao(openbao_server, "kv", "delete", "-versions=2", f"secret/{name}")
    with pytest.raises(SecretNotFoundError, match="version 2"):
        provider.get(name)


# --- previous after another tool's write -------------------------------------------------------


def test_previous_is_the_last_adapter_value_after_bao_kv_put(
    provider: VaultProvider, openbao_server: BaoServer
) -> None:
    name = _name("previous")
    provider.put(name, SecretValue("a1"))
    provider.put(name, SecretValue("a2"))
    bao(openbao_server, "kv", "put", f"secret/{name}", "-", stdin='{"value": "b3"}')
    assert provider.get(name).value.reveal() == "b3"
    assert provider.get(name).version_id == "3"
    previous = provider.get(name, stage=Stage.PREVIOUS)
    assert (previous.value.reveal(), previous.version_id) == ("a2", "2")
    described = {v.version_id: v.stages for v in provider.describe(name).versions}
    assert described == {"1": set(), "2": {Stage.PREVIOUS}, "3": {Stage.CURRENT}}


def test_previous_after_a_rollback_then_bao_kv_put_is_the_value_that_was_served(
    provider: VaultProvider, openbao_server: BaoServer
) -> None:
    name = _name("rollback")
    provider.put(name, SecretValue("a1"))
    provider.put(name, SecretValue("a2"))
    provider.move_stage(name, Stage.CURRENT, to_version="1", from_version="2")  # rollback
    assert provider.get(name).value.reveal() == "a1"
    bao(openbao_server, "kv", "put", f"secret/{name}", "-", stdin='{"value": "b3"}')
    assert provider.get(name).value.reveal() == "b3"
    assert provider.get(name, stage=Stage.PREVIOUS).value.reveal() == "a1"


def test_a_bao_kv_put_during_a_rotation_supersedes_its_pending_version(
    provider: VaultProvider, openbao_server: BaoServer
) -> None:
    name = _name("pending")
    provider.put(name, SecretValue("a1"))
    provider.put_version(name, SecretValue("a2-pending"), token=str(uuid.uuid4()))
    bao(openbao_server, "kv", "put", f"secret/{name}", "-", stdin='{"value": "b3"}')
    assert provider.get(name).value.reveal() == "b3"
    assert provider.get(name, stage=Stage.PREVIOUS).value.reveal() == "a1"
    with pytest.raises(SecretNotFoundError, match="pending"):
        provider.get(name, stage=Stage.PENDING)


# --- the layout other tools see ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"username": "app", "password": "p@ss"}',
        '{"password":"p@ss","username":"app"}',
        '{\n  "username": "app",\n  "password": "p@ss"\n}\n',
    ],
)
def test_a_json_object_is_kv_fields_for_bao_whatever_its_key_order_or_spacing(
    provider: VaultProvider, openbao_server: BaoServer, text: str
) -> None:
    name = _name("object")
    provider.put(name, SecretValue(text))
    assert _bao_get(openbao_server, name)["data"]["data"] == {
        "username": "app",
        "password": "p@ss",
    }
    field = bao(openbao_server, "kv", "get", "-field=password", f"secret/{name}").stdout
    assert field == "p@ss"


def test_non_string_fields_are_json_values_for_bao_and_round_trip(
    provider: VaultProvider, openbao_server: BaoServer
) -> None:
    name = _name("typed")
    data = {"host": "db", "port": 5432, "tls": True, "replicas": ["a", "b"], "extra": None}
    provider.put(name, SecretValue(json.dumps(data)))
    assert _bao_get(openbao_server, name)["data"]["data"] == data
    assert bao(openbao_server, "kv", "get", "-field=port", f"secret/{name}").stdout == "5432"
    assert provider.get(name).value.json() == data


@pytest.mark.parametrize(
    ("value", "fields"),
    [
        ("postgresql://app:p@db:5432/shop", {"value": "postgresql://app:p@db:5432/shop"}),
        (b"\x00\x01binary\xff", {"value": "AAFiaW5hcnn/", "encoding": "base64"}),
        ('{"value": "x"}', {"value": '{"value": "x"}', "encoding": "utf-8"}),
    ],
)
def test_text_and_binary_are_the_documented_fields_for_bao(
    provider: VaultProvider, openbao_server: BaoServer, value: str | bytes, fields: dict[str, str]
) -> None:
    name = _name("text")
    provider.put(name, SecretValue(value))
    assert _bao_get(openbao_server, name)["data"]["data"] == fields
    assert provider.get(name).value.reveal() == value


def test_what_bao_kv_put_writes_reads_back_through_the_provider(
    provider: VaultProvider, openbao_server: BaoServer
) -> None:
    pair, lone, typed = _name("put-pair"), _name("put-lone"), _name("put-typed")
    bao(openbao_server, "kv", "put", f"secret/{pair}", "-", stdin='{"user": "u", "pass": "p"}')
    bao(openbao_server, "kv", "put", f"secret/{lone}", "-", stdin='{"value": "just text"}')
    bao(openbao_server, "kv", "put", f"secret/{typed}", "-", stdin='{"port": 5432, "on": true}')
    assert provider.get(pair).value.json() == {"user": "u", "pass": "p"}
    assert provider.get(lone).value.reveal() == "just text"
    assert provider.get(typed).value.json() == {"port": 5432, "on": True}
    # and the adapter's next write keeps the layout bao wrote
    provider.put(pair, SecretValue('{"user": "u", "pass": "p2"}'))
    assert _bao_get(openbao_server, pair)["data"]["data"] == {"user": "u", "pass": "p2"}
