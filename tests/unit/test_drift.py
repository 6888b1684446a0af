"""Drift rows between the .env file, the store and the environment."""

from __future__ import annotations

from secrets_adapter.migrate import DriftStatus, Fingerprinter, compute_drift, environment_values
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


def test_the_aws_key_pair_is_read_from_its_two_variables() -> None:
    stored = SecretValue('{"access_key_id":"AKIA1","secret_access_key":"s1","user_name":"app"}')
    keys = {
        "p/aws-access-key": "AWS_ACCESS_KEY",
        "p/backup-aws-access-key": "BACKUP_AWS_ACCESS_KEY",
    }
    store = {"p/aws-access-key": stored}
    same = environment_values(
        keys, {"AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "s1"}, store
    )
    assert list(same) == ["p/aws-access-key"]
    rows = compute_drift(
        env_file={}, store=store, environment=same, keys=keys, fingerprint=Fingerprinter()
    )
    assert rows[0].status is DriftStatus.SAME  # the user name the store keeps is carried over
    for environ in (
        {"AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "s2"},
        {"AWS_ACCESS_KEY_ID": "AKIA1"},  # half a pair never agrees
    ):
        seen = environment_values(keys, environ, store)
        rows = compute_drift(
            env_file={}, store=store, environment=seen, keys=keys, fingerprint=Fingerprinter()
        )
        assert rows[0].status is DriftStatus.DIFFERENT
    assert environment_values(keys, {"AWS_ACCESS_KEY": "never set by a process"}, store) == {}
    backup = environment_values(
        keys, {"BACKUP_AWS_ACCESS_KEY_ID": "AKIA2", "BACKUP_AWS_SECRET_ACCESS_KEY": "s"}, store
    )
    assert backup["p/backup-aws-access-key"].json() == {
        "access_key_id": "AKIA2",
        "secret_access_key": "s",
    }
