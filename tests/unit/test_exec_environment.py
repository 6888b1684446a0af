"""What ``exec`` puts in the child's environment (the process side is in integration/)."""

from __future__ import annotations

import sys

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.cli.exec_cmd import child_environment, run_forwarding_signals
from secrets_adapter.testing import InMemoryProvider


def _adapter() -> SecretsAdapter:
    provider = InMemoryProvider(
        {
            "gaara/prod/database-url": "pg://db",
            "gaara/prod/db/replica-url": "pg://replica",
            "gaara/prod/blob": b"\x00\xff",
            "gaara/prod/with-nul": "a\x00b",
            "gaara/production/other": "outside",
        }
    )
    return SecretsAdapter(provider=provider, prefix="gaara/prod")


def test_secrets_under_the_prefix_become_variables() -> None:
    env, skipped = child_environment(
        _adapter(), {"PATH": "/bin", "DATABASE_URL": "stale"}, prefix="gaara/prod"
    )
    assert env == {"PATH": "/bin", "DATABASE_URL": "pg://db", "DB__REPLICA_URL": "pg://replica"}
    assert skipped == ["gaara/prod/blob", "gaara/prod/with-nul"]


def test_only_named_secrets() -> None:
    env, skipped = child_environment(_adapter(), {}, prefix="gaara/prod", names=["database-url"])
    assert env == {"DATABASE_URL": "pg://db"}
    assert skipped == []


def test_without_prefix_full_names_map_to_double_underscores() -> None:
    env, _ = child_environment(_adapter(), {}, prefix="", names=["gaara/production/other"])
    assert env == {"GAARA__PRODUCTION__OTHER": "outside"}


def test_exit_codes_pass_through() -> None:
    assert run_forwarding_signals([sys.executable, "-c", "raise SystemExit(3)"], {}) == 3
