"""The ``keyring`` rotator and ``adapter.keyring``: data encrypted before any number of
rotations decrypts until its key is retired; the app still reads the plain key it had."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from secrets_adapter import (
    ConfigurationError,
    DecryptionError,
    KeyRing,
    RotationError,
    SecretsAdapter,
    SecretValue,
    Stage,
    ValidationError,
)
from secrets_adapter.rotation.rotators.keyring import key_id_for
from secrets_adapter.rotation.schedule import rotation_config_tags
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL
from tests.unit.rotation.helpers import FakeClock, Ticker

NAME = "gaara/prod/encryption-key"
MIGRATED = "ZGVtby1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy1vayE="  # the demo's ENCRYPTION_KEY


def _adapter(options: dict[str, str] | None = None) -> tuple[SecretsAdapter, FakeClock]:
    clock = FakeClock()
    provider = InMemoryProvider({NAME: MIGRATED}, clock=clock)
    provider.set_tags(
        NAME, rotation_config_tags(rotator="keyring", every=None, options=options or {})
    )
    return SecretsAdapter(provider=provider, clock=clock), clock


def test_data_from_before_five_rotations_still_decrypts() -> None:
    adapter, clock = _adapter()
    ring = adapter.keyring(NAME)
    tokens = [ring.encrypt(b"order 0 under the migrated key")]
    for n in range(1, 6):
        clock.advance(timedelta(days=30))
        adapter.rotate_secret(NAME)
        tokens.append(ring.encrypt(f"order {n}".encode()))
    assert len(adapter.keyring(NAME).ring.keys) == 6
    assert ring.decrypt(tokens[0]) == b"order 0 under the migrated key"
    assert [ring.decrypt(t) for t in tokens[1:]] == [f"order {n}".encode() for n in range(1, 6)]
    assert len({ring.key_id(t) for t in tokens}) == 6


def test_the_migrated_string_is_the_first_key_and_get_secret_value_stays_a_plain_key() -> None:
    adapter, _clock = _adapter()
    ring = adapter.keyring(NAME)
    before = ring.encrypt(b"x")
    assert ring.key_id(before) == key_id_for(MIGRATED)
    assert adapter.get_secret_value(NAME) == MIGRATED
    adapter.rotate_secret(NAME)
    current = adapter.get_secret_value(NAME)
    assert current != MIGRATED and len(base64.b64decode(current)) == 32  # what the app expects
    assert adapter.keyring(NAME).primary_key_id == key_id_for(current)
    assert "keys" in adapter.get_secret(NAME)  # the typed read sees the whole set
    assert ring.decrypt(before) == b"x"


def test_reencrypt_moves_a_token_to_the_primary_key() -> None:
    adapter, _clock = _adapter()
    ring = adapter.keyring(NAME)
    old = ring.encrypt(b"address", associated_data=b"order:1")
    adapter.rotate_secret(NAME)
    moved = ring.reencrypt(old, associated_data=b"order:1")
    assert ring.key_id(moved) == ring.primary_key_id != ring.key_id(old)
    assert ring.decrypt(moved, associated_data=b"order:1") == b"address"
    assert ring.reencrypt(moved, associated_data=b"order:1") == moved
    with pytest.raises(DecryptionError, match="associated data"):
        ring.decrypt(moved, associated_data=b"order:2")


def test_retire_refuses_the_primary_and_keys_still_in_use_unless_forced() -> None:
    adapter, _clock = _adapter()
    ring = adapter.keyring(NAME)
    old_token = ring.encrypt(b"still here")
    old_id = ring.key_id(old_token)
    adapter.rotate_secret(NAME)
    with pytest.raises(ValidationError, match="primary key"):
        adapter.retire_key(NAME, ring.primary_key_id)
    with pytest.raises(ValidationError, match="still protects 1"):
        adapter.retire_key(NAME, old_id, still_in_use=[old_token])
    assert ring.decrypt(old_token) == b"still here"
    moved = ring.reencrypt(old_token)
    adapter.retire_key(NAME, old_id, still_in_use=[moved])  # nothing needs it any more
    assert [key.id for key in adapter.keyring(NAME).ring.keys] == [ring.primary_key_id]
    assert ring.decrypt(moved) == b"still here"
    with pytest.raises(DecryptionError, match="retired"):
        ring.decrypt(old_token)
    # the retire is a new version: the previous one still holds the key (a rollback restores it)
    previous = adapter.get(NAME, stage=Stage.PREVIOUS).value
    assert old_id in KeyRing.from_value(previous).by_id()


def test_retire_with_force_drops_a_key_in_use() -> None:
    adapter, _clock = _adapter()
    ring = adapter.keyring(NAME)
    token = ring.encrypt(b"x")
    adapter.rotate_secret(NAME)
    adapter.retire_key(NAME, ring.key_id(token), still_in_use=[token], force=True)
    with pytest.raises(DecryptionError):
        ring.decrypt(token)


def test_retirement_by_count_and_age_never_drops_the_last_primary() -> None:
    adapter, clock = _adapter({"keep": "3"})
    for _ in range(5):
        adapter.rotate_secret(NAME)
    assert len(adapter.keyring(NAME).ring.keys) == 3
    aged, clock = _adapter({"retire-after": "60d"})
    ring = aged.keyring(NAME)
    first = ring.encrypt(b"first")
    for _ in range(4):
        clock.advance(timedelta(days=30))
        aged.rotate_secret(NAME)
    ids = [key.id for key in aged.keyring(NAME).ring.keys]
    assert ring.key_id(first) not in ids  # replaced 120 days ago
    assert len(ids) == 3  # replaced 30 and 60-minus days ago, and the primary


def test_keep_below_two_is_refused() -> None:
    adapter, _clock = _adapter({"keep": "1"})
    with pytest.raises(RotationError, match="create") as refused:
        adapter.rotate_secret(NAME)
    assert isinstance(refused.value.__cause__, ConfigurationError)
    assert "at least 2" in refused.value.__cause__.message
    assert adapter.get_secret_value(NAME) == MIGRATED


def test_tampered_or_foreign_tokens_are_refused_without_values() -> None:
    adapter, _clock = _adapter()
    ring = adapter.keyring(NAME)
    token = bytearray(ring.encrypt(SENTINEL.encode()))
    token[-1] ^= 1
    with pytest.raises(DecryptionError) as tampered:
        ring.decrypt(bytes(token))
    assert SENTINEL not in str(tampered.value)
    with pytest.raises(DecryptionError, match="not a keyring token"):
        ring.decrypt(b"\x02garbage")
    assert MIGRATED not in repr(ring) + repr(ring.ring) + repr(ring.ring.keys)


def test_a_rotation_by_another_process_is_picked_up_on_an_unknown_key_id() -> None:
    clock = FakeClock()
    provider = InMemoryProvider({NAME: MIGRATED}, clock=clock)
    provider.set_tags(NAME, rotation_config_tags(rotator="keyring", every=None, options={}))
    writer = SecretsAdapter(provider=provider, clock=clock)
    ticker = Ticker()
    reader = SecretsAdapter(provider=provider, clock=clock, monotonic_clock=ticker)
    reader.keyring(NAME).encrypt(b"warm the reader's cache")
    writer.rotate_secret(NAME)
    ticker.now += 1  # the cache's minimum interval between forced refreshes
    token = writer.keyring(NAME).encrypt(b"new")
    assert reader.keyring(NAME).decrypt(token) == b"new"
    assert SecretValue(MIGRATED) != SecretValue(writer.get_secret_value(NAME))
