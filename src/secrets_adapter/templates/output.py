"""Writing a rendered file the way a secret file must be written: whole, private, never torn.

A reader sees the old file or the new one, never half of either: the text goes to a temporary
file created next to the target with ``O_EXCL | O_NOFOLLOW`` (no following a planted link, no
reusing someone's file) and mode 0600, is flushed to disk, then renamed over the target.
"""

from __future__ import annotations

import os
from pathlib import Path

from secrets_adapter.private_files import write_private_file

__all__ = ["write_atomically"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_PRIVATE = 0o600


def _current_bytes(path: Path) -> bytes | None:
    """What ``path`` holds now (None when missing or a link: both are replaced)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as existing:
        return existing.read()


def write_atomically(path: Path, text: str) -> bool:
    """Replace ``path`` with ``text`` (0600) unless it holds exactly that already.

    Returns whether the file changed; an unchanged file keeps its inode and timestamp, so a
    watcher (nginx, a reload hook) sees no change either.
    """
    data = text.encode("utf-8")
    if _current_bytes(path) == data and (path.lstat().st_mode & 0o777) == _PRIVATE:
        return False
    write_private_file(path, data, overwrite=True)
    return True
