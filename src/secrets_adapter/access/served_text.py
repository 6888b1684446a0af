"""What ``get_secret_value`` keeps per name on both faces: the text it served, valid while the
cache entry it came from is still the fresh one.

A face checks that on its hot path inline (a call would cost a sizeable part of the read): the
entry must be the one the cache holds for the name and before its ``refresh_at``, and nobody may
be listening for events. The policy asked when the text was first served; a policy is immutable,
so its answer stands. With an audit log, the kept read also holds its record's fields, made
once, so that a hit hands the trail one prebuilt tuple and the time (the trail may refuse: the
read is then refused, fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping

from secrets_adapter.audit import HitFields
from secrets_adapter.cache.entry import CacheEntry, CacheKey
from secrets_adapter.models import Secret, SecretValue

__all__ = ["SERVED_TEXT_SIZE", "ServedRead", "ServedText", "keep_served_text", "no_audit_log"]

SERVED_TEXT_SIZE = 4096  # names; cleared when full, so dynamic names cannot grow it


class ServedRead:
    """One name's kept read. Its repr never shows the text: it is a local of the hot path when
    the audit trail refuses the read, and a traceback formatted with its locals must not leak."""

    __slots__ = ("entry", "full", "hit", "text")

    def __init__(self, entry: CacheEntry, full: str, text: str, hit: HitFields | None) -> None:
        self.entry = entry  # the cache entry the text came from
        self.full = full  # the name it is cached under
        self.text = text
        self.hit = hit  # the audit record's fields (all but the time), or None: no audit log

    def __repr__(self) -> str:
        return f"ServedRead({self.full!r}, text=<redacted>)"


ServedText = dict[str, ServedRead]
"""name as asked -> the read kept for it."""


def keep_served_text(
    table: ServedText,
    hot_entries: Mapping[CacheKey, CacheEntry],
    name: str,
    full: str,
    secret: Secret,
    text: str,
    hit: HitFields | None,
) -> None:
    """Remember ``text`` for ``name`` if ``secret`` is what the cache holds for it now."""
    entry = hot_entries.get(full)
    if entry is not None and entry.secret is secret:
        if len(table) >= SERVED_TEXT_SIZE:
            table.clear()
        table[name] = ServedRead(entry, full, text, hit)


def no_audit_log(fields: HitFields, value: SecretValue) -> None:
    """A face's hit recorder when it has no audit log: its kept reads carry no record fields,
    so the hot path never calls it."""
