"""Files and folders of the audit log: created with their final mode whatever the umask (folders
0700, files 0600), never through a planted symlink, and never in a folder others can write.

A folder that group or others can write lets them delete or replace the log (and its lock and
checkpoint), so it is refused rather than warned about. Every failure is a
``ConfigurationError`` naming the path and what to do, not a raw ``OSError``.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from secrets_adapter.errors import ConfigurationError

__all__ = ["FILE_MODE", "FOLDER_MODE", "open_private", "private_folder", "replace_private"]

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _unusable(path: Path, what: str, exc: OSError) -> ConfigurationError:
    reasons = {
        errno.EEXIST: "a file that is not a folder is in the way",
        errno.ENOTDIR: "a file that is not a folder is in the way",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "the file system is read-only",
        errno.ELOOP: "it is a symbolic link, which is not followed",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    return ConfigurationError(
        f"The audit log cannot use {what} {str(path)!r}: {reason}. Point "
        "SECRETS_ADAPTER_AUDIT_LOG (or audit_log=) at a writable folder of your own."
    )


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and missing parents) 0700; refuse an existing one others can write."""
    missing: list[Path] = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for level in reversed(missing):
        try:
            os.mkdir(level, FOLDER_MODE)
            os.chmod(level, FOLDER_MODE)  # the umask may have taken bits away
        except FileExistsError:
            pass  # made meanwhile by another process: checked below like any existing folder
        except OSError as exc:
            raise _unusable(level, "the folder", exc) from None
    try:
        status = os.stat(folder)
    except OSError as exc:
        raise _unusable(folder, "the folder", exc) from None
    if not stat.S_ISDIR(status.st_mode):
        raise _unusable(folder, "the folder", OSError(errno.ENOTDIR, "not a folder"))
    if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigurationError(
            f"The audit log folder {str(folder)!r} is writable by group or others (mode "
            f"{stat.S_IMODE(status.st_mode):04o}), who could delete or replace the log: "
            f"run 'chmod go-w {folder}' or choose a private folder."
        )


def open_private(path: Path, flags: int) -> int:
    """``os.open`` of a 0600 file (made so whatever the umask), refusing a symlink."""
    try:
        fd = os.open(path, flags | os.O_CREAT | _NOFOLLOW | _CLOEXEC, FILE_MODE)
    except OSError as exc:
        raise _unusable(path, "the file", exc) from None
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd


def replace_private(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data`` (0600): a fresh temporary file made with
    ``O_EXCL | O_NOFOLLOW`` (a name planted in advance, symlink or not, is never written
    through), fsynced, then renamed over ``path``."""
    for _ in range(8):
        temporary = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(
                temporary,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC,
                FILE_MODE,
            )
        except FileExistsError:
            continue
        except OSError as exc:
            raise _unusable(temporary, "the file", exc) from None
        try:
            os.fchmod(fd, FILE_MODE)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(temporary)
            raise
        os.close(fd)
        os.replace(temporary, path)
        return
    raise ConfigurationError(f"Could not create a temporary file beside {str(path)!r}.")
