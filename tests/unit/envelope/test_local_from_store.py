"""``LocalEnvelope.from_store``: the envelope key lives in the store, so master-key rotation keeps
old blobs readable and a new version of the key secret is a key rotation."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from secrets_adapter import PolicyDeniedError, SecretsAdapter
from secrets_adapter.envelope.local import ENVELOPE_KEY_SECRET, LocalEnvelope, local_key_id
from secrets_adapter.errors import ConfigurationError, IntegrityError, SecretNotFoundError
from secrets_adapter.localstore import RawKey, generate_master_key, init_store, rotate_master_key
from secrets_adapter.models import Secret, SecretValue, Stage
from secrets_adapter.providers.env import EnvProvider
from secrets_adapter.providers.local import LocalProvider
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL_BYTES

CONTEXT = {"table": "orders", "column": "card"}


def _open(folder: Path, key: str) -> LocalProvider:
    return LocalProvider.open(folder, master_key=key)


def test_first_use_creates_the_key_and_later_opens_reuse_it(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    init_store(folder)
    with LocalProvider.open(folder) as provider:
        blob = LocalEnvelope.from_store(provider).encrypt(SENTINEL_BYTES, CONTEXT)
        stored = provider.get(ENVELOPE_KEY_SECRET)
        assert stored.value.is_binary
        assert len(stored.value) == 32
    with LocalProvider.open(folder) as reopened:
        assert LocalEnvelope.from_store(reopened).decrypt(blob, CONTEXT) == SENTINEL_BYTES
        assert len(reopened.describe(ENVELOPE_KEY_SECRET).versions) == 1


def test_blobs_survive_a_master_key_rotation(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    old_key, new_key = generate_master_key(), generate_master_key()
    init_store(folder, master_key=old_key.encoded())
    with _open(folder, old_key.encoded()) as provider:
        blob = LocalEnvelope.from_store(provider).encrypt(SENTINEL_BYTES, CONTEXT)
    rotate_master_key(folder, old=RawKey(old_key), new=RawKey(new_key))
    with _open(folder, new_key.encoded()) as provider:
        assert LocalEnvelope.from_store(provider).decrypt(blob, CONTEXT) == SENTINEL_BYTES


def test_a_new_key_version_encrypts_and_older_versions_still_decrypt() -> None:
    provider = InMemoryProvider()
    before = LocalEnvelope.from_store(provider)
    old_blob = before.encrypt(b"old", CONTEXT)
    provider.put(ENVELOPE_KEY_SECRET, SecretValue(os.urandom(32)))
    after = LocalEnvelope.from_store(provider)
    assert after.key_id != before.key_id
    assert after.decrypt(old_blob, CONTEXT) == b"old"
    assert after.decrypt(after.encrypt(b"new", CONTEXT), CONTEXT) == b"new"


def test_a_key_secret_that_is_not_32_bytes_is_refused() -> None:
    provider = InMemoryProvider({ENVELOPE_KEY_SECRET: b"short"})
    with pytest.raises(IntegrityError, match="not an envelope key"):
        LocalEnvelope.from_store(provider)


def test_a_backend_without_versions_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="no versions"):
        LocalEnvelope.from_store(EnvProvider(env_file=None, include_environ=False))


class _LosesTheRace(InMemoryProvider):
    """Another process stores its key between our read (not found) and our write."""

    def __init__(self, their_key: bytes) -> None:
        super().__init__()
        self._their_key: bytes | None = their_key

    def get(self, name: str, **options: Any) -> Secret:
        if self._their_key is not None:
            theirs, self._their_key = self._their_key, None
            self.put_version(
                name,
                SecretValue(theirs),
                token="secrets-adapter-envelope-key-first-version",
                stage=Stage.CURRENT,
            )
            raise SecretNotFoundError(f"Secret {name!r} not found.", secret_name=name)
        return super().get(name, **options)


def test_two_processes_creating_the_key_at_once_agree_on_one() -> None:
    their_key = os.urandom(32)
    envelope = LocalEnvelope.from_store(_LosesTheRace(their_key))
    assert envelope.key_id == local_key_id(their_key)


def test_through_an_adapter_the_key_is_read_and_created_under_its_policy_and_log(
    tmp_path: Path,
) -> None:
    provider = InMemoryProvider()
    log = tmp_path / "audit.jsonl"
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[statement]]\neffect = "allow"\nprincipals = ["app"]\n'
        f'actions = ["read", "write"]\nsecrets = ["{ENVELOPE_KEY_SECRET}"]\n'
    )
    with SecretsAdapter(provider=provider, principal="app", policy=policy, audit_log=log) as app:
        first = LocalEnvelope.from_adapter(app)
        blob = first.encrypt(SENTINEL_BYTES, CONTEXT)
        app.put_secret(ENVELOPE_KEY_SECRET, SecretValue(os.urandom(32)))  # a new key version
        second = LocalEnvelope.from_adapter(app)
        assert second.key_id != first.key_id
        assert second.decrypt(blob, CONTEXT) == SENTINEL_BYTES
    other = SecretsAdapter(provider=provider, principal="other", policy=policy)
    with other, pytest.raises(PolicyDeniedError):
        LocalEnvelope.from_adapter(other)
    events = [json.loads(line)["eventName"] for line in log.read_text().splitlines()]
    assert events == [
        "GetSecretValue",  # not found yet
        "PutSecretValue",  # created
        "GetSecretValue",
        "PutSecretValue",
        "GetSecretValue",
    ]
