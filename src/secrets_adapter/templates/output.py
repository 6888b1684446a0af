"""Writing a rendered file the way a secret file must be written: whole, private, never torn.

A reader sees the old file or the new one, never half of either: the text goes to a temporary
file created next to the target with ``O_EXCL | O_NOFOLLOW`` (no following a planted link, no
reusing someone's file) and mode 0600, is flushed to disk, then renamed over the target.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["write_atomically"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _current_bytes(path: Path) -> bytes | None:
    """What ``path`` holds now (None when missing or a link: both are replaced)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as existing:
        return existing.read()


def write_atomically(path: Path, text: str, *, mode: int = 0o600) -> bool:
    """Replace ``path`` with ``text`` (mode ``mode``) unless it holds exactly that already.

    Returns whether the file changed; an unchanged file keeps its inode and timestamp, so a
    watcher (nginx, a reload hook) sees no change either.
    """
    data = text.encode("utf-8")
    if _current_bytes(path) == data and (path.lstat().st_mode & 0o777) == mode:
        return False
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)  # exactly ``mode``, whatever the umask
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    with contextlib.suppress(OSError):  # the rename itself survives a crash
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return True
