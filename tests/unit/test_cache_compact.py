"""What the cache keeps is equal to what the backend returned, with the parts that many secrets
have in common (stage sets, the timestamp's zone) shared instead of copied per secret."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

import pytest

from secrets_adapter.cache import SecretCache
from secrets_adapter.cache.compact import compact
from secrets_adapter.models import Secret, SecretValue, Stage
from secrets_adapter.providers.base import BatchResult
from tests.unit.cache_doubles import FakeClock, run_inline

ZONE = timezone(timedelta(hours=2), "made-up local zone")
CREATED = datetime(2026, 1, 2, 14, 30, tzinfo=ZONE)


class FreshObjectsProvider:
    """Returns, like botocore-backed providers do, a new stage set and a new zone per read."""

    def __init__(self, created_at: datetime | None = CREATED) -> None:
        self.created_at = created_at
        self.calls = 0

    @property
    def kind(self) -> str:
        return "fresh-objects"

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        self.calls += 1
        created_at = self.created_at
        if created_at is not None and created_at.tzinfo is not None:
            offset = created_at.utcoffset()
            assert offset is not None
            created_at = created_at.replace(tzinfo=timezone(offset, "made-up local zone"))
        return Secret(
            name=name,
            value=SecretValue(f"value of {name}"),
            version_id=f"v-{name}",
            stages=frozenset([Stage.CURRENT, *([] if version is None else [Stage.PREVIOUS])]),
            created_at=created_at,
        )

    def get_many(self, names: Sequence[str]) -> BatchResult:
        return {name: self.get(name) for name in names}

    def list_names(self, prefix: str = "") -> list[str]:
        return []

    def close(self) -> None:
        pass


def _cache(provider: FreshObjectsProvider) -> SecretCache:
    return SecretCache(provider, ttl=100, jitter=0.0, clock=FakeClock(), background=run_inline)


def test_a_cached_secret_equals_the_backends_answer() -> None:
    provider = FreshObjectsProvider()
    cached = _cache(provider).get("app/one")
    assert cached == provider.get("app/one")
    assert cached.value.reveal() == "value of app/one"
    assert cached.stages == frozenset([Stage.CURRENT])
    assert cached.created_at == CREATED  # the same instant ...
    assert cached.created_at is not None
    assert cached.created_at.tzinfo is UTC  # ... kept in UTC
    assert cached.created_at.hour == 12


def test_secrets_share_one_stage_set_per_combination() -> None:
    provider = FreshObjectsProvider()
    cache = _cache(provider)
    one, two = cache.get("app/one"), cache.get("app/two")
    assert one.stages is two.stages
    pinned_one = cache.get("app/one", version="v-old")
    pinned_two = cache.get("app/two", version="v-old")
    assert pinned_one.stages == frozenset([Stage.CURRENT, Stage.PREVIOUS])
    assert pinned_one.stages is pinned_two.stages


def test_the_fetching_caller_and_later_hits_get_the_same_object() -> None:
    provider = FreshObjectsProvider()
    cache = _cache(provider)
    first = cache.get("app/one")
    assert cache.get("app/one") is first
    assert cache.read("app/one")[0] is first
    assert provider.calls == 1


def test_batch_reads_are_kept_in_the_same_form() -> None:
    provider = FreshObjectsProvider()
    cache = _cache(provider)
    batch = cache.get_many(["app/one", "app/two"])
    one, two = batch["app/one"], batch["app/two"]
    assert isinstance(one, Secret)
    assert isinstance(two, Secret)
    assert one.stages is two.stages
    assert one.created_at is not None
    assert one.created_at.tzinfo is UTC
    assert cache.get("app/one") is one
    assert provider.calls == 2


@pytest.mark.parametrize("created_at", [None, datetime(2026, 1, 2, 14, 30)])
def test_missing_or_naive_timestamps_are_left_alone(created_at: datetime | None) -> None:
    cached = _cache(FreshObjectsProvider(created_at)).get("app/one")
    assert cached.created_at == created_at
    assert cached.created_at is None or cached.created_at.tzinfo is None


def test_an_already_compact_secret_is_returned_as_is() -> None:
    secret = compact(FreshObjectsProvider().get("app/one"))
    assert compact(secret) is secret
