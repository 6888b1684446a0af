"""The rotation CLI tells the truth on a real local store: no silent rotation, failed and
unfinished rotations visible with their step, FAILS counting real failures, one schedule shown
alike by ``status``, ``describe`` and ``rotation status``; ``--json`` for ``rotate`` and
``rotation status``; ``rotation retire`` for key rings."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from secrets_adapter import KeyRing, SecretsAdapter
from secrets_adapter.cli.main import cli
from secrets_adapter.clock import utcnow
from secrets_adapter.providers.local import LocalProvider
from secrets_adapter.rotation.schedule import TAG_EVERY, TAG_LAST_ROTATED

STRIPE = "gaara/prod/stripe-api-key"
STRIPE_KEY = "sk_test_demo_51HxYzABCdefGHIjklMNOpqrSTU"
KEY = "ZGVtby1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy1vayE="


def sa(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def _status_rows() -> dict[str, dict[str, object]]:
    result = sa("status", "--json")
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.stdout)}


def test_rotate_refuses_a_secret_without_rotator_and_leaves_it(cli_store: Path) -> None:
    sa("put", STRIPE, stdin=STRIPE_KEY)
    result = sa("rotate", STRIPE)
    assert result.exit_code == 3
    assert f"secrets-adapter rotation configure {STRIPE} --rotator ROTATOR" in result.stderr
    assert sa("get", STRIPE).stdout == STRIPE_KEY + "\n"
    assert len(json.loads(sa("versions", STRIPE, "--json").stdout)) == 1


def test_rotate_due_refuses_a_due_secret_without_rotator(cli_store: Path) -> None:
    sa("put", STRIPE, stdin=STRIPE_KEY)
    with LocalProvider.open(cli_store) as provider:  # an interval, but no rotator chosen
        long_ago = (utcnow() - timedelta(days=40)).isoformat()
        provider.set_tags(STRIPE, {TAG_EVERY: "30d", TAG_LAST_ROTATED: long_ago})
    result = sa("rotate", "--due", "--json")
    assert result.exit_code == 1
    (outcome,) = json.loads(result.stdout)
    assert outcome["name"] == STRIPE and outcome["rotated"] is False
    assert outcome["error"] == "ConfigurationError" and "rotation configure" in outcome["message"]
    assert sa("get", STRIPE).stdout == STRIPE_KEY + "\n"


def test_rotate_json_reports_the_new_version(cli_store: Path) -> None:
    sa("put", "app/webhook", stdin="initial-webhook-secret-0123456789")
    sa("rotation", "configure", "app/webhook", "--rotator", "random")
    result = sa("rotate", "app/webhook", "--json")
    assert result.exit_code == 0, result.output
    (outcome,) = json.loads(result.stdout)
    versions = json.loads(sa("versions", "app/webhook", "--json").stdout)
    current = next(v["version"] for v in versions if "current" in v["stages"])
    assert outcome == {
        "name": "app/webhook", "rotated": True, "version_id": current,
        "error": None, "message": None, "step": None,
    }  # fmt: skip


def test_a_failed_rotation_shows_in_status_with_its_step_and_counts(cli_store: Path) -> None:
    sa("put", "app/db", stdin='{"username": "u", "password": "p"}')
    sa("rotation", "configure", "app/db", "--rotator", "random", "--every", "30d")
    for attempt in (1, 2):
        failed = sa("rotate", "app/db", "--json")
        assert failed.exit_code != 0
        assert json.loads(failed.stdout)[0]["step"] == "create"
        row = _status_rows()["app/db"]
        assert row["problem"] == "rotation failed at step create"
        assert row["recent_failures"] == attempt
    table = sa("status").stdout
    line = next(line for line in table.splitlines() if line.startswith("app/db"))
    assert "rotation failed at step create" in line and " 2 " in line
    status = json.loads(sa("rotation", "status", "app/db", "--json").stdout)
    assert status["problem"] == "rotation failed at step create" and status["failures"] == 2
    assert status["unfinished"]["status"] == "failed" and status["unfinished"]["step"] == "create"
    # fixed: the next rotation finishes and the record is cleared
    sa("rotation", "configure", "app/db", "--rotator", "random", "--every", "30d")
    sa("put", "app/db", stdin="now-a-plain-value-0123456789")
    assert sa("rotate", "app/db", "--restart").exit_code == 0
    row = _status_rows()["app/db"]
    assert row["problem"] is None and row["recent_failures"] == 0


def test_status_describe_and_rotation_status_agree_on_the_schedule(cli_store: Path) -> None:
    sa("put", "app/scheduled", stdin="scheduled-value-0123456789-abcdef")
    sa("rotation", "configure", "app/scheduled", "--rotator", "random", "--every", "7d")
    sa("put", "app/manual", stdin="manual-value-0123456789-abcdefghij")
    rows = _status_rows()
    for name in ("app/scheduled", "app/manual"):
        described = json.loads(sa("describe", name, "--json").stdout)["rotation"]
        status = json.loads(sa("rotation", "status", name, "--json").stdout)
        next_in_status = rows[name]["next_rotation"]
        assert described["next_rotation"] == status["next_rotation"]
        if status["next_rotation"] is None:
            assert next_in_status is None  # no schedule: no invented date
        else:
            shown = datetime.fromisoformat(str(next_in_status))
            assert shown == datetime.fromisoformat(status["next_rotation"])
    assert rows["app/manual"]["next_rotation"] is None


def test_keyring_retire_through_the_cli(cli_store: Path) -> None:
    sa("put", "app/encryption-key", stdin=KEY)
    assert sa("rotation", "configure", "app/encryption-key", "--rotator", "keyring",
              "--keep", "1").exit_code == 2  # fmt: skip
    assert sa("rotation", "configure", "app/encryption-key", "--rotator", "keyring").exit_code == 0
    assert sa("rotate", "app/encryption-key").exit_code == 0
    assert sa("get", "app/encryption-key").stdout.strip() != KEY  # the new primary, plain
    with SecretsAdapter("local", path=cli_store, cache=False) as adapter:
        ring = adapter.keyring("app/encryption-key").ring
    old, primary = ring.keys[0].id, ring.primary.id
    refused = sa("rotation", "retire", "app/encryption-key", old)
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert sa("rotation", "retire", "app/encryption-key", primary, "--force").exit_code != 0
    assert sa("rotation", "retire", "app/encryption-key", old, "--force").exit_code == 0
    with SecretsAdapter("local", path=cli_store, cache=False) as adapter:
        assert [k.id for k in KeyRing.from_value(adapter.get("app/encryption-key").value).keys] == [
            primary
        ]
