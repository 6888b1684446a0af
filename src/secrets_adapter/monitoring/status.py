"""``secrets-adapter status``: one row per secret a person reads at a glance.

Built from metadata only (names, versions, dates — never a value). The dates come from an
injected ``dates`` function: the rotation schedule kept in the secret's tags is
``rotation.schedule``'s to read, a layer this module does not import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from secrets_adapter.errors import SecretsAdapterError
from secrets_adapter.models import SecretMetadata, Stage

__all__ = ["RotationDates", "StatusRow", "format_table", "status_rows"]

RotationDates = Callable[[SecretMetadata], tuple[datetime | None, datetime | None]]
"""(last rotation, next rotation) of a secret, from its metadata."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusRow:
    name: str
    backend: str
    version: str | None
    last_rotation: datetime | None
    next_rotation: datetime | None
    cache: str
    recent_failures: int
    problem: str | None = None  # overdue, scheduled for deletion, or the error describing it

    def cells(self, now: datetime) -> tuple[str, ...]:
        return (
            self.name,
            self.backend,
            (self.version or "-")[:12],
            _when(self.last_rotation, now),
            _when(self.next_rotation, now),
            self.cache,
            str(self.recent_failures),
            self.problem or "ok",
        )


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    days = (moment - now).total_seconds() / 86_400
    relative = f"in {days:.0f}d" if days >= 0 else f"{-days:.0f}d ago"
    return f"{moment:%Y-%m-%d} ({relative})"


def status_rows(
    names: Iterable[str],
    describe: Callable[[str], SecretMetadata],
    *,
    backend: str,
    now: datetime,
    cache: str,
    dates: RotationDates,
    recent_failures: Callable[[str], int] = lambda _name: 0,
) -> list[StatusRow]:
    """One row per name; a secret that cannot be described gets a row naming the error class."""
    rows: list[StatusRow] = []
    for name in names:
        try:
            meta = describe(name)
        except SecretsAdapterError as exc:
            rows.append(
                StatusRow(
                    name=name,
                    backend=backend,
                    version=None,
                    last_rotation=None,
                    next_rotation=None,
                    cache=cache,
                    recent_failures=recent_failures(name) + 1,
                    problem=type(exc).__name__,
                )
            )
            continue
        current = meta.version_for(Stage.CURRENT)
        last, upcoming = dates(meta)
        problem = None
        if meta.scheduled_for_deletion:
            problem = "scheduled for deletion"
        elif upcoming is not None and upcoming < now:
            problem = "rotation overdue"
        elif meta.version_for(Stage.PENDING) is not None:
            problem = "rotation pending"
        rows.append(
            StatusRow(
                name=name,
                backend=backend,
                version=current.version_id if current is not None else None,
                last_rotation=last,
                next_rotation=upcoming,
                cache=cache,
                recent_failures=recent_failures(name),
                problem=problem,
            )
        )
    return rows


HEADER = (
    "SECRET",
    "BACKEND",
    "VERSION",
    "LAST ROTATION",
    "NEXT ROTATION",
    "CACHE",
    "FAILS",
    "STATE",
)


def format_table(rows: list[StatusRow], now: datetime) -> str:
    lines = [HEADER, *(row.cells(now) for row in rows)]
    widths = [max(len(line[col]) for line in lines) for col in range(len(HEADER))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
