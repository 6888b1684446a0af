"""The form in which the cache keeps a secret: equal to what the backend returned, but sharing
what many secrets have in common.

A cache holds a ``Secret`` per key for minutes, so its per-object overhead is multiplied by the
number of secrets (``bench/memory_bench.py``). Two parts of a fetched ``Secret`` are large and
never unique: a fresh ``frozenset`` of stages per read (216 bytes for one stage) and, from
botocore, a ``created_at`` whose ``tzlocal`` zone is a new object with its own offsets per
timestamp (some 400 bytes). The cache keeps one shared set per combination of stages and the
timestamp in UTC — the same instant, so the secret compares equal.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from itertools import combinations

from secrets_adapter.models import Secret, Stage

__all__ = ["compact"]

_SHARED_STAGES: dict[frozenset[Stage], frozenset[Stage]] = {
    stages: stages
    for size in range(len(Stage) + 1)
    for stages in map(frozenset, combinations(Stage, size))
}
"""Every combination of stages, built once; a lookup returns the shared equal set."""


def compact(secret: Secret) -> Secret:
    """``secret`` with shared stages and a UTC timestamp; the same object if nothing changes."""
    stages = _SHARED_STAGES.get(secret.stages, secret.stages)
    created_at = _in_utc(secret.created_at)
    if stages is secret.stages and created_at is secret.created_at:
        return secret
    return replace(secret, stages=stages, created_at=created_at)


def _in_utc(moment: datetime | None) -> datetime | None:
    """An aware timestamp in the shared ``UTC`` zone; naive ones are left alone."""
    if moment is None or moment.tzinfo is UTC or moment.utcoffset() is None:
        return moment
    return moment.astimezone(UTC)
