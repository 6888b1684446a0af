"""Rotation schedule from tags: intervals, last/next rotation, due-ness."""

from __future__ import annotations

from datetime import timedelta

import pytest

from secrets_adapter.errors import ValidationError
from secrets_adapter.events import EventBus
from secrets_adapter.models import SecretValue
from secrets_adapter.rotation.engine import RotationEngine
from secrets_adapter.rotation.rotators import builtin_rotators
from secrets_adapter.rotation.schedule import (
    format_interval,
    is_due,
    parse_interval,
    rotation_config_tags,
    rotation_schedule,
)
from secrets_adapter.testing import InMemoryProvider
from tests.unit.rotation.helpers import START, FakeClock


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("1w2d", timedelta(days=9)),
        ("90m", timedelta(minutes=90)),
        (" 45s ", timedelta(seconds=45)),
    ],
)
def test_intervals_parse_and_format_back(text: str, expected: timedelta) -> None:
    assert parse_interval(text) == expected
    assert parse_interval(format_interval(expected)) == expected


@pytest.mark.parametrize("text", ["", "30", "d", "3x", "0d", "-1d", "30d junk"])
def test_bad_intervals_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_interval(text)


def test_option_names_are_checked() -> None:
    with pytest.raises(ValidationError, match="option name"):
        rotation_config_tags(rotator="random", every=None, options={"Bad Key": "1"})


def test_an_unrotated_secret_counts_from_its_current_version_and_becomes_due() -> None:
    clock = FakeClock()
    provider = InMemoryProvider(clock=clock)
    provider.put("app/key", SecretValue("initial-value-of-the-key"))
    provider.set_tags(
        "app/key",
        rotation_config_tags(rotator="random", every=timedelta(days=30), options={"length": "24"}),
    )
    schedule = rotation_schedule(provider.describe("app/key"))
    assert schedule.rotator == "random" and schedule.every == timedelta(days=30)
    assert schedule.last_rotated == START
    assert schedule.next_rotation == START + timedelta(days=30)
    assert schedule.options == {"length": "24"}
    assert not is_due(provider.describe("app/key"), clock.now + timedelta(days=29))
    assert is_due(provider.describe("app/key"), clock.now + timedelta(days=30))


def test_a_rotation_records_its_time_and_moves_the_next_one() -> None:
    clock = FakeClock()
    provider = InMemoryProvider(clock=clock)
    provider.put("app/key", SecretValue("initial-value-of-the-key"))
    provider.set_tags(
        "app/key", rotation_config_tags(rotator="random", every=timedelta(days=7), options={})
    )
    clock.advance(timedelta(days=10))
    assert is_due(provider.describe("app/key"), clock.now)
    RotationEngine(provider, builtin_rotators(), events=EventBus(), clock=clock).rotate("app/key")
    schedule = rotation_schedule(provider.describe("app/key"))
    assert schedule.last_rotated == clock.now
    assert schedule.next_rotation == clock.now + timedelta(days=7)
    assert not is_due(provider.describe("app/key"), clock.now)


def test_a_secret_without_interval_is_never_due() -> None:
    provider = InMemoryProvider({"app/key": "initial-value-of-the-key"})
    schedule = rotation_schedule(provider.describe("app/key"))
    assert not schedule.configured and schedule.next_rotation is None
    assert not is_due(provider.describe("app/key"), START + timedelta(days=10_000))
