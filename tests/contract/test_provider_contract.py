"""One contract for every provider: the same calls behave the same on every backend.

Parametrized over ``CONTRACT_PROVIDERS`` in tests/conftest.py. Read-only backends (env) run the
read subset; writable and versioned tests skip where the backend lacks the capability.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from secrets_adapter.errors import (
    ConflictError,
    SecretNotFoundError,
    SecretsAdapterError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.providers.base import Provider, VersionedProvider, WritableProvider
from tests.fixtures.providers import ProviderFixture
from tests.sentinel import SENTINEL


def _name(stem: str) -> str:
    return f"contract/{stem}-{uuid.uuid4().hex[:8]}"


def _writable(fx: ProviderFixture) -> WritableProvider:
    if not fx.writable:
        pytest.skip(f"{fx.kind} is read-only")
    provider = fx.make({})
    assert isinstance(provider, WritableProvider)
    return provider


def _versioned(fx: ProviderFixture) -> VersionedProvider:
    if not fx.versioned:
        pytest.skip(f"{fx.kind} has no versions")
    provider = fx.make({})
    assert isinstance(provider, VersionedProvider)
    return provider


# --- reads: every provider ---------------------------------------------------------------


def test_reads_a_seeded_text_secret(provider_fixture: ProviderFixture) -> None:
    name = _name("text")
    provider = provider_fixture.make({name: "pa$$ w0rd = #1 'quoted' é"})
    secret = provider.get(name)
    assert secret.name == name
    assert secret.value.reveal() == "pa$$ w0rd = #1 'quoted' é"
    assert Stage.CURRENT in secret.stages
    assert secret.version_id


def test_missing_secret_is_not_found(provider_fixture: ProviderFixture) -> None:
    provider = provider_fixture.make({})
    with pytest.raises(SecretNotFoundError) as info:
        provider.get(_name("absent"))
    assert info.value.secret_name is not None


@pytest.mark.parametrize("bad", ["", "a" * 513, "has space", "semi;colon", "quote'", "ü"])
def test_invalid_name_is_rejected_before_io(provider_fixture: ProviderFixture, bad: str) -> None:
    provider = provider_fixture.make({})
    with pytest.raises(ValidationError, match="1-512 characters"):
        provider.get(bad)


def test_longest_valid_name_is_accepted(provider_fixture: ProviderFixture) -> None:
    name = "a/_+=.@-" + "x" * 504
    assert len(name) == 512
    provider = provider_fixture.make({name: "v"})
    assert provider.get(name).value.reveal() == "v"


def test_get_many_returns_each_name_or_its_own_error(provider_fixture: ProviderFixture) -> None:
    first, second, missing = _name("a"), _name("b"), _name("missing")
    provider = provider_fixture.make({first: "one", second: "two"})
    result = provider.get_many([first, missing, second])
    assert set(result) == {first, second, missing}
    one, two = result[first], result[second]
    assert not isinstance(one, SecretsAdapterError)
    assert not isinstance(two, SecretsAdapterError)
    assert one.value.reveal() == "one"
    assert two.value.reveal() == "two"
    assert isinstance(result[missing], SecretNotFoundError)


def test_list_names_filters_by_prefix(provider_fixture: ProviderFixture) -> None:
    stem = f"contract/list-{uuid.uuid4().hex[:8]}"
    provider = provider_fixture.make({f"{stem}/a": "1", f"{stem}/b": "2", _name("other"): "3"})
    assert provider.list_names(f"{stem}/") == [f"{stem}/a", f"{stem}/b"]


def test_values_never_appear_in_repr(provider_fixture: ProviderFixture) -> None:
    name = _name("sentinel")
    provider = provider_fixture.make({name: SENTINEL})
    secret = provider.get(name)
    assert SENTINEL not in repr(secret)
    assert SENTINEL not in str(secret.value)
    assert SENTINEL not in repr(provider)
    assert secret.value.reveal() == SENTINEL


def test_protocol_is_satisfied(provider_fixture: ProviderFixture) -> None:
    provider = provider_fixture.make({})
    assert isinstance(provider, Provider)
    assert provider.kind == provider_fixture.kind
    provider.close()


# --- writes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "x",
        "line one\nline two\r\n\ttab \"dq\" 'sq' # = ${HOME} ✓ 日本",
        b"\x00\xff\xfe binary \x80",
        "€" * 21_845 + "a",  # 65,536 bytes in 21,846 characters
    ],
)
def test_put_round_trips_byte_exact(provider_fixture: ProviderFixture, value: str | bytes) -> None:
    if isinstance(value, bytes) and not provider_fixture.binary:
        pytest.skip(f"{provider_fixture.kind} stores text only")
    provider = _writable(provider_fixture)
    name = _name("roundtrip")
    info = provider.put(name, SecretValue(value))
    secret = provider.get(name)
    assert secret.value.reveal() == value
    assert type(secret.value.reveal()) is type(value)
    assert secret.version_id == info.version_id


@pytest.mark.parametrize("size", [0, 65_537])
def test_value_size_rule_is_enforced(provider_fixture: ProviderFixture, size: int) -> None:
    provider = _writable(provider_fixture)
    name = _name("size")
    with pytest.raises(ValidationError, match="65,536 bytes"):
        provider.put(name, SecretValue(b"a" * size))
    with pytest.raises(SecretNotFoundError):
        provider.get(name)


def test_put_moves_current_and_keeps_previous(provider_fixture: ProviderFixture) -> None:
    provider = _writable(provider_fixture)
    name = _name("stages")
    first = provider.put(name, SecretValue("v1"))
    second = provider.put(name, SecretValue("v2"))
    assert provider.get(name).value.reveal() == "v2"
    previous = provider.get(name, stage=Stage.PREVIOUS)
    assert previous.value.reveal() == "v1"
    assert previous.version_id == first.version_id
    assert provider.get(name, version=first.version_id).value.reveal() == "v1"
    assert provider.get(name, version=second.version_id).value.reveal() == "v2"


def test_stale_check_and_set_is_a_conflict(provider_fixture: ProviderFixture) -> None:
    provider = _writable(provider_fixture)
    name = _name("cas")
    first = provider.put(name, SecretValue("v1"))
    provider.put(name, SecretValue("v2"), expected_current=first.version_id)
    with pytest.raises(ConflictError):
        provider.put(name, SecretValue("lost"), expected_current=first.version_id)
    assert provider.get(name).value.reveal() == "v2"


def test_soft_delete_and_restore(provider_fixture: ProviderFixture) -> None:
    provider = _writable(provider_fixture)
    name = _name("delete")
    provider.put(name, SecretValue("keep me"))
    provider.delete(name, recovery_window=timedelta(days=7))
    with pytest.raises(SecretScheduledForDeletionError, match="scheduled for deletion"):
        provider.get(name)
    assert name not in provider.list_names("contract/")
    provider.restore(name)
    assert provider.get(name).value.reveal() == "keep me"


@pytest.mark.parametrize("days", [6, 31])
def test_recovery_window_must_be_7_to_30_days(provider_fixture: ProviderFixture, days: int) -> None:
    provider = _writable(provider_fixture)
    name = _name("window")
    provider.put(name, SecretValue("v"))
    with pytest.raises(ValidationError, match="7 to 30 days"):
        provider.delete(name, recovery_window=timedelta(days=days))
    assert provider.get(name).value.reveal() == "v"


def test_force_delete_removes_for_good(provider_fixture: ProviderFixture) -> None:
    provider = _writable(provider_fixture)
    name = _name("force")
    provider.put(name, SecretValue("v"))
    provider.delete(name, force=True)
    with pytest.raises(SecretNotFoundError) as info:
        provider.get(name)
    assert not isinstance(info.value, SecretScheduledForDeletionError)


def test_delete_of_missing_secret_is_not_found(provider_fixture: ProviderFixture) -> None:
    provider = _writable(provider_fixture)
    with pytest.raises(SecretNotFoundError):
        provider.delete(_name("never"), force=True)


# --- versions and stages -------------------------------------------------------------------


def test_put_version_is_idempotent_on_token(provider_fixture: ProviderFixture) -> None:
    provider = _versioned(provider_fixture)
    name = _name("token")
    provider.put(name, SecretValue("v1"))
    token = str(uuid.uuid4())
    first = provider.put_version(name, SecretValue("v2"), token=token)
    again = provider.put_version(name, SecretValue("v2"), token=token)
    # The id is the backend's (the token on AWS and the local store, a number on Vault); the
    # token names that same version wherever a version id is accepted.
    assert first.version_id == again.version_id
    assert provider.get(name, version=token).version_id == first.version_id
    assert Stage.PENDING in again.stages
    assert len(provider.describe(name).versions) == 2
    with pytest.raises(ConflictError):
        provider.put_version(name, SecretValue("other"), token=token)
    assert provider.get(name).value.reveal() == "v1"
    assert provider.get(name, stage=Stage.PENDING).value.reveal() == "v2"


def test_four_step_stage_moves(provider_fixture: ProviderFixture) -> None:
    provider = _versioned(provider_fixture)
    name = _name("rotate")
    old = provider.put(name, SecretValue("old"))
    token = str(uuid.uuid4())
    new = provider.put_version(name, SecretValue("new"), token=token)
    provider.move_stage(name, Stage.CURRENT, to_version=token, from_version=old.version_id)
    provider.move_stage(name, Stage.PENDING, to_version=None, from_version=token)
    meta = provider.describe(name)
    assert meta.current_version == new.version_id
    previous = meta.version_for(Stage.PREVIOUS)
    assert previous is not None
    assert previous.version_id == old.version_id
    assert meta.version_for(Stage.PENDING) is None
    assert provider.get(name).value.reveal() == "new"


def test_move_stage_checks_from_version(provider_fixture: ProviderFixture) -> None:
    provider = _versioned(provider_fixture)
    name = _name("movecheck")
    first = provider.put(name, SecretValue("a"))
    second = provider.put(name, SecretValue("b"))
    with pytest.raises(ConflictError):
        provider.move_stage(
            name, Stage.CURRENT, to_version=first.version_id, from_version=first.version_id
        )
    assert provider.describe(name).current_version == second.version_id


def test_describe_never_holds_values(provider_fixture: ProviderFixture) -> None:
    provider = _versioned(provider_fixture)
    name = _name("describe")
    provider.put(name, SecretValue(SENTINEL))
    meta = provider.describe(name)
    assert meta.name == name
    assert len(meta.versions) == 1
    assert SENTINEL not in repr(meta)


def test_tags_merge_and_remove(provider_fixture: ProviderFixture) -> None:
    provider = _versioned(provider_fixture)
    name = _name("tags")
    provider.put(name, SecretValue("v"))
    provider.set_tags(name, {"team": "shop", "rotator": "random"})
    provider.set_tags(name, {"rotator": ""})
    assert dict(provider.describe(name).tags) == {"team": "shop"}


def test_deleting_a_secret_already_scheduled_for_deletion_says_so(
    provider_fixture: ProviderFixture,
) -> None:
    provider = _writable(provider_fixture)
    name = _name("redelete")
    provider.put(name, SecretValue("v"))
    provider.delete(name, recovery_window=timedelta(days=30))
    first = (
        provider.describe(name).deletion_date if isinstance(provider, VersionedProvider) else None
    )
    with pytest.raises(SecretScheduledForDeletionError, match="restore"):
        provider.delete(name, recovery_window=timedelta(days=7))
    if isinstance(provider, VersionedProvider):
        assert provider.describe(name).deletion_date == first  # the schedule did not move
    provider.restore(name)
    assert provider.get(name).value.reveal() == "v"
