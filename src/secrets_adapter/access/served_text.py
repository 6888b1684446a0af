"""What ``get_secret_value`` keeps per name on both faces: the text it served, valid while the
cache entry it came from is still the fresh one.

A face checks that on its hot path inline (a call would cost a sizeable part of the read): the
entry must be the one the cache holds for the name and before its ``refresh_at``, and nobody may
be listening (no audit log, no listener), since such a read leaves no record. The policy asked
when the text was first served; a policy is immutable, so its answer stands.
"""

from __future__ import annotations

from collections.abc import Mapping

from secrets_adapter.cache.entry import CacheEntry, CacheKey
from secrets_adapter.models import Secret

__all__ = ["SERVED_TEXT_SIZE", "ServedText", "keep_served_text"]

SERVED_TEXT_SIZE = 4096  # names; cleared when full, so dynamic names cannot grow it

ServedText = dict[str, tuple[CacheEntry, str, str]]
"""name as asked -> (the cache entry, its full name, the text served from it)."""


def keep_served_text(
    table: ServedText,
    hot_entries: Mapping[CacheKey, CacheEntry],
    name: str,
    full: str,
    secret: Secret,
    text: str,
) -> None:
    """Remember ``text`` for ``name`` if ``secret`` is what the cache holds for it now."""
    entry = hot_entries.get(full)
    if entry is not None and entry.secret is secret:
        if len(table) >= SERVED_TEXT_SIZE:
            table.clear()
        table[name] = (entry, full, text)
