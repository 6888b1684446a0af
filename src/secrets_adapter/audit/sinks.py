"""Where chained records go: a JSON-lines file shared by threads and processes, or a stream.

A sink takes record bodies, chains them (``chain.link``) after the head it finds, and writes
them. The file sink finds the head under an exclusive lock on ``<log>.lock`` (``fcntl.flock``),
so every thread and process appending to one log extends one chain.
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TextIO, runtime_checkable

from secrets_adapter.audit.chain import ChainHead, Checkpoint, link
from secrets_adapter.audit.logfiles import read_head, segments
from secrets_adapter.audit.records import format_time
from secrets_adapter.clock import WallClock, utcnow

__all__ = [
    "DEFAULT_MAX_BYTES",
    "AuditSink",
    "JsonlFileSink",
    "StreamSink",
    "SyslogSink",
    "write_checkpoint",
]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024


@runtime_checkable
class AuditSink(Protocol):
    """Appends record bodies as one chained batch; raises if they were not written."""

    def append(self, bodies: Sequence[Mapping[str, Any]]) -> None: ...

    def close(self) -> None: ...


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    # A fresh descriptor per acquisition: flock excludes other open file descriptions, so this
    # also excludes other threads of this process, not only other processes.
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Atomically replace ``path`` with ``checkpoint`` (0600)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, (checkpoint.to_json() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)


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
        clock: WallClock = utcnow,
    ) -> None:
        self._path = Path(path)
        self._lock_path = self._path.with_name(self._path.name + ".lock")
        self._max_bytes = max_bytes
        self._fsync = fsync
        self._checkpoint = Path(checkpoint) if checkpoint is not None else None
        self._clock = clock
        self._thread_lock = threading.Lock()
        self._known: tuple[int, int, ChainHead] | None = None  # (inode, size, head)
        self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)

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
            fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
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
            if self._checkpoint is not None:
                seen = Checkpoint(
                    count=new_head.count,
                    head_hash=new_head.hash,
                    time=format_time(self._clock()),
                )
                write_checkpoint(self._checkpoint, seen)

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
        if (
            self._known is not None
            and stat is not None
            and (stat.st_ino, stat.st_size) == self._known[:2]
        ):
            return self._known[2]
        return read_head(self._path)

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
