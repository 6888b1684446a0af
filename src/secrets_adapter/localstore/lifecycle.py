"""Create a store, open it with its master key, rotate that key.

The store's metadata holds its random id (bound into every ciphertext), the kind of master key
(``raw`` or ``passphrase``), scrypt's salt and parameters for a passphrase, and a key-check value:
a wrong key is refused with ``IntegrityError`` before any secret is read.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from secrets_adapter.config import LocalSettings
from secrets_adapter.errors import (
    ConfigurationError,
    ConflictError,
    IntegrityError,
    ValidationError,
)
from secrets_adapter.localstore import records
from secrets_adapter.localstore.envelope import (
    Binding,
    Sealed,
    make_key_check,
    rewrap,
    seal,
    unseal,
    verify_key_check,
)
from secrets_adapter.localstore.keys import (
    KdfParams,
    KeySource,
    MasterKey,
    PassphraseKey,
    RawKey,
    derive_key,
    generate_master_key,
    generate_salt,
    parse_master_key,
    read_key_file,
    write_key_file,
)
from secrets_adapter.localstore.metadata import (
    check_secret,
    metadata_key,
    read_generation,
    reseal_all,
    write_generation,
)
from secrets_adapter.localstore.storage import (
    DB_FILE,
    KEY_FILE,
    SCHEMA_VERSION,
    Store,
    Transaction,
)
from secrets_adapter.models import SecretValue

__all__ = [
    "InitResult",
    "OpenedStore",
    "init_store",
    "key_source_from_settings",
    "open_store",
    "rotate_master_key",
]

_RAW, _PASSPHRASE = b"raw", b"passphrase"
MIN_PASSPHRASE_LENGTH = 12


_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class InitResult:
    """What ``init_store`` created."""

    folder: Path
    database: Path
    key_file: Path | None
    key_kind: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenedStore:
    """A store whose master key has been checked: seals and opens values."""

    store: Store
    store_id: str
    master_key: MasterKey = field(repr=False)
    metadata_key: bytes = field(repr=False)  # MACs labels, tags, deletion dates, the counter

    def seal(self, *, name: str, version_id: str, data: bytes, binary: bool) -> Sealed:
        binding = Binding(store_id=self.store_id, name=name, version_id=version_id, binary=binary)
        return seal(self.master_key, binding, data)

    def unseal(self, row: records.VersionRow) -> bytes:
        binding = Binding(
            store_id=self.store_id, name=row.name, version_id=row.version_id, binary=row.binary
        )
        return unseal(self.master_key, binding, row.sealed)

    def close(self) -> None:
        self.store.close()


def key_source_from_settings(settings: LocalSettings) -> KeySource | None:
    """The key the settings name: a base64 key, a key file, a passphrase, else ``master.key``."""
    if settings.master_key is not None:
        return RawKey(parse_master_key(settings.master_key))
    if settings.master_key_file is not None:
        return RawKey(read_key_file(settings.master_key_file))
    if settings.passphrase is not None:
        return PassphraseKey(settings.passphrase)
    default_file = settings.path / KEY_FILE
    if default_file.exists():
        return RawKey(read_key_file(default_file))
    return None


def _text(tx: Transaction, key: str) -> str:
    value = tx.meta(key)
    if value is None:
        raise IntegrityError(
            f"The store's metadata lacks {key!r}: it is damaged; restore it from a backup.",
            provider="local",
        )
    return value.decode()


def _master_for(tx: Transaction, source: KeySource) -> MasterKey:
    if isinstance(source, RawKey):
        return source.key
    salt = tx.meta("kdf_salt")
    if salt is None:
        raise IntegrityError(
            "This store's master key is a raw key, not a passphrase: set "
            "SECRETS_ADAPTER_MASTER_KEY or SECRETS_ADAPTER_MASTER_KEY_FILE instead.",
            provider="local",
        )
    return derive_key(source.passphrase, salt, KdfParams.decode(_text(tx, "kdf_params")))


def _checked_master(tx: Transaction, folder: Path, source: KeySource) -> tuple[str, MasterKey]:
    store_id = _text(tx, "store_id")
    master = _master_for(tx, source)
    key_check = tx.meta("key_check")
    if key_check is None or not verify_key_check(master, store_id, key_check):
        kind = "a passphrase" if tx.meta("key_kind") == _PASSPHRASE else "a raw base64 key"
        raise IntegrityError(
            f"Wrong master key for the store at {str(folder)!r}: the key check failed "
            f"(this store's key is {kind}). Check SECRETS_ADAPTER_MASTER_KEY, the key file or "
            "the passphrase; after `rotate-master-key` only the new key opens the store.",
            provider="local",
        )
    return store_id, master


def _no_key_error(folder: Path) -> ConfigurationError:
    return ConfigurationError(
        f"No master key for the store at {str(folder)!r}: set SECRETS_ADAPTER_MASTER_KEY, "
        f"SECRETS_ADAPTER_MASTER_KEY_FILE or SECRETS_ADAPTER_PASSPHRASE (read by the CLI and "
        f"SecretsAdapter.from_env(); the SecretsAdapter constructor takes master_key=), or put "
        f"the key file at {str(folder / KEY_FILE)!r}."
    )


def open_store(folder: Path, source: KeySource | None) -> OpenedStore:
    """Open the store in ``folder`` and prove ``source`` is its key before anything is read."""
    _refuse_shared_folder(folder)
    store = Store.open(folder)
    try:
        if source is None:
            raise _no_key_error(folder)
        with store.read() as tx:
            store_id, master = _checked_master(tx, folder, source)
        mac_key = metadata_key(master, store_id)
        if store.upgrade_from is not None:
            _upgrade(store, folder, mac_key)
    except BaseException:
        store.close()
        raise
    return OpenedStore(store=store, store_id=store_id, master_key=master, metadata_key=mac_key)


def _upgrade(store: Store, folder: Path, mac_key: bytes) -> None:
    """Bring a schema-1 store (no metadata MACs) to the current schema. The MACs bless the
    metadata as it is found: the upgrade is logged, since tampering before it goes unseen."""
    with store.write() as tx:
        if tx.meta("schema_version") != SCHEMA_VERSION.encode():
            tx.execute("ALTER TABLE secrets ADD COLUMN mac BLOB")
            count = reseal_all(tx, mac_key)
            write_generation(tx, mac_key, 0)
            tx.set_meta("schema_version", SCHEMA_VERSION.encode())
            _log.warning(
                "upgraded the store at %s to schema %s: the stage labels, tags and deletion "
                "dates of its %d secrets are now authenticated as they were found",
                folder,
                SCHEMA_VERSION,
                count,
            )
    store.upgrade_from = None


def _refuse_shared_folder(folder: Path) -> None:
    """A store folder that group or others can write lets them swap ``store.db`` or the key
    file for their own: refused rather than trusted."""
    try:
        mode = folder.stat().st_mode
    except OSError:
        return  # Store.open says what is missing
    if mode & 0o022:
        who = " and ".join(w for w, bit in (("group", 0o020), ("others", 0o002)) if mode & bit)
        raise ConfigurationError(
            f"The store folder {str(folder)!r} can be written by {who} (mode "
            f"{mode & 0o777:o}): they could replace the database or the key file. Run "
            f"`chmod 700 {folder}` (init creates it 0700)."
        )


def _check_passphrase(passphrase: SecretValue) -> None:
    if len(passphrase.reveal_text()) < MIN_PASSPHRASE_LENGTH:
        raise ValidationError(
            f"A passphrase is at least {MIN_PASSPHRASE_LENGTH} characters; "
            "a short one is guessed offline from a copy of the store."
        )


def _write_key_meta(tx: Transaction, store_id: str, source: KeySource) -> MasterKey:
    """Record how ``source`` becomes the key (fresh salt for a passphrase) and its key check."""
    if isinstance(source, RawKey):
        master = source.key
        tx.set_meta("key_kind", _RAW)
        tx.delete_meta("kdf_salt")
        tx.delete_meta("kdf_params")
    else:
        _check_passphrase(source.passphrase)
        salt, params = generate_salt(), KdfParams()
        master = derive_key(source.passphrase, salt, params)
        tx.set_meta("key_kind", _PASSPHRASE)
        tx.set_meta("kdf_salt", salt)
        tx.set_meta("kdf_params", params.encode().encode())
    tx.set_meta("key_check", make_key_check(master, store_id))
    return master


def _init_source(
    master_key: SecretValue | str | None, passphrase: SecretValue | str | None
) -> KeySource | None:
    if master_key is not None and passphrase is not None:
        raise ConfigurationError("Give a master key or a passphrase, not both.")
    if master_key is not None:
        return RawKey(parse_master_key(master_key))
    if passphrase is not None:
        value = SecretValue(passphrase)
        _check_passphrase(value)
        return PassphraseKey(value)
    return None


def init_store(
    path: str | os.PathLike[str],
    *,
    master_key: SecretValue | str | None = None,
    passphrase: SecretValue | str | None = None,
) -> InitResult:
    """Create a store: folder 0700, database 0600, and ``master.key`` 0600 if no key is given.

    An existing store is never re-initialised (its secrets would be lost to a new key).
    """
    folder = Path(path)
    source = _init_source(master_key, passphrase)
    if (folder / DB_FILE).exists():
        raise _exists_error(folder)
    key_file = folder / KEY_FILE
    if source is None and key_file.exists():
        raise ConflictError(
            f"{str(key_file)!r} exists but there is no store beside it; move the key file "
            "away (it may be the only copy of a key) and run init again.",
            provider="local",
        )
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot create the store folder {str(folder)!r}: {exc.strerror}."
        ) from exc
    written_key_file: Path | None = None
    if source is None:
        generated = generate_master_key()
        write_key_file(key_file, generated)
        written_key_file, source = key_file, RawKey(generated)
    try:
        _create_database(folder, source)
    except BaseException:
        if written_key_file is not None:
            written_key_file.unlink(missing_ok=True)
        raise
    return InitResult(
        folder=folder,
        database=folder / DB_FILE,
        key_file=written_key_file,
        key_kind="passphrase" if isinstance(source, PassphraseKey) else "raw",
    )


def _database_files(folder: Path) -> tuple[Path, ...]:
    return tuple(folder / f"{DB_FILE}{suffix}" for suffix in ("", "-wal", "-shm"))


def _exists_error(folder: Path) -> ConflictError:
    return ConflictError(
        f"A store exists already at {str(folder)!r}; it is never re-initialised. "
        "Use `secrets-adapter rotate-master-key` to change its key.",
        provider="local",
    )


def _create_database(folder: Path, source: KeySource) -> None:
    """Create the database with its metadata; a half-made database is removed again."""
    try:
        store = Store.create(folder)
    except FileExistsError:
        raise _exists_error(folder) from None
    try:
        with store.write() as tx:
            store_id = str(uuid.uuid4())
            tx.set_meta("store_id", store_id.encode())
            master = _write_key_meta(tx, store_id, source)
            write_generation(tx, metadata_key(master, store_id), 0)
    except BaseException:
        store.close()
        for leftover in _database_files(folder):
            leftover.unlink(missing_ok=True)
        raise
    store.close()


def rotate_master_key(path: str | os.PathLike[str], *, old: KeySource, new: KeySource) -> int:
    """Re-wrap every data key from ``old`` to ``new`` in one transaction; values are untouched.

    Returns the number of versions re-wrapped. If anything fails (wrong old key, a tampered
    row), nothing changes. Afterwards only ``new`` opens the store.
    """
    folder = Path(path)
    store = Store.open(folder)
    try:
        if store.upgrade_from is not None:
            with store.read() as tx:
                store_id, old_master = _checked_master(tx, folder, old)
            _upgrade(store, folder, metadata_key(old_master, store_id))
        with store.write() as tx:
            store_id, old_master = _checked_master(tx, folder, old)
            new_master = _write_key_meta(tx, store_id, new)
            versions = records.all_versions(tx)
            for row in versions:
                binding = Binding(
                    store_id=store_id, name=row.name, version_id=row.version_id, binary=row.binary
                )
                wrapped = rewrap(old_master, new_master, binding, row.sealed.wrapped_key)
                records.set_wrapped_key(tx, row.name, row.version_id, wrapped)
            old_mac_key = metadata_key(old_master, store_id)
            for name in records.all_secret_names(tx):
                loaded = records.load_secret(tx, name)
                if loaded is not None:  # checked under the old key before the new one blesses it
                    check_secret(old_mac_key, loaded, records.labels_of(tx, name))
            new_mac_key = metadata_key(new_master, store_id)
            reseal_all(tx, new_mac_key)
            write_generation(tx, new_mac_key, read_generation(tx, old_mac_key, folder) + 1)
    finally:
        store.close()
    return len(versions)
