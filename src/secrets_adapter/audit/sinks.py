"""Where chained records go: a JSON-lines file shared by threads and processes, or a stream.

A sink takes record bodies, chains them (``chain.link``) after the head it finds, and writes
them. The file sink finds the head under an exclusive lock on ``<log>.lock`` (``fcntl.flock``),
so every thread and process appending to one log extends one chain.

A log deleted, truncated or rotated away underneath a running sink does not start a new chain
at sequence 0: the sink carries on from the head it last wrote (so ``audit verify`` reports the
missing records) and logs an error. A sink given a signed checkpoint refuses to write after a
log that has fewer records than the checkpoint saw.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TextIO, runtime_checkable

from secrets_adapter.audit.chain import ChainHead, Checkpoint, link
from secrets_adapter.audit.fingerprint import CHECKPOINT_KEY_FILE_ENV, load_checkpoint_key
from secrets_adapter.audit.logfiles import read_head, segments
from secrets_adapter.audit.private_files import open_private, private_folder, replace_private
from secrets_adapter.audit.records import format_time
from secrets_adapter.clock import WallClock, utcnow
from secrets_adapter.errors import ConfigurationError, IntegrityError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "AuditSink",
    "JsonlFileSink",
    "StreamSink",
    "SyslogSink",
    "write_checkpoint",
]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024

_log = logging.getLogger(__name__)


@runtime_checkable
class AuditSink(Protocol):
    """Appends record bodies as one chained batch; raises if they were not written."""

    def append(self, bodies: Sequence[Mapping[str, Any]]) -> None: ...

    def close(self) -> None: ...


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    # A fresh descriptor per acquisition: flock excludes other open file descriptions, so this
    # also excludes other threads of this process, not only other processes.
    fd = open_private(lock_path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Atomically replace ``path`` with ``checkpoint`` (0600; see ``replace_private``)."""
    replace_private(path, (checkpoint.to_json() + "\n").encode("ascii"))


class JsonlFileSink:
    """Appends chained JSON lines to ``path``; rotates past ``max_bytes``; ``fsync`` by default.

    The head is re-read from the file whenever the file changed since this sink last wrote
    (another process appended or rotated); otherwise the remembered head is used.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        fsync: bool = True,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_key: bytes | None = None,
        clock: WallClock = utcnow,
    ) -> None:
        self._path = Path(path)
        self._lock_path = self._path.with_name(self._path.name + ".lock")
        self._max_bytes = max_bytes
        self._fsync = fsync
        self._checkpoint = Path(checkpoint) if checkpoint is not None else None
        self._checkpoint_key = checkpoint_key
        if self._checkpoint is not None and checkpoint_key is None:
            self._checkpoint_key = load_checkpoint_key()
            if self._checkpoint_key is None:
                raise ConfigurationError(
                    f"The audit checkpoint {str(self._checkpoint)!r} must be signed: set "
                    f"{CHECKPOINT_KEY_FILE_ENV} to a key file kept away from the log."
                )
        self._clock = clock
        self._thread_lock = threading.Lock()
        self._known: tuple[int, int, ChainHead] | None = None  # (inode, size, head)
        private_folder(self._path.parent)
        for own in (self._path, self._lock_path):
            if own.is_symlink():  # checked again, race-free, by O_NOFOLLOW on every open
                raise ConfigurationError(
                    f"The audit log file {str(own)!r} is a symbolic link, which is not "
                    "followed: remove it, or point the audit log at the real file."
                )
        os.close(open_private(self._lock_path, os.O_RDWR))  # unusable paths fail here, not later

    @property
    def path(self) -> Path:
        return self._path

    def append(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        if not bodies:
            return
        with self._thread_lock, _exclusive(self._lock_path):
            head = self._current_head()
            lines, new_head = link(bodies, head)
            data = "".join(lines).encode("ascii")
            size = self._size()
            if size and size + len(data) > self._max_bytes:
                self._rotate()
            fd = open_private(self._path, os.O_WRONLY | os.O_APPEND)
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                if self._fsync:
                    os.fsync(fd)
                stat = os.fstat(fd)
            finally:
                os.close(fd)
            self._known = (stat.st_ino, stat.st_size, new_head)
            if self._checkpoint is not None and self._checkpoint_key is not None:
                seen = Checkpoint(
                    count=new_head.count,
                    head_hash=new_head.hash,
                    time=format_time(self._clock()),
                )
                write_checkpoint(self._checkpoint, seen.signed(self._checkpoint_key))

    def close(self) -> None:
        """Nothing is held open between appends."""

    def _size(self) -> int:
        try:
            return self._path.stat().st_size
        except FileNotFoundError:
            return 0

    def _current_head(self) -> ChainHead:
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            stat = None
        known = self._known
        if known is not None and stat is not None and (stat.st_ino, stat.st_size) == known[:2]:
            return known[2]
        found = read_head(self._path)
        if known is not None and found.count < known[2].count:
            _log.error(
                "the audit log %s lost records underneath (it ends at record %d, this process "
                "wrote up to %d): continuing the chain; 'audit verify' reports the gap",
                self._path,
                found.count,
                known[2].count,
            )
            return known[2]
        if known is None:
            self._check_against_checkpoint(found)
        return found

    def _check_against_checkpoint(self, found: ChainHead) -> None:
        """Before the first write of this sink: refuse to extend a log its checkpoint shows was
        cut (deleted or truncated while no sink of ours was running)."""
        if self._checkpoint is None or self._checkpoint_key is None:
            return
        try:
            seen = Checkpoint.from_json(self._checkpoint.read_text(encoding="ascii"))
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError):
            raise IntegrityError(
                f"The audit checkpoint {str(self._checkpoint)!r} is unreadable; run "
                "'secrets-adapter audit verify' before writing more."
            ) from None
        if not seen.signature_ok(self._checkpoint_key):
            raise IntegrityError(
                f"The audit checkpoint {str(self._checkpoint)!r} is not signed with the "
                "checkpoint key (forged, or another key): run 'secrets-adapter audit verify'."
            )
        if found.count < seen.count:
            raise IntegrityError(
                f"The audit log {str(self._path)!r} has {found.count} record(s) but its "
                f"checkpoint of {seen.time} saw {seen.count}: it was truncated or deleted. "
                "Accesses are refused until it is restored or investigated."
            )

    def _rotate(self) -> None:
        existing = segments(self._path)
        number = int(existing[-1].name.rsplit(".", 1)[1]) + 1 if existing else 1
        os.replace(self._path, self._path.with_name(f"{self._path.name}.{number}"))
        if self._fsync:
            directory = os.open(self._path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)


class StreamSink:
    """Chained JSON lines to a text stream (stdout for a container's log collector).

    The chain is kept in memory, so it is one chain per process: for several processes, use
    the file sink.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._head = ChainHead()

    def append(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        with self._lock:
            lines, head = link(bodies, self._head)
            self._stream.write("".join(lines))
            self._stream.flush()
            self._head = head

    def close(self) -> None:
        """The stream belongs to the caller."""


class SyslogSink:
    """Chained records as syslog messages (facility authpriv, severity info), one per datagram.

    ``address`` is a local socket path (``/dev/log``: a missing or stopped daemon is an error,
    so the access is refused) or ``(host, port)`` over UDP, where a lost datagram goes unseen:
    prefer the file sink or a local socket when the log must be complete. The chain is kept in
    memory, one per process.
    """

    _PRIORITY = 10 * 8 + 6  # authpriv.info

    def __init__(
        self, address: str | tuple[str, int] = "/dev/log", *, tag: str = "secrets-adapter"
    ) -> None:
        self._address = address
        self._tag = tag
        self._lock = threading.Lock()
        self._head = ChainHead()
        self._socket: socket.socket | None = None

    def _connected(self) -> socket.socket:
        if self._socket is None:
            family = socket.AF_UNIX if isinstance(self._address, str) else socket.AF_INET
            made = socket.socket(family, socket.SOCK_DGRAM)
            try:
                made.connect(self._address)
            except OSError:
                made.close()
                raise
            self._socket = made
        return self._socket

    def append(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        with self._lock:
            lines, head = link(bodies, self._head)
            try:
                connection = self._connected()
                for line in lines:
                    message = f"<{self._PRIORITY}>{self._tag}: {line.rstrip()}"
                    connection.send(message.encode("ascii"))
            except OSError:
                self.close()  # reconnect on the next batch
                raise
            self._head = head

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
