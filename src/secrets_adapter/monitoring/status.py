"""``secrets-adapter status``: one row per secret a person reads at a glance.

Built from metadata only (names, versions, dates — never a value). The dates and the state of
a secret's rotation come from injected functions: the schedule and the recorded step kept in the
secret's tags are ``rotation``'s to read, a layer this module does not import. The next rotation
shown is the secret's own schedule (what ``describe`` and ``rotation status`` show); a secret
with none is flagged when it was not rotated for ``unscheduled_max_age``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from secrets_adapter.errors import SecretsAdapterError
from secrets_adapter.models import SecretMetadata, Stage

__all__ = ["RotationDates", "RotationHealth", "StatusRow", "format_table", "status_rows"]

RotationDates = Callable[[SecretMetadata], tuple[datetime | None, datetime | None]]
"""(last rotation, next rotation) of a secret, from its metadata."""

RotationHealth = Callable[[SecretMetadata], tuple[str | None, int]]
"""(what is wrong with the secret's rotation — a failed or unfinished step — or None, and how
many rotation runs failed since the last one that finished)."""


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
    health: RotationHealth = lambda _meta: (None, 0),
    unscheduled_max_age: timedelta | None = None,
) -> list[StatusRow]:
    """One row per name; a secret that cannot be described gets a row naming the error class.

    The state, most urgent first: scheduled for deletion, a failed or unfinished rotation,
    overdue, not rotated for ``unscheduled_max_age`` (no schedule), a pending version.
    """
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
                    recent_failures=1,
                    problem=type(exc).__name__,
                )
            )
            continue
        current = meta.version_for(Stage.CURRENT)
        last, upcoming = dates(meta)
        rotation_problem, failures = health(meta)
        problem = None
        if meta.scheduled_for_deletion:
            problem = "scheduled for deletion"
        elif rotation_problem is not None:
            problem = rotation_problem
        elif upcoming is not None and upcoming < now:
            problem = "rotation overdue"
        elif (
            upcoming is None
            and unscheduled_max_age is not None
            and last is not None
            and now - last > unscheduled_max_age
        ):
            problem = f"not rotated for {(now - last).days}d (no schedule)"
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
                recent_failures=failures,
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
