"""Typed reads and writes of the store's rows, inside a caller's transaction.

Stage labels are plain strings here; the provider maps them to ``Stage`` and applies the stage
rules (``providers.staging``). Times are integer microseconds since the epoch, UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from secrets_adapter.errors import IntegrityError
from secrets_adapter.localstore.envelope import Sealed
from secrets_adapter.localstore.storage import Transaction

__all__ = [
    "SecretRow",
    "VersionRow",
    "all_versions",
    "delete_secret",
    "delete_versions",
    "from_micros",
    "insert_secret",
    "insert_version",
    "labels_of",
    "live_names",
    "load_secret",
    "load_version",
    "purge_expired",
    "replace_labels",
    "set_deletion",
    "set_tags",
    "set_wrapped_key",
    "to_micros",
    "touch",
    "versions_of",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    return _EPOCH + micros * _MICROSECOND


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretRow:
    name: str
    created_at: datetime
    updated_at: datetime
    deletion_date: datetime | None
    tags: dict[str, str]
    mac: bytes | None  # over labels, tags and deletion date (see localstore.metadata)


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionRow:
    name: str
    version_id: str
    created_at: datetime
    binary: bool
    sealed: Sealed


_NAMES_PER_QUERY = 500


def load_secret(tx: Transaction, name: str) -> SecretRow | None:
    row = tx.one(
        "SELECT created_at, updated_at, deletion_date, tags, mac FROM secrets WHERE name = ?",
        (name,),
    )
    if row is None:
        return None
    created, updated, deletion, tags, mac = row
    return SecretRow(
        name=name,
        created_at=from_micros(created),
        updated_at=from_micros(updated),
        deletion_date=None if deletion is None else from_micros(deletion),
        tags=dict(json.loads(tags)),
        mac=mac if isinstance(mac, bytes) else None,
    )


def set_mac(tx: Transaction, name: str, mac: bytes) -> None:
    tx.execute("UPDATE secrets SET mac = ? WHERE name = ?", (mac, name))


def all_secret_names(tx: Transaction) -> list[str]:
    """Every secret's name, scheduled for deletion or not."""
    return [row[0] for row in tx.all("SELECT name FROM secrets ORDER BY name")]


def existing_names(tx: Transaction, names: Sequence[str]) -> set[str]:
    """Which of ``names`` have a row (live or scheduled for deletion): one query per 500."""
    found: set[str] = set()
    for start in range(0, len(names), _NAMES_PER_QUERY):
        chunk = names[start : start + _NAMES_PER_QUERY]
        marks = ", ".join("?" * len(chunk))
        found.update(
            row[0]
            for row in tx.all(f"SELECT name FROM secrets WHERE name IN ({marks})", chunk)  # noqa: S608 - only placeholders are formatted in
        )
    return found


def insert_secret(tx: Transaction, name: str, now: datetime) -> None:
    tx.execute(
        "INSERT INTO secrets (name, created_at, updated_at) VALUES (?, ?, ?)",
        (name, to_micros(now), to_micros(now)),
    )


def touch(tx: Transaction, name: str, now: datetime) -> None:
    tx.execute("UPDATE secrets SET updated_at = ? WHERE name = ?", (to_micros(now), name))


def set_tags(tx: Transaction, name: str, tags: Mapping[str, str]) -> None:
    tx.execute(
        "UPDATE secrets SET tags = ? WHERE name = ?",
        (json.dumps(dict(sorted(tags.items()))), name),
    )


def set_deletion(tx: Transaction, name: str, deletion_date: datetime | None) -> None:
    when = None if deletion_date is None else to_micros(deletion_date)
    tx.execute("UPDATE secrets SET deletion_date = ? WHERE name = ?", (when, name))


def delete_secret(tx: Transaction, name: str) -> None:
    """Remove a secret with all its versions and stages (foreign keys cascade)."""
    tx.execute("DELETE FROM secrets WHERE name = ?", (name,))


def purge_expired(tx: Transaction, now: datetime) -> int:
    """Delete for good the secrets whose recovery window has passed."""
    return tx.execute(
        "DELETE FROM secrets WHERE deletion_date IS NOT NULL AND deletion_date <= ?",
        (to_micros(now),),
    )


def live_names(tx: Transaction, prefix: str) -> list[str]:
    rows = tx.all(
        "SELECT name FROM secrets WHERE deletion_date IS NULL AND substr(name, 1, ?) = ? "
        "ORDER BY name",
        (len(prefix), prefix),
    )
    return [row[0] for row in rows]


def insert_version(tx: Transaction, row: VersionRow) -> None:
    tx.execute(
        "INSERT INTO versions (name, version_id, created_at, is_binary, wrapped_key, nonce, "
        "ciphertext) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            row.name,
            row.version_id,
            to_micros(row.created_at),
            int(row.binary),
            row.sealed.wrapped_key,
            row.sealed.nonce,
            row.sealed.ciphertext,
        ),
    )


def insert_new_secrets(
    tx: Transaction, rows: Sequence[tuple[VersionRow, bytes]], stage: str
) -> None:
    """Create secrets that do not exist yet, each with one version holding ``stage`` and its
    metadata MAC: the bulk import's three statements for any number of secrets."""
    tx.execute_many(
        "INSERT INTO secrets (name, created_at, updated_at, mac) VALUES (?, ?, ?, ?)",
        (
            (row.name, to_micros(row.created_at), to_micros(row.created_at), mac)
            for row, mac in rows
        ),
    )
    tx.execute_many(
        "INSERT INTO versions (name, version_id, created_at, is_binary, wrapped_key, nonce, "
        "ciphertext) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (
                row.name,
                row.version_id,
                to_micros(row.created_at),
                int(row.binary),
                row.sealed.wrapped_key,
                row.sealed.nonce,
                row.sealed.ciphertext,
            )
            for row, _ in rows
        ),
    )
    tx.execute_many(
        "INSERT INTO stages (name, stage, version_id) VALUES (?, ?, ?)",
        ((row.name, stage, row.version_id) for row, _ in rows),
    )


def _version_row(row: tuple[object, ...]) -> VersionRow:
    name, version_id, created, is_binary, wrapped_key, nonce, ciphertext = row
    if not (
        isinstance(name, str)
        and isinstance(version_id, str)
        and isinstance(created, int)
        and isinstance(wrapped_key, bytes)
        and isinstance(nonce, bytes)
        and isinstance(ciphertext, bytes)
    ):
        raise IntegrityError(
            f"A version row of secret {name!r} has the wrong column types: the store was "
            "modified outside secrets-adapter; restore it from a backup.",
            provider="local",
        )
    return VersionRow(
        name=name,
        version_id=version_id,
        created_at=from_micros(created),
        binary=bool(is_binary),
        sealed=Sealed(wrapped_key=wrapped_key, nonce=nonce, ciphertext=ciphertext),
    )


_VERSION_COLUMNS = "name, version_id, created_at, is_binary, wrapped_key, nonce, ciphertext"


def load_version(tx: Transaction, name: str, version_id: str) -> VersionRow | None:
    row = tx.one(
        f"SELECT {_VERSION_COLUMNS} FROM versions WHERE name = ? AND version_id = ?",  # noqa: S608
        (name, version_id),
    )
    return None if row is None else _version_row(row)


def versions_of(tx: Transaction, name: str) -> list[tuple[str, datetime]]:
    """``(version_id, created_at)`` of a secret's versions in creation order."""
    rows = tx.all(
        "SELECT version_id, created_at FROM versions WHERE name = ? ORDER BY seq", (name,)
    )
    return [(version_id, from_micros(created)) for version_id, created in rows]


def all_versions(tx: Transaction) -> list[VersionRow]:
    """Every version of every secret (for master-key rotation)."""
    rows = tx.all(f"SELECT {_VERSION_COLUMNS} FROM versions ORDER BY seq")  # noqa: S608
    return [_version_row(row) for row in rows]


def set_wrapped_key(tx: Transaction, name: str, version_id: str, wrapped_key: bytes) -> None:
    tx.execute(
        "UPDATE versions SET wrapped_key = ? WHERE name = ? AND version_id = ?",
        (wrapped_key, name, version_id),
    )


def delete_versions(tx: Transaction, name: str, version_ids: Iterable[str]) -> None:
    for version_id in version_ids:
        tx.execute("DELETE FROM versions WHERE name = ? AND version_id = ?", (name, version_id))


def labels_of(tx: Transaction, name: str) -> dict[str, frozenset[str]]:
    """``{version_id: stage labels}`` in creation order, unlabelled versions included."""
    labels: dict[str, set[str]] = {}
    for version_id, stage in tx.all(
        "SELECT v.version_id, s.stage FROM versions v LEFT JOIN stages s "
        "ON s.name = v.name AND s.version_id = v.version_id WHERE v.name = ? ORDER BY v.seq",
        (name,),
    ):
        stages = labels.setdefault(version_id, set())
        if stage is not None:
            stages.add(stage)
    return {version_id: frozenset(stages) for version_id, stages in labels.items()}


def replace_labels(tx: Transaction, name: str, labels: Mapping[str, Iterable[str]]) -> None:
    tx.execute("DELETE FROM stages WHERE name = ?", (name,))
    for version_id, stages in labels.items():
        for stage in sorted(stages):
            tx.execute(
                "INSERT INTO stages (name, stage, version_id) VALUES (?, ?, ?)",
                (name, stage, version_id),
            )
