"""Master keys: parsing, key files (0600, refused when too open), passphrase derivation."""

from __future__ import annotations

import base64
import pickle
import stat
from pathlib import Path

import pytest

from secrets_adapter.errors import ConfigurationError
from secrets_adapter.localstore.keys import (
    KdfParams,
    MasterKey,
    derive_key,
    generate_master_key,
    parse_master_key,
    read_key_file,
    write_key_file,
)
from secrets_adapter.models import SecretValue
from tests.sentinel import SENTINEL

FAST = KdfParams(n=2**10)


def test_parse_round_trips_the_base64_form() -> None:
    key = generate_master_key()
    assert parse_master_key(key.encoded()).raw() == key.raw()
    assert parse_master_key(SecretValue(key.encoded() + "\n")).raw() == key.raw()


def test_generated_keys_differ() -> None:
    assert generate_master_key().raw() != generate_master_key().raw()


def test_non_base64_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError, match="not valid base64") as info:
        parse_master_key(SecretValue(SENTINEL))
    assert SENTINEL not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None  # b64decode's frame holds the text: not chained


def test_key_of_the_wrong_length_is_refused() -> None:
    short = base64.b64encode(b"k" * 16).decode()
    with pytest.raises(ConfigurationError, match="32 bytes"):
        parse_master_key(short)


def test_master_key_hides_its_bytes_and_cannot_be_pickled() -> None:
    key = generate_master_key()
    assert key.encoded() not in repr(key)
    assert repr(key) == "MasterKey('**********')"
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(AttributeError):
        key._key = b"x" * 32


def test_key_file_is_created_0600_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    key = generate_master_key()
    write_key_file(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_key_file(path).raw() == key.raw()
    with pytest.raises(ConfigurationError, match="never overwritten"):
        write_key_file(path, generate_master_key())
    assert read_key_file(path).raw() == key.raw()


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    write_key_file(path, generate_master_key())
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        read_key_file(path)


def test_missing_key_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        read_key_file(tmp_path / "absent.key")


def test_key_file_with_garbage_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    path.write_text(SENTINEL)
    path.chmod(0o600)
    with pytest.raises(ConfigurationError) as info:
        read_key_file(path)
    assert SENTINEL not in str(info.value)


def test_passphrase_derivation_depends_on_passphrase_and_salt() -> None:
    passphrase = SecretValue("correct horse battery staple")
    first = derive_key(passphrase, b"s" * 16, FAST)
    assert derive_key(passphrase, b"s" * 16, FAST).raw() == first.raw()
    assert derive_key(passphrase, b"t" * 16, FAST).raw() != first.raw()
    assert derive_key(SecretValue("another passphrase"), b"s" * 16, FAST).raw() != first.raw()


def test_kdf_params_round_trip_and_reject_unknown_text() -> None:
    params = KdfParams(n=2**14, r=8, p=2)
    assert KdfParams.decode(params.encode()) == params
    with pytest.raises(ConfigurationError, match="not understood"):
        KdfParams.decode("argon2:m=1")
    with pytest.raises(ConfigurationError):
        KdfParams.decode("scrypt:n=x")


def test_master_key_requires_32_bytes() -> None:
    with pytest.raises(ConfigurationError):
        MasterKey(b"short")
