"""Drift rows between the .env file, the store and the environment."""

from __future__ import annotations

from secrets_adapter.migrate import DriftStatus, Fingerprinter, compute_drift
from secrets_adapter.models import SecretValue
from tests.sentinel import SENTINEL


def test_statuses() -> None:
    v = SecretValue
    rows = compute_drift(
        env_file={"a": v("1"), "b": v("1"), "c": v("1"), "f": v(SENTINEL)},
        store={"a": v("1"), "b": v("2"), "d": v("1"), "f": v(SENTINEL)},
        environment={"a": v("1"), "e": v("1"), "f": v("other")},
        keys={"a": "A"},
        fingerprint=Fingerprinter(),
    )
    status = {row.name: row.status for row in rows}
    assert status == {
        "a": DriftStatus.SAME,
        "b": DriftStatus.DIFFERENT,
        "c": DriftStatus.ENV_FILE_ONLY,
        "d": DriftStatus.STORE_ONLY,
        "e": DriftStatus.ENVIRONMENT_ONLY,
        "f": DriftStatus.DIFFERENT,
    }
    assert [row.name for row in rows if row.status.is_drift] == ["b", "c", "f"]
    first = rows[0]
    assert first.key == "A"
    assert first.env_file == first.store == first.environment
    assert first.env_file is not None and first.env_file.startswith("fp:")
    assert rows[3].env_file is None
    assert SENTINEL not in repr(rows)


def test_the_same_bytes_as_text_and_as_binary_differ() -> None:
    rows = compute_drift(
        env_file={"k": SecretValue("abc")},
        store={"k": SecretValue(b"abc")},
        environment={},
        keys={},
        fingerprint=Fingerprinter(),
    )
    assert [row.status for row in rows] == [DriftStatus.DIFFERENT]
