"""Which rotator a secret uses, how often, and when it last and next rotates — all from its tags.

Configuration lives in the secret's own tags so that every process (the app, the CLI, a Lambda)
sees the same schedule without a side database. Tag values keep to the characters AWS allows
(letters, digits, spaces and ``_ . : / = + - @``). Everything here is pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from secrets_adapter.errors import ValidationError
from secrets_adapter.models import SecretMetadata

__all__ = [
    "OPTION_TAG_PREFIX",
    "TAG_EVERY",
    "TAG_LAST_ROTATED",
    "TAG_ROTATOR",
    "RotationSchedule",
    "format_interval",
    "is_due",
    "parse_interval",
    "rotation_config_tags",
    "rotation_options",
    "rotation_schedule",
]

TAG_ROTATOR = "secrets-adapter:rotator"
TAG_EVERY = "secrets-adapter:rotation-every"
TAG_LAST_ROTATED = "secrets-adapter:last-rotated"
OPTION_TAG_PREFIX = "secrets-adapter:rotator."

_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1)}
_UNITS |= {"m": timedelta(minutes=1), "s": timedelta(seconds=1)}
_INTERVAL = re.compile(r"(\d+)\s*([wdhms])")
_OPTION_KEY = re.compile(r"[a-z][a-z0-9-]*")


def parse_interval(text: str) -> timedelta:
    """``"30d"``, ``"12h"``, ``"1w2d"``, ``"90m"``, ``"45s"`` → ``timedelta`` (must be positive)."""
    compact = text.strip().lower()
    parts = _INTERVAL.findall(compact)
    if not compact or "".join(f"{n}{u}" for n, u in parts) != compact.replace(" ", ""):
        raise ValidationError(
            f"Invalid interval {text!r}: use a number and a unit w, d, h, m or s (e.g. 30d)."
        )
    total = sum((int(number) * _UNITS[unit] for number, unit in parts), timedelta())
    if total <= timedelta():
        raise ValidationError(f"Invalid interval {text!r}: it must be longer than zero.")
    return total


def format_interval(interval: timedelta) -> str:
    """The ``parse_interval`` spelling in days and smaller: ``timedelta(days=30)`` → ``"30d"``."""
    seconds = int(interval.total_seconds())
    out = []
    for unit in ("d", "h", "m", "s"):
        size = int(_UNITS[unit].total_seconds())
        if seconds >= size:
            out.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(out) or "0s"


def rotation_config_tags(
    *, rotator: str, every: timedelta | None, options: Mapping[str, str]
) -> dict[str, str]:
    """The tags that configure a secret's rotation (to merge with ``set_tags``)."""
    tags = {TAG_ROTATOR: rotator, TAG_EVERY: format_interval(every) if every else ""}
    for key, value in options.items():
        if not _OPTION_KEY.fullmatch(key):
            raise ValidationError(
                f"Invalid rotator option name {key!r}: use lowercase letters, digits and '-'."
            )
        tags[OPTION_TAG_PREFIX + key] = value
    return tags


def rotation_options(tags: Mapping[str, str]) -> dict[str, str]:
    """The rotator options stored in ``tags`` (``secrets-adapter:rotator.length`` → ``length``)."""
    return {
        key.removeprefix(OPTION_TAG_PREFIX): value
        for key, value in tags.items()
        if key.startswith(OPTION_TAG_PREFIX)
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class RotationSchedule:
    """A secret's rotation settings and dates, as ``describe`` and ``rotate --due`` show them."""

    name: str
    rotator: str | None
    every: timedelta | None
    last_rotated: datetime | None
    next_rotation: datetime | None
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return self.rotator is not None


def _parse_time(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def rotation_schedule(metadata: SecretMetadata) -> RotationSchedule:
    """Last and next rotation of a secret from its metadata.

    The last rotation is the ``last-rotated`` tag the engine writes, else the creation time of the
    current version (a secret that was never rotated counts from when it was set).
    """
    tags = metadata.tags
    every_raw = tags.get(TAG_EVERY, "")
    try:
        every = parse_interval(every_raw) if every_raw else None
    except ValidationError:
        every = None
    last = _parse_time(tags.get(TAG_LAST_ROTATED))
    if last is None:
        current = metadata.current_version
        info = next((v for v in metadata.versions if v.version_id == current), None)
        last = info.created_at if info else metadata.created_at
    next_rotation = last + every if (last is not None and every is not None) else None
    return RotationSchedule(
        name=metadata.name,
        rotator=tags.get(TAG_ROTATOR) or None,
        every=every,
        last_rotated=last,
        next_rotation=next_rotation,
        options=rotation_options(tags),
    )


def is_due(metadata: SecretMetadata, now: datetime) -> bool:
    """True when the secret has an interval and its next rotation is not in the future."""
    schedule = rotation_schedule(metadata)
    return schedule.next_rotation is not None and schedule.next_rotation <= now
