"""What ``exec`` puts in the child's environment (the process side is in integration/)."""

from __future__ import annotations

import sys

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.cli.exec_cmd import child_environment, run_forwarding_signals
from secrets_adapter.testing import InMemoryProvider


def _adapter(provider: InMemoryProvider | None = None) -> SecretsAdapter:
    provider = provider or _provider()
    return SecretsAdapter(provider=provider, prefix="gaara/prod")


def _provider() -> InMemoryProvider:
    return InMemoryProvider(
        {
            "gaara/prod/database-url": "pg://db",
            "gaara/prod/db/replica-url": "pg://replica",
            "gaara/prod/blob": b"\x00\xff",
            "gaara/prod/with-nul": "a\x00b",
            "gaara/production/other": "outside",
        }
    )


def test_secrets_under_the_prefix_become_variables() -> None:
    env, skipped, kept = child_environment(_adapter(), {"PATH": "/bin"}, prefix="gaara/prod")
    assert env == {"PATH": "/bin", "DATABASE_URL": "pg://db", "DB__REPLICA_URL": "pg://replica"}
    assert skipped == ["gaara/prod/blob", "gaara/prod/with-nul"]
    assert kept == []


def test_a_variable_already_set_is_kept_and_its_secret_not_read() -> None:
    provider = _provider()
    environ = {"DATABASE_URL": "from-the-caller", "DB__REPLICA_URL": ""}
    env, _, kept = child_environment(
        _adapter(provider),
        environ,
        prefix="gaara/prod",
        names=["database-url", "gaara/prod/db/replica-url"],
    )
    assert env == environ
    assert kept == ["DATABASE_URL", "DB__REPLICA_URL"]
    assert "get_many" not in provider.calls


def test_override_replaces_variables_already_set() -> None:
    env, _, kept = child_environment(
        _adapter(), {"DATABASE_URL": "stale"}, prefix="gaara/prod", override=True
    )
    assert env["DATABASE_URL"] == "pg://db"
    assert kept == []


def test_the_secrets_are_read_in_one_batch_and_unmappable_ones_not_at_all() -> None:
    provider = _provider()
    names = ["database-url", "gaara/prod/db/replica-url", "gaara/production/other"]
    _, skipped, _ = child_environment(_adapter(provider), {}, prefix="gaara/prod", names=names)
    assert skipped == ["gaara/production/other"]  # outside the prefix: no variable to hold it
    assert provider.calls == {"get_many": 1}


def test_only_named_secrets() -> None:
    env, skipped, _ = child_environment(_adapter(), {}, prefix="gaara/prod", names=["database-url"])
    assert env == {"DATABASE_URL": "pg://db"}
    assert skipped == []


def test_without_prefix_full_names_map_to_double_underscores() -> None:
    env, _, _ = child_environment(_adapter(), {}, prefix="", names=["gaara/production/other"])
    assert env == {"GAARA__PRODUCTION__OTHER": "outside"}


def test_exit_codes_pass_through() -> None:
    assert run_forwarding_signals([sys.executable, "-c", "raise SystemExit(3)"], {}) == 3
