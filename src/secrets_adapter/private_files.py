"""Files that hold secrets or security state: created 0600 (folders 0700) whatever the umask,
written all or nothing through an ``O_EXCL | O_NOFOLLOW`` temporary file, never through a
planted symlink, and leaving no temporary copy behind."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["write_private_file"]


def write_private_file(path: str | os.PathLike[str], data: bytes, *, overwrite: bool) -> None:
    """Write ``data`` to ``path`` as a 0600 file, all or nothing, leaving no temporary file.

    The bytes go to a 0600 file created with ``O_EXCL`` next to the target, are synced, then
    renamed over it (``overwrite``) or hard-linked to it, which fails if it exists. The temporary
    file is removed on every path out, so no plaintext copy stays behind.
    """
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(temporary, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        try:
            os.fchmod(descriptor, 0o600)
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        if overwrite:
            os.replace(temporary, target)
        else:
            _link_without_overwrite(temporary, target)
        _sync_directory(target.parent)
    finally:
        temporary.unlink(missing_ok=True)


def _link_without_overwrite(temporary: Path, target: Path) -> None:
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise FileExistsError(f"{target} exists already") from None
    except OSError:  # a filesystem without hard links: check, then rename
        if target.exists():
            raise FileExistsError(f"{target} exists already") from None
        os.replace(temporary, target)


def _sync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
