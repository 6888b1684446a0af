"""The embedded encrypted store: envelope encryption, SQLite storage, master-key rotation.

``init_store`` creates a store, ``rotate_master_key`` re-wraps its data keys under a new master
key; ``secrets_adapter.providers.local.LocalProvider`` reads and writes secrets in it.
"""

from secrets_adapter.localstore.keys import (
    KeySource,
    MasterKey,
    PassphraseKey,
    RawKey,
    generate_master_key,
    parse_master_key,
    read_key_file,
    write_key_file,
)
from secrets_adapter.localstore.lifecycle import (
    InitResult,
    init_store,
    key_source_from_settings,
    rotate_master_key,
)
from secrets_adapter.localstore.storage import DB_FILE, KEY_FILE

__all__ = [
    "DB_FILE",
    "KEY_FILE",
    "InitResult",
    "KeySource",
    "MasterKey",
    "PassphraseKey",
    "RawKey",
    "generate_master_key",
    "init_store",
    "key_source_from_settings",
    "parse_master_key",
    "read_key_file",
    "rotate_master_key",
    "write_key_file",
]
