"""The files of one audit log: the active file and its rotated segments, in chain order.

``access.jsonl`` is written; when it grows past its limit it is renamed ``access.jsonl.1``,
then ``.2``, ... (the highest number is the newest), and the chain carries on in a new
``access.jsonl``. Reading walks ``.1, .2, ..., access.jsonl``.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

from secrets_adapter.audit.chain import ChainHead, LineSource, head_of_line
from secrets_adapter.errors import IntegrityError

__all__ = [
    "iter_log_byte_lines",
    "iter_log_lines",
    "last_line",
    "log_files",
    "read_head",
    "segments",
]

_TAIL_BYTES = 256 * 1024


def segments(active: Path) -> list[Path]:
    """Rotated segments of the log whose active file is ``active``, oldest first."""
    if not active.parent.is_dir():
        return []
    numbered: list[tuple[int, Path]] = []
    prefix = active.name + "."
    for candidate in active.parent.iterdir():
        suffix = candidate.name[len(prefix) :]
        if candidate.name.startswith(prefix) and suffix.isdigit():
            numbered.append((int(suffix), candidate))
    return [path for _, path in sorted(numbered)]


def log_files(active: Path) -> list[Path]:
    """Every file of the log in chain order (segments, then the active file if it exists)."""
    files = segments(active)
    if active.exists():
        files.append(active)
    return files


def iter_log_lines(active: Path) -> Iterator[tuple[LineSource, str]]:
    """Each line of the whole log with where it came from."""
    for path in log_files(active):
        name = str(path)
        with path.open("r", encoding="ascii", errors="replace", newline="\n") as handle:
            for number, line in enumerate(handle, start=1):
                yield LineSource(name, number), line


def iter_log_byte_lines(active: Path) -> Iterator[tuple[LineSource, bytes]]:
    """``iter_log_lines`` as bytes (what ``verify`` reads: no decoding)."""
    for path in log_files(active):
        name = str(path)
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                yield LineSource(name, number), line


def last_line(path: Path) -> str | None:
    """The last complete line of ``path``; None if the file is missing or empty.

    A file that does not end in a newline holds a record cut short by a crash: appending after
    it would corrupt the chain, so it is an ``IntegrityError``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise IntegrityError(
                f"The audit log file {str(path)!r} is a symbolic link, which is not followed: "
                "it was replaced; run 'secrets-adapter audit verify'."
            ) from None
        raise
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            return None
        start = max(0, size - _TAIL_BYTES)
        os.lseek(fd, start, os.SEEK_SET)
        tail = b""
        while len(tail) < size - start:
            chunk = os.read(fd, size - start - len(tail))
            if not chunk:
                break
            tail += chunk
    finally:
        os.close(fd)
    if not tail.endswith(b"\n"):
        raise IntegrityError(
            f"The audit log {str(path)!r} ends with an incomplete record; run "
            "'secrets-adapter audit verify' and repair it before writing more."
        )
    lines = tail[:-1].rsplit(b"\n", 1)
    return lines[-1].decode("ascii", errors="replace")


def read_head(active: Path) -> ChainHead:
    """The chain's head: the last record of the active file, else of the newest segment."""
    for path in [active, *reversed(segments(active))]:
        line = last_line(path)
        if line is not None:
            try:
                return head_of_line(line)
            except (ValueError, KeyError, TypeError):
                raise IntegrityError(
                    f"The last record of the audit log {str(path)!r} is not a chained record; "
                    "run 'secrets-adapter audit verify'."
                ) from None
    return ChainHead()
