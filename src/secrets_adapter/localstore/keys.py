"""The master key: where it comes from (a base64 key, a key file, a passphrase) and how it is held.

A ``MasterKey`` is 32 raw bytes behind a masked ``repr`` that cannot be pickled. A passphrase
becomes a key through scrypt with a per-store random salt kept in the store's metadata; the salt
and cost parameters are not secret. Key files are created 0600 and refused when group or others
can read them, as ``ssh`` refuses a private key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from secrets_adapter.errors import ConfigurationError
from secrets_adapter.models import SecretValue

__all__ = [
    "KEY_BYTES",
    "KdfParams",
    "KeySource",
    "MasterKey",
    "PassphraseKey",
    "RawKey",
    "derive_key",
    "generate_master_key",
    "generate_salt",
    "parse_master_key",
    "read_key_file",
    "write_key_file",
]

KEY_BYTES = 32
SALT_BYTES = 16
_FILE_MODE = 0o600


class MasterKey:
    """The 32-byte key that wraps every data key; its bytes never show in a repr."""

    __slots__ = ("_key",)

    _key: bytes

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ConfigurationError(
                f"A master key is {KEY_BYTES} bytes (base64 of 32 random bytes); "
                f"this one is {len(key)} bytes."
            )
        object.__setattr__(self, "_key", bytes(key))

    def raw(self) -> bytes:
        """The key bytes, for the cipher only."""
        return self._key

    def encoded(self) -> str:
        """The key as base64 text: the form of ``SECRETS_ADAPTER_MASTER_KEY`` and key files."""
        return base64.b64encode(self._key).decode("ascii")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("MasterKey is immutable")

    def __repr__(self) -> str:
        return "MasterKey('**********')"

    def __reduce__(self) -> NoReturn:
        raise TypeError("MasterKey cannot be pickled")

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("MasterKey cannot be pickled")


@dataclass(frozen=True, slots=True, kw_only=True)
class KdfParams:
    """scrypt's cost parameters; stored beside the salt so they can be raised later."""

    n: int = 2**15
    r: int = 8
    p: int = 1

    def encode(self) -> str:
        return f"scrypt:n={self.n},r={self.r},p={self.p}"

    @classmethod
    def decode(cls, text: str) -> KdfParams:
        try:
            algorithm, _, rest = text.partition(":")
            fields = dict(item.split("=", 1) for item in rest.split(","))
            if algorithm != "scrypt":
                raise ValueError(algorithm)
            return cls(n=int(fields["n"]), r=int(fields["r"]), p=int(fields["p"]))
        except (ValueError, KeyError):
            raise ConfigurationError(
                f"The store's key-derivation parameters {text!r} are not understood."
            ) from None


@dataclass(frozen=True, slots=True)
class RawKey:
    """A master key given directly (environment variable, key file, generated)."""

    key: MasterKey


@dataclass(frozen=True, slots=True)
class PassphraseKey:
    """A passphrase; the key is derived with the store's salt when the store is opened."""

    passphrase: SecretValue


KeySource = RawKey | PassphraseKey


def generate_master_key() -> MasterKey:
    """A fresh random master key."""
    return MasterKey(secrets.token_bytes(KEY_BYTES))


def generate_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def parse_master_key(encoded: SecretValue | str) -> MasterKey:
    """Decode a base64 master key; errors describe the rule, never the text given."""
    text = encoded.reveal_text() if isinstance(encoded, SecretValue) else encoded
    raw: bytes | None = None
    with contextlib.suppress(binascii.Error, ValueError):
        raw = base64.b64decode(text.strip(), validate=True)
    if raw is not None:
        return MasterKey(raw)
    # frames: raised with no context (b64decode's frame holds the text) and the text gone from
    # this frame, since error reporters print every frame's locals
    del encoded, text
    raise ConfigurationError(
        "The master key is not valid base64: it must be base64 of 32 random bytes "
        "(generate one with `secrets-adapter init` or "
        "`python -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())'`)."
    )


def derive_key(passphrase: SecretValue, salt: bytes, params: KdfParams) -> MasterKey:
    """The master key for ``passphrase`` (scrypt; deliberately slow, about 0.1 s)."""
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=params.n, r=params.r, p=params.p)
    return MasterKey(kdf.derive(passphrase.reveal_bytes()))


def read_key_file(path: Path) -> MasterKey:
    """Load a base64 key file; refuse it when group or others may read it."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigurationError(f"The master key file {str(path)!r} does not exist.") from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise ConfigurationError(
            f"The master key file {str(path)!r} is readable by group or others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); run `chmod 600 {path}`."
        )
    data = path.read_bytes()
    if not data.isascii():  # checked, not caught: a UnicodeDecodeError would hold the key bytes
        raise ConfigurationError(
            f"The master key file {str(path)!r} must hold base64 text of 32 bytes."
        )
    return parse_master_key(data.decode("ascii"))


def write_key_file(path: Path, key: MasterKey) -> None:
    """Create ``path`` holding the key, mode 0600; never overwrite an existing file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    except FileExistsError:
        raise ConfigurationError(
            f"{str(path)!r} exists already; a key file is never overwritten."
        ) from None
    try:
        os.fchmod(fd, _FILE_MODE)
        os.write(fd, (key.encoded() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
