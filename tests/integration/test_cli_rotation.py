"""The rotation CLI on a real local store: configure, status, rotate NAME, rotate --due."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.cli.main import cli
from secrets_adapter.cli.rotation import rotation_lines
from secrets_adapter.clock import utcnow
from secrets_adapter.models import SecretMetadata, SecretValue, Stage, VersionInfo
from secrets_adapter.providers.base import VersionedProvider
from secrets_adapter.rotation.schedule import TAG_EVERY, TAG_LAST_ROTATED, TAG_ROTATOR
from secrets_adapter.rotation.state import TAG_STATE
from tests.sentinel import SENTINEL
from tests.unit.rotation.helpers import START


def sa(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def _tags(name: str) -> dict[str, str]:
    described = sa("describe", name, "--json")
    assert described.exit_code == 0, described.output
    tags: dict[str, str] = json.loads(described.stdout)["tags"]
    return tags


def test_configure_then_rotate_uses_the_configured_rotator(cli_store: Path) -> None:
    assert sa("put", "app/key", stdin=SENTINEL).exit_code == 0
    configured = sa(
        "rotation", "configure", "app/key", "--rotator", "random", "--every", "30d",
        "--length", "24", "--alphabet", "hex",
    )  # fmt: skip
    assert configured.exit_code == 0, configured.output
    tags = _tags("app/key")
    assert tags[TAG_ROTATOR] == "random" and tags[TAG_EVERY] == "30d"
    rotated = sa("rotate", "app/key")
    assert rotated.exit_code == 0, rotated.output
    value = sa("get", "app/key").stdout.strip()
    assert len(value) == 24 and set(value) <= set("0123456789abcdef")
    assert SENTINEL not in rotated.output and SENTINEL not in configured.output
    status = sa("rotation", "status", "app/key")
    assert "rotator:       random" in status.stdout
    assert "every:         30d" in status.stdout
    assert "option length: 24" in status.stdout
    assert TAG_LAST_ROTATED in _tags("app/key")


def test_reconfiguring_drops_options_of_the_old_rotator(cli_store: Path) -> None:
    sa("put", "app/key", stdin="initial-value-for-the-key")
    sa("rotation", "configure", "app/key", "--rotator", "random", "--length", "20")
    sa("rotation", "configure", "app/key", "--rotator", "jwt", "--grace", "14d")
    tags = _tags("app/key")
    assert "secrets-adapter:rotator.length" not in tags
    assert tags["secrets-adapter:rotator.grace"] == "14d"


@pytest.mark.parametrize(
    "args",
    [
        ["rotation", "configure", "app/key", "--rotator", "random", "--every", "soon"],
        ["rotation", "configure", "app/key", "--rotator", "random", "--option", "novalue"],
        ["rotate"],
        ["rotate", "app/key", "--due"],
    ],
)
def test_bad_usage_exits_2(cli_store: Path, args: list[str]) -> None:
    sa("put", "app/key", stdin="initial-value-for-the-key")
    result = sa(*args)
    assert result.exit_code == 2, result.output


def _age(cli_store: Path, *names: str) -> None:
    """Make the secrets' last rotation two days old (the store's own tags, as a clock would)."""
    adapter = SecretsAdapter("local", path=cli_store, cache=False)
    try:
        provider = adapter._provider  # the store itself: the test sets up its state
        assert isinstance(provider, VersionedProvider)
        for name in names:
            provider.set_tags(name, {TAG_LAST_ROTATED: (utcnow() - timedelta(days=2)).isoformat()})
    finally:
        adapter.close()


def test_rotate_due_rotates_only_what_is_due(cli_store: Path) -> None:
    for name in ("app/due", "app/later", "app/manual"):
        sa("put", name, stdin=f"initial-value-for-{name}")
    sa("rotation", "configure", "app/due", "--rotator", "random", "--every", "1d")
    sa("rotation", "configure", "app/later", "--rotator", "random", "--every", "30d")
    _age(cli_store, "app/due", "app/later")
    result = sa("rotate", "--due")
    assert result.exit_code == 0, result.output
    assert "Rotated app/due" in result.stderr
    assert "1 rotated, 0 failed" in result.stderr
    counts = {n: len(json.loads(sa("versions", n, "--json").stdout)) for n in
              ("app/due", "app/later", "app/manual")}  # fmt: skip
    assert counts == {"app/due": 2, "app/later": 1, "app/manual": 1}


def test_rotate_due_reports_failures_with_exit_1(cli_store: Path) -> None:
    sa("put", "app/db", stdin='{"username": "u", "password": "p"}')
    sa("rotation", "configure", "app/db", "--rotator", "random", "--every", "1d")
    _age(cli_store, "app/db")
    result = sa("rotate", "--due")
    assert result.exit_code == 1
    assert "FAILED app/db" in result.stderr and "1 failed" in result.stderr
    assert TAG_STATE in _tags("app/db")
    assert '"p"' not in result.output


def test_rotation_lines_show_last_next_and_unfinished_state() -> None:
    metadata = SecretMetadata(
        name="app/key",
        versions=(
            VersionInfo(
                name="app/key", version_id="v1", stages=frozenset({Stage.CURRENT}), created_at=START
            ),
        ),
        tags={TAG_ROTATOR: "jwt", TAG_EVERY: "7d", TAG_STATE: "failed:test:tok"},
    )
    rows = dict(rotation_lines(metadata, START + timedelta(days=8)))
    assert rows["rotator"] == "jwt"
    assert rows["last rotation"] == START.isoformat(timespec="seconds")
    assert rows["next rotation"] == (START + timedelta(days=7)).isoformat(timespec="seconds")
    assert rows["due"] == "yes"
    assert rows["unfinished"] == "failed at step test"


def test_rotate_restart_abandons_a_stuck_rotation(cli_store: Path) -> None:
    sa("put", "app/key", stdin="initial-value-for-the-key")
    sa("rotation", "configure", "app/key", "--rotator", "random", "--length", "20")
    adapter = SecretsAdapter("local", path=cli_store, cache=False)
    try:
        provider = adapter._provider  # the store itself: the test sets up its state
        assert isinstance(provider, VersionedProvider)
        provider.put_version("app/key", SecretValue("too-short"), token="stuck")
        provider.set_tags("app/key", {TAG_STATE: "failed:test:stuck"})
    finally:
        adapter.close()
    resumed = sa("rotate", "app/key")  # resumes at test, and the pending value fails again
    assert resumed.exit_code == 1 and "step 'test'" in resumed.stderr
    restarted = sa("rotate", "app/key", "--restart")
    assert restarted.exit_code == 0, restarted.output
    assert len(sa("get", "app/key").stdout.strip()) == 20
    assert TAG_STATE not in _tags("app/key")
