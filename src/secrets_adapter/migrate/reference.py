"""An independent reading of the ``.env`` file for ``migrate verify``: python-dotenv's own.

``verify`` compares the store with ``dotenv.dotenv_values(path)`` — not with the entries our
reader produced — so that a difference between our reading and the application's loader shows as
a mismatch instead of passing: the same parser on both sides could never catch one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from dotenv import dotenv_values

from secrets_adapter.dotenv_file import DotenvEntry
from secrets_adapter.errors import MigrationError

__all__ = ["python_dotenv_entries"]


def python_dotenv_entries(
    entries: Sequence[DotenvEntry], path: str | os.PathLike[str], *, interpolate: bool
) -> tuple[DotenvEntry, ...]:
    """``entries`` with each value replaced by what ``dotenv_values(path)`` reads for its key.

    A key python-dotenv does not read (or reads as no value) is a ``MigrationError``: the
    application never saw it, so the store cannot be checked against it.
    """
    reading = dotenv_values(path, interpolate=interpolate)
    unread = [entry for entry in entries if reading.get(entry.key) is None]
    if unread:
        where = ", ".join(f"{entry.key} (line {entry.line})" for entry in unread)
        raise MigrationError(
            f"python-dotenv does not read {where} from {os.fspath(path)}: the file changed "
            "while it was read, or the two readings differ; nothing can be verified."
        )
    return tuple(
        DotenvEntry(key=entry.key, value=str(reading[entry.key]), line=entry.line)
        for entry in entries
    )
