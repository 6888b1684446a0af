"""``migrate plan`` proposes a rotator per secret; ``migrate apply --configure-rotation`` sets it,
keeping any rotator already configured, on a real local store through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from secrets_adapter.cli.main import cli
from secrets_adapter.rotation.rotators import ROTATOR_NAMES

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gaara_store" / ".env.example"
PROPOSED = {
    "gaara/prod/aws-access-key": "aws-iam-access-key",
    "gaara/prod/database-url": "postgres",
    "gaara/prod/encryption-key": "keyring",
    "gaara/prod/jwt-refresh-secret-key": "jwt",
    "gaara/prod/jwt-secret-key": "jwt",
    "gaara/prod/oauth-client-secret": "external",
    "gaara/prod/sendgrid-api-key": "external",
    "gaara/prod/stripe-api-key": "external",
}


def sa(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def _rotator(name: str) -> str | None:
    tags: dict[str, str] = json.loads(sa("describe", name, "--json").stdout)["tags"]
    return tags.get("secrets-adapter:rotator")


def test_plan_proposes_and_apply_configures_each_rotator(cli_store: Path) -> None:
    source = ("--from", str(ENV_EXAMPLE), "--prefix", "gaara/prod")
    planned = sa("migrate", "plan", "--no-interpolate", *source, "--json")
    assert planned.exit_code == 0, planned.output
    rows = json.loads(planned.stdout)["secrets"]
    assert {row["name"]: row["rotator"] for row in rows} == PROPOSED
    assert all(row["rotator_reason"] for row in rows)
    assert (
        "rotator: aws-iam-access-key" in sa("migrate", "plan", "--no-interpolate", *source).stdout
    )
    assert sa("put", "gaara/prod/jwt-secret-key", stdin="chosen-before").exit_code == 0
    chosen = sa("rotation", "configure", "gaara/prod/jwt-secret-key", "--rotator", "random")
    assert chosen.exit_code == 0, chosen.output
    applied = sa("migrate", "apply", "--no-interpolate", *source, "--configure-rotation", "--json")
    assert applied.exit_code == 0, applied.output
    outcome = json.loads(applied.stdout)["rotation_configured"]
    assert outcome["gaara/prod/jwt-secret-key"] == "kept random (already configured)"
    assert _rotator("gaara/prod/jwt-secret-key") == "random"
    for name, rotator in PROPOSED.items():
        if name == "gaara/prod/jwt-secret-key":
            continue
        if rotator in ROTATOR_NAMES:
            assert _rotator(name) == rotator, name
        else:  # keyring arrives with its own rotator module
            assert _rotator(name) is None
            assert outcome[name] == f"proposed {rotator}, which this version does not ship"


def test_apply_without_the_flag_configures_nothing(cli_store: Path) -> None:
    applied = sa(
        "migrate", "apply", "--no-interpolate", "--from", str(ENV_EXAMPLE), "--prefix", "gaara/prod"
    )
    assert applied.exit_code == 0, applied.output
    assert all(_rotator(name) is None for name in PROPOSED)
