"""Authenticated metadata: stage labels, tags, deletion dates and the store's write counter.

Values are sealed with AES-GCM, but which version is ``current``, a secret's tags (its rotation
settings) and its deletion date are plain rows: someone who can write ``store.db`` without the
key could move ``current`` back to a retired version, one retired because it leaked. So each
secret's metadata carries an HMAC under a key derived from the master key, checked on every read
and before every write (a write never blesses a state it did not check), and the store keeps a
write counter (``generation``) under the same key, so that an operator who records the counter
outside the store can detect a whole-database rollback, which per-secret MACs cannot see.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import struct
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from secrets_adapter.errors import ConfigurationError, IntegrityError
from secrets_adapter.localstore import records
from secrets_adapter.localstore.keys import MasterKey
from secrets_adapter.localstore.storage import Transaction
from secrets_adapter.private_files import write_private_file

__all__ = [
    "GenerationFile",
    "check_secret",
    "reseal_all",
    "reseal_secret",
    "row_mac",
    "generation_mac",
    "new_secret_mac",
    "metadata_key",
    "read_generation",
    "secret_mac",
    "write_generation",
]

_MAC_INFO = b"secrets-adapter/metadata-mac/v1"
_GENERATION = "generation"
_GENERATION_MAC = "generation_mac"


def metadata_key(master: MasterKey, store_id: str) -> bytes:
    """The MAC key for one store: HKDF of the master key, bound to the store's id."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=_MAC_INFO + store_id.encode()
    ).derive(master.raw())


_LENGTH = struct.Struct(">I").pack


def _frame(*fields: bytes) -> bytes:
    return b"".join([part for field in fields for part in (_LENGTH(len(field)), field)])


_NO_TAGS = b"{}"  # json.dumps({}): what a new secret's tags are
_SECRET_FIELD = _LENGTH(6) + b"secret"
_NO_TAGS_FIELD = _LENGTH(2) + _NO_TAGS
_NO_DELETION_FIELD = _LENGTH(0)


def secret_mac(
    key: bytes,
    *,
    name: str,
    labels: Mapping[str, Iterable[str]],
    tags: Mapping[str, str],
    deletion_date: datetime | None,
) -> bytes:
    """The MAC over one secret's metadata: every version id in order with its stage labels,
    its tags and its deletion date."""
    versions = [
        _frame(version_id.encode(), *(stage.encode() for stage in sorted(stages)))
        for version_id, stages in labels.items()
    ]
    fields = (
        b"secret",
        name.encode(),
        _frame(*versions),
        json.dumps(dict(sorted(tags.items()))).encode() if tags else _NO_TAGS,
        b"" if deletion_date is None else deletion_date.isoformat().encode(),
    )
    return hmac.digest(key, _frame(*fields), hashlib.sha256)


def new_secret_mac(key: bytes, *, name: str, version_id: str, stage: str) -> bytes:
    """``secret_mac`` of a secret just created with one version holding ``stage``, no tags and
    no deletion date, framed by hand: a bulk import makes one per secret."""
    version = version_id.encode()
    label = stage.encode()
    entry = _LENGTH(len(version)) + version + _LENGTH(len(label)) + label
    versions = _LENGTH(len(entry)) + entry
    named = name.encode()
    message = b"".join(
        (
            _SECRET_FIELD,
            _LENGTH(len(named)),
            named,
            _LENGTH(len(versions)),
            versions,
            _NO_TAGS_FIELD,
            _NO_DELETION_FIELD,
        )
    )
    return hmac.digest(key, message, hashlib.sha256)


def row_mac(key: bytes, row: records.SecretRow, labels: Mapping[str, Iterable[str]]) -> bytes:
    """``secret_mac`` of a loaded row and its labels (``records.labels_of``)."""
    return secret_mac(
        key, name=row.name, labels=labels, tags=row.tags, deletion_date=row.deletion_date
    )


def check_secret(key: bytes, row: records.SecretRow, labels: Mapping[str, Iterable[str]]) -> None:
    """Raise ``IntegrityError`` unless the row's metadata carries its MAC."""
    if row.mac is None or not hmac.compare_digest(row.mac, row_mac(key, row, labels)):
        raise IntegrityError(
            f"The stage labels, tags or deletion date of secret {row.name!r} failed "
            "authentication: the store was modified outside secrets-adapter (someone may have "
            "moved 'current' to an old version). Restore the store from a backup.",
            secret_name=row.name,
            provider="local",
        )


def reseal_secret(tx: Transaction, key: bytes, name: str) -> None:
    """Store the MAC of the secret's metadata as it now is (after a checked write)."""
    row = records.load_secret(tx, name)
    if row is not None:
        records.set_mac(tx, name, row_mac(key, row, records.labels_of(tx, name)))


def reseal_all(tx: Transaction, key: bytes) -> int:
    """MAC every secret's metadata under ``key`` (a new master key, or an upgrade)."""
    names = records.all_secret_names(tx)
    for name in names:
        reseal_secret(tx, key, name)
    return len(names)


def generation_mac(key: bytes, generation: int) -> bytes:
    """The MAC over the store's write counter."""
    return hmac.digest(key, _frame(b"generation", str(generation).encode()), hashlib.sha256)


def read_generation(tx: Transaction, key: bytes, folder: Path) -> int:
    """The store's write counter, checked against its MAC."""
    raw, mac = tx.meta(_GENERATION), tx.meta(_GENERATION_MAC)
    generation = int(raw.decode()) if raw is not None and raw.isdigit() else -1
    if (
        mac is None
        or generation < 0
        or not hmac.compare_digest(mac, generation_mac(key, generation))
    ):
        raise IntegrityError(
            f"The write counter of the store at {str(folder)!r} failed authentication: the "
            "store was modified outside secrets-adapter. Restore it from a backup.",
            provider="local",
        )
    return generation


def write_generation(tx: Transaction, key: bytes, generation: int) -> None:
    tx.set_meta(_GENERATION, str(generation).encode())
    tx.set_meta(_GENERATION_MAC, generation_mac(key, generation))


class GenerationFile:
    """The highest write counter seen, kept by the operator outside the store (beside the audit
    log, say): a store whose counter is lower was rolled back to an older copy."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def recorded(self) -> int:
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return -1
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(
                f"Cannot read the store's generation file {str(self.path)!r} ({exc}); fix its "
                "permissions, or remove it only if you know the store was not rolled back."
            ) from None
        if not text.isdigit():
            raise IntegrityError(
                f"The generation file {str(self.path)!r} does not hold a number; restore it.",
                provider="local",
            )
        return int(text)

    def check(self, generation: int, folder: Path) -> None:
        recorded = self.recorded()
        if generation < recorded:
            raise IntegrityError(
                f"The store at {str(folder)!r} was rolled back: its write counter is "
                f"{generation}, but {str(self.path)!r} recorded {recorded}. An older copy of "
                "the database is in place (values, stages and retired keys may be old); "
                "restore the newest backup.",
                provider="local",
            )

    def record(self, generation: int) -> None:
        """Raise the recorded counter to ``generation`` (never lower it), atomically."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.recorded() >= generation:
                return
            write_private_file(self.path, f"{generation}\n".encode(), overwrite=True)
