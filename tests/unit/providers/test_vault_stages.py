"""Stages derived from Vault's version history and our record in custom_metadata (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from secrets_adapter.errors import ValidationError
from secrets_adapter.models import Stage
from secrets_adapter.providers.vault_stages import (
    TOKENS_KEPT,
    KvState,
    StageRecord,
    VersionStatus,
    check_tag_key,
    check_token,
    derive_stages,
    parse_state,
    parse_vault_time,
    record_new_version,
)

C, P, N = Stage.CURRENT, Stage.PREVIOUS, Stage.PENDING


def test_with_no_record_the_newest_is_current_and_the_one_before_previous() -> None:
    assert derive_stages(StageRecord(), 3) == {C: 3, P: 2}
    assert derive_stages(StageRecord(), 1) == {C: 1}
    assert derive_stages(StageRecord(), 0) == {}


def test_a_record_as_of_the_newest_version_is_the_truth() -> None:
    rotating = StageRecord(stages={C: 2, P: 1, N: 3}, as_of=3)
    assert derive_stages(rotating, 3) == {C: 2, P: 1, N: 3}
    rolled_back = StageRecord(stages={C: 1, P: 3}, as_of=3)
    assert derive_stages(rolled_back, 3) == {C: 1, P: 3}


def test_one_write_by_another_tool_becomes_current_and_ours_previous() -> None:
    # adapter wrote a1, a2 (record: current 2 as of 2); `bao kv put` wrote b3
    assert derive_stages(StageRecord(stages={C: 2, P: 1}, as_of=2), 3) == {C: 3, P: 2}
    # during a rollback the value served before b3 was version 1
    assert derive_stages(StageRecord(stages={C: 1, P: 2}, as_of=2), 3) == {C: 3, P: 1}


def test_several_foreign_writes_make_the_one_before_the_newest_previous() -> None:
    assert derive_stages(StageRecord(stages={C: 2}, as_of=2), 5) == {C: 5, P: 4}


def test_a_foreign_write_drops_an_unfinished_rotations_pending() -> None:
    record = StageRecord(stages={C: 1, N: 2}, as_of=2)
    assert derive_stages(record, 3) == {C: 3, P: 1}


def test_a_record_ahead_of_vault_keeps_only_what_exists() -> None:
    # put_version records pending 3 before writing it: until it lands, 2 stays current
    assert derive_stages(StageRecord(stages={C: 2, P: 1, N: 3}, as_of=3), 2) == {C: 2, P: 1}
    # put records current 3 first: until it lands, the newest (2) is current
    assert derive_stages(StageRecord(stages={C: 3, P: 2}, as_of=3), 2) == {C: 2}


_LIVE = {"created_time": "2026-01-02T03:04:05.5Z", "deletion_time": "", "destroyed": False}


def _metadata(custom: dict[str, str], versions: dict[str, dict[str, object]]) -> dict[str, object]:
    return {
        "current_version": max(int(v) for v in versions),
        "custom_metadata": custom,
        "versions": versions,
        "created_time": "2026-01-02T03:04:05.123456789Z",
        "updated_time": "2026-01-02T03:04:05Z",
    }


def test_a_deleted_or_destroyed_newest_version_stays_current() -> None:
    versions = {"1": _LIVE, "2": {**_LIVE, "destroyed": True}}
    state = parse_state(_metadata({}, versions))
    assert state.stages == {C: 2, P: 1}  # never version 1 in its place
    assert state.live_versions == [1]
    versions = {"1": _LIVE, "2": {**_LIVE, "deletion_time": "2026-01-03T00:00:00Z"}}
    assert parse_state(_metadata({}, versions)).soft_deleted == [2]


def test_the_record_is_written_back_as_it_was_read() -> None:
    custom = {
        "secrets-adapter.stage.current": "1",
        "secrets-adapter.stage.pending": "2",
        "secrets-adapter.stage.as-of": "2",
        "secrets-adapter.token.abc": "2",
        "team": "shop",
    }
    state = parse_state(_metadata(custom, {"1": _LIVE, "2": _LIVE}))
    assert state.id_labels() == {"1": {C}, "2": {N}}
    assert state.number_of("abc") == 2
    assert state.number_of("2") == 2
    assert state.number_of("9") is None
    assert state.tags == {"team": "shop"}
    assert state.custom_metadata() == custom


def test_only_the_last_tokens_are_kept() -> None:
    state = KvState(latest=50, stages={C: 50})
    state.tokens = {f"token-{n}": n for n in range(1, 51)}
    kept = [key for key in state.custom_metadata() if key.startswith("secrets-adapter.token.")]
    assert len(kept) == TOKENS_KEPT
    assert "secrets-adapter.token.token-50" in kept


def test_vault_times_keep_microseconds_and_utc() -> None:
    assert parse_vault_time("2026-01-02T03:04:05.123456789Z") == datetime(
        2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC
    )
    assert parse_vault_time("") is None


@pytest.mark.parametrize("token", ["", "123", "x" * 200])
def test_bad_tokens_are_refused(token: str) -> None:
    with pytest.raises(ValidationError):
        check_token(token, name="n")


def test_reserved_tag_keys_are_refused() -> None:
    with pytest.raises(ValidationError):
        check_tag_key("secrets-adapter.stage.current", name="n")
    assert check_tag_key("team", name="n") == "team"


def _state(stages: dict[Stage, int], latest: int) -> KvState:
    return KvState(
        versions={n: VersionStatus() for n in range(1, latest + 1)}, latest=latest, stages=stages
    )


def test_a_new_current_version_makes_the_old_current_previous() -> None:
    state = _state({C: 1, P: 2}, 2)  # rolled back to 1
    record_new_version(state, 3, stage=C, token=None, created_at=datetime.now(UTC), name="n")
    assert state.stages == {C: 3, P: 1}
    assert state.custom_metadata()["secrets-adapter.stage.as-of"] == "3"


def test_a_pending_version_leaves_current_and_is_named_by_its_token() -> None:
    state = _state({C: 2, P: 1}, 2)
    record_new_version(state, 3, stage=N, token="tok", created_at=datetime.now(UTC), name="n")
    assert state.stages == {C: 2, P: 1, N: 3}
    assert state.number_of("tok") == 3
    assert state.token_of(3) == "tok"
