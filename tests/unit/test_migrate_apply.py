"""Apply, verify and rollback through a real adapter over InMemoryProvider: byte-exact round
trips of awkward values, idempotency, a failure in the middle of apply, no plaintext left."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.dotenv_file import (
    entries_as_dict,
    format_dotenv,
    quote_value,
    read_dotenv_file,
)
from secrets_adapter.errors import MigrationError, SecretFormatError
from secrets_adapter.migrate import (
    Action,
    Fingerprinter,
    MigrationRules,
    apply_plan,
    build_plan,
    rollback_entries,
    verify_migration,
    write_rollback_file,
)
from secrets_adapter.models import SecretValue
from secrets_adapter.testing import InMemoryProvider
from tests.fixtures.dotenv_samples import AWKWARD_SECRETS, write_awkward_env
from tests.fixtures.faults import FlakyProvider
from tests.sentinel import SENTINEL

RULES = MigrationRules(prefix="gaara/prod")


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    return write_awkward_env(tmp_path / ".env")


def _migrate(adapter: SecretsAdapter, env_file: Path, rules: MigrationRules = RULES) -> None:
    plan, _ = build_plan(adapter, read_dotenv_file(env_file), rules, Fingerprinter())
    assert apply_plan(adapter, plan).ok


def test_plan_writes_nothing(env_file: Path) -> None:
    provider = InMemoryProvider()
    adapter = SecretsAdapter(provider=provider, prefix="gaara/prod")
    plan, desired = build_plan(adapter, read_dotenv_file(env_file), RULES, Fingerprinter())
    assert plan.count(Action.CREATE) == len(AWKWARD_SECRETS) == len(desired)
    assert "put" not in provider.calls
    assert {skip.key for skip in plan.skipped} == {"LOG_LEVEL", "FLASK_APP", "DEBUG"}
    assert SENTINEL not in repr(plan)


def test_apply_verify_rollback_round_trip_byte_exact(env_file: Path, tmp_path: Path) -> None:
    adapter = SecretsAdapter(provider=InMemoryProvider(), prefix="gaara/prod")
    _migrate(adapter, env_file)
    assert adapter.get_secret_value("jwt-secret-key") == AWKWARD_SECRETS["JWT_SECRET_KEY"]
    _, desired = build_plan(adapter, read_dotenv_file(env_file), RULES, Fingerprinter())
    report = verify_migration(adapter, desired)
    assert report.ok
    assert len(report.matched) == len(AWKWARD_SECRETS)

    rolled_back = tmp_path / "rollback" / ".env"
    rolled_back.parent.mkdir()
    write_rollback_file(rolled_back, rollback_entries(adapter), interpolating=False)
    assert entries_as_dict(read_dotenv_file(rolled_back)) == AWKWARD_SECRETS
    assert stat.S_IMODE(rolled_back.stat().st_mode) == 0o600
    assert os.listdir(rolled_back.parent) == [".env"]


def test_second_apply_changes_nothing(env_file: Path) -> None:
    provider = InMemoryProvider()
    adapter = SecretsAdapter(provider=provider, prefix="gaara/prod")
    _migrate(adapter, env_file)
    puts = provider.calls["put"]
    plan, _ = build_plan(adapter, read_dotenv_file(env_file), RULES, Fingerprinter())
    assert plan.count(Action.UNCHANGED) == len(AWKWARD_SECRETS)
    assert apply_plan(adapter, plan).written == ()
    assert provider.calls["put"] == puts


def test_failure_mid_apply_then_rerun_completes(env_file: Path) -> None:
    provider = FlakyProvider(fail_on_put=3)
    adapter = SecretsAdapter(provider=provider, prefix="gaara/prod")
    plan, desired = build_plan(adapter, read_dotenv_file(env_file), RULES, Fingerprinter())
    report = apply_plan(adapter, plan)
    assert not report.ok
    # the new secrets go in one bulk write: the failed one does not stop the others
    assert len(report.written) == len(AWKWARD_SECRETS) - 1
    assert report.failed == plan.to_write[2].name
    assert report.failed not in report.written
    assert report.error is not None and "ProviderUnavailableError" in report.error
    assert report.not_attempted == ()
    assert not verify_migration(adapter, desired).ok

    again, _ = build_plan(adapter, read_dotenv_file(env_file), RULES, Fingerprinter())
    assert again.count(Action.UNCHANGED) == len(AWKWARD_SECRETS) - 1
    assert apply_plan(adapter, again).ok
    assert verify_migration(adapter, desired).ok
    for secret in desired:  # nothing written twice, nothing lost
        assert len(provider.describe(secret.name).versions) == 1


def test_update_is_a_check_and_set(env_file: Path) -> None:
    provider = InMemoryProvider()
    adapter = SecretsAdapter(provider=provider, prefix="gaara/prod")
    _migrate(adapter, env_file)
    env_file.write_text("STRIPE_API_KEY=rotated-in-env\n", encoding="utf-8")
    plan, _ = build_plan(adapter, read_dotenv_file(env_file), RULES, Fingerprinter())
    (item,) = plan.to_write
    assert item.action is Action.UPDATE
    provider.put("gaara/prod/stripe-api-key", SecretValue("changed meanwhile"))
    report = apply_plan(adapter, plan)
    assert report.failed == "gaara/prod/stripe-api-key"
    assert report.error is not None and report.error.startswith("ConflictError")
    assert adapter.get_secret_value("stripe-api-key") == "changed meanwhile"


def test_deleted_secret_blocks_its_item(env_file: Path) -> None:
    provider = InMemoryProvider()
    adapter = SecretsAdapter(provider=provider, prefix="gaara/prod")
    _migrate(adapter, env_file)
    adapter.delete_secret("stripe-api-key")
    plan, _ = build_plan(adapter, read_dotenv_file(env_file), RULES, Fingerprinter())
    blocked = [item for item in plan.items if item.action is Action.BLOCKED]
    assert [item.name for item in blocked] == ["gaara/prod/stripe-api-key"]
    assert "scheduled for deletion" in blocked[0].reason


def test_verify_reports_mismatch_and_missing(env_file: Path) -> None:
    provider = InMemoryProvider()
    adapter = SecretsAdapter(provider=provider, prefix="gaara/prod")
    _migrate(adapter, env_file)
    _, desired = build_plan(adapter, read_dotenv_file(env_file), RULES, Fingerprinter())
    provider.put("gaara/prod/jwt-secret-key", SecretValue("line one\nline two\nline three\n"))
    provider.delete("gaara/prod/stripe-api-key", force=True)
    report = verify_migration(adapter, desired)
    assert not report.ok
    assert report.mismatched == ("gaara/prod/jwt-secret-key",)
    assert report.missing == ("gaara/prod/stripe-api-key",)


def test_group_round_trips_through_rollback(tmp_path: Path) -> None:
    source = tmp_path / "in.env"
    source.write_text(
        'DATABASE_URL=\'postgres://u:p@h/db\'\nDATABASE_PASSWORD="p\\"w"\nJWT_KEY=j\n',
        encoding="utf-8",
    )
    rules = MigrationRules(prefix="gaara/prod", groups=("DATABASE",))
    adapter = SecretsAdapter(provider=InMemoryProvider(), prefix="gaara/prod")
    _migrate(adapter, source, rules)
    assert adapter.get_secret_value("database", "password") == 'p"w'
    pairs = rollback_entries(adapter, groups=["DATABASE"])
    out = tmp_path / "out.env"
    write_rollback_file(out, pairs)
    assert entries_as_dict(read_dotenv_file(out)) == entries_as_dict(read_dotenv_file(source))


def test_a_group_secret_that_is_not_json_fails_without_chaining_its_value() -> None:
    """``JSONDecodeError.doc`` is the whole value: not even a suppressed context may keep it."""
    adapter = SecretsAdapter(provider=InMemoryProvider(), prefix="gaara/prod")
    adapter.put_secret("database", "{" + SENTINEL)
    with pytest.raises(SecretFormatError, match="not a JSON object") as caught:
        rollback_entries(adapter, groups=["DATABASE"])
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert SENTINEL not in str(caught.value)


def test_rollback_of_named_secrets_only(env_file: Path) -> None:
    adapter = SecretsAdapter(provider=InMemoryProvider(), prefix="gaara/prod")
    _migrate(adapter, env_file)
    pairs = rollback_entries(adapter, names=["stripe-api-key", "gaara/prod/database-url"])
    assert [key for key, _ in pairs] == ["DATABASE_URL", "STRIPE_API_KEY"]


def test_rollback_refuses_overwrite_and_binary(env_file: Path, tmp_path: Path) -> None:
    adapter = SecretsAdapter(provider=InMemoryProvider(), prefix="gaara/prod")
    _migrate(adapter, env_file)
    target = tmp_path / "existing.env"
    target.write_text("KEEP=me\n", encoding="utf-8")
    with pytest.raises(MigrationError, match="exists already: pass --force"):
        write_rollback_file(target, rollback_entries(adapter), interpolating=False)
    assert target.read_text(encoding="utf-8") == "KEEP=me\n"
    write_rollback_file(target, rollback_entries(adapter), force=True, interpolating=False)
    assert entries_as_dict(read_dotenv_file(target)) == AWKWARD_SECRETS
    assert sorted(os.listdir(tmp_path)) == [".env", "existing.env"]

    adapter.put_secret("binary-key", b"\x00\xff")
    with pytest.raises(MigrationError, match=r"gaara/prod/binary-key \(binary\)"):
        rollback_entries(adapter)


def test_rollback_stays_inside_the_prefix_folder(env_file: Path) -> None:
    provider = InMemoryProvider({"gaara/production/other": "not ours"})
    adapter = SecretsAdapter(provider=provider, prefix="gaara/prod")
    _migrate(adapter, env_file)
    assert [key for key, _ in rollback_entries(adapter)] == sorted(AWKWARD_SECRETS)


def _writable(value: str) -> bool:
    try:
        quote_value(value)
    except ValueError:
        return False
    return True


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.dictionaries(
        st.from_regex(r"[A-Z][A-Z0-9]{0,8}_TOKEN", fullmatch=True),
        st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30).filter(
            _writable
        ),
        min_size=1,
        max_size=5,
    )
)
def test_any_text_survives_migrate_and_rollback(values: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / f"{uuid.uuid4().hex}.env"
    source.write_text(format_dotenv(values), encoding="utf-8")
    adapter = SecretsAdapter(provider=InMemoryProvider(), prefix="p")
    _migrate(adapter, source, MigrationRules(prefix="p"))
    target = tmp_path / f"{uuid.uuid4().hex}.env"
    write_rollback_file(target, rollback_entries(adapter), interpolating=False)
    assert entries_as_dict(read_dotenv_file(target)) == values
