"""A child process for the local store's multi-process tests (run with ``python -m``).

The master key comes from ``SECRETS_ADAPTER_MASTER_KEY``, never argv. ``crash`` commands wrap
SQLite connections *in this process only* so that it SIGKILLs itself at a chosen statement of a
write: the parent then proves the store holds exactly the old or the new state.

Commands::

    increment STORE NAME COUNT         read-modify-write COUNT times with check-and-set retries
    write-forever STORE NAME           put 1, 2, 3, ... printing each number once committed
    crash-put STORE NAME VALUE ARM KILL WHEN    SIGKILL inside put(NAME, VALUE)
    crash-rotate STORE NEW_KEY_FILE ARM KILL WHEN   SIGKILL inside rotate_master_key
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

from secrets_adapter.errors import ConflictError
from secrets_adapter.localstore import RawKey, parse_master_key, read_key_file, rotate_master_key
from secrets_adapter.models import SecretValue
from secrets_adapter.providers.local import LocalProvider


class _KillingConnection:
    """Delegates to a real connection; SIGKILLs this process at the chosen statement.

    The trap arms at the first statement starting with ``arm`` and fires before or after the
    next statement (the arming one included) that starts with ``kill``.
    """

    def __init__(self, conn: sqlite3.Connection, arm: str, kill: str, when: str) -> None:
        self._conn, self._arm, self._kill, self._when = conn, arm, kill, when
        self._armed = False

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        text = sql.lstrip()
        self._armed = self._armed or text.startswith(self._arm)
        fire = self._armed and text.startswith(self._kill)
        if fire and self._when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        cursor = self._conn.execute(sql, params)
        if fire and self._when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return cursor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _trap_connections(arm: str, kill: str, when: str) -> None:
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> Any:
        return _KillingConnection(real_connect(*args, **kwargs), arm, kill, when)

    sqlite3.connect = connect  # patched in this child process only


def _increment(provider: LocalProvider, name: str, count: int) -> int:
    conflicts = 0
    for _ in range(count):
        while True:
            current = provider.get(name)
            number = int(current.value.reveal_text())
            try:
                provider.put(
                    name, SecretValue(str(number + 1)), expected_current=current.version_id
                )
                break
            except ConflictError:
                conflicts += 1
    return conflicts


def main(argv: list[str]) -> int:
    command, store = argv[0], Path(argv[1])
    if command == "crash-rotate":
        new_key_file, arm, kill, when = argv[2:6]
        old = RawKey(parse_master_key(os.environ["SECRETS_ADAPTER_MASTER_KEY"]))
        _trap_connections(arm, kill, when)
        rotate_master_key(store, old=old, new=RawKey(read_key_file(Path(new_key_file))))
        return 0
    if command == "crash-put":
        name, value, arm, kill, when = argv[2:7]
        with LocalProvider.open(store, master_key=os.environ["SECRETS_ADAPTER_MASTER_KEY"]) as p:
            p._store._conn = _KillingConnection(p._store._conn, arm, kill, when)  # type: ignore[assignment]
            p.put(name, SecretValue(value))
        return 0
    with LocalProvider.open(store, master_key=os.environ["SECRETS_ADAPTER_MASTER_KEY"]) as p:
        print("ready", flush=True)
        sys.stdin.readline()  # the parent starts every child at once
        if command == "increment":
            print(f"conflicts {_increment(p, argv[2], int(argv[3]))}", flush=True)
        elif command == "write-forever":
            number = 0
            while True:
                number += 1
                p.put(argv[2], SecretValue(str(number)))
                print(number, flush=True)
        else:
            print(f"unknown command {command}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
