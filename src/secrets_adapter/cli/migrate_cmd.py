"""``secrets-adapter migrate plan|apply|verify``: from a ``.env`` file into the store.

``plan`` writes nothing; ``apply`` writes the plan (idempotent: a second run changes nothing);
``verify`` reads every migrated secret back and compares it byte-exact with python-dotenv's own
reading of the file, exit 4 on a mismatch.
Values appear only as fingerprints (``fp:…``), comparable within one run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.cli.context import (
    EXIT_ERROR,
    EXIT_MISMATCH,
    CliContext,
    UserError,
    handle_errors,
    pass_cli,
)
from secrets_adapter.dotenv_file import DotenvEntry, read_dotenv_file
from secrets_adapter.migrate import (
    Action,
    Fingerprinter,
    MigrationPlan,
    MigrationRules,
    apply_plan,
    build_plan,
    configure_rotations,
    desired_secrets,
    python_dotenv_entries,
    verify_migration,
)

__all__ = ["migrate_group"]

F = TypeVar("F", bound=Callable[..., Any])
PROGRESS_BAR_FROM = 10


def migration_options(func: F) -> F:
    """The options plan, apply and verify share."""
    options = [
        click.option(
            "--from",
            "source",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            default=Path(".env"),
            show_default=True,
            help="The .env file to migrate.",
        ),
        click.option(
            "--to",
            "backend",
            type=click.Choice(["local", "aws", "vault"]),
            default=None,
            help="Target store (default: the global --backend).",
        ),
        click.option("--prefix", default=None, help="Name prefix, e.g. gaara/prod."),
        click.option(
            "--secret",
            "secret_patterns",
            multiple=True,
            help="Treat keys matching this pattern (e.g. 'MY_*') as secrets. Repeatable.",
        ),
        click.option(
            "--config",
            "config_patterns",
            multiple=True,
            help="Treat keys matching this pattern as configuration (left in .env). Repeatable.",
        ),
        click.option(
            "--group",
            "groups",
            multiple=True,
            help="Put every STEM_* key into one JSON secret <prefix>/stem. Repeatable.",
        ),
        click.option(
            "--interpolate/--no-interpolate",
            default=None,
            help="Whether the application's loader expands ${VAR} (python-dotenv's load_dotenv "
            "does by default; interpolate=False does not). Without either, a ${...} value is "
            "refused rather than guessed.",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print the report as JSON."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@dataclass(frozen=True, slots=True, kw_only=True)
class _Run:
    adapter: SecretsAdapter
    entries: tuple[DotenvEntry, ...]
    rules: MigrationRules
    source: Path
    interpolate: bool


def _prepare(
    state: CliContext,
    *,
    source: Path,
    backend: str | None,
    prefix: str | None,
    secret_patterns: tuple[str, ...],
    config_patterns: tuple[str, ...],
    groups: tuple[str, ...],
    interpolate: bool | None,
) -> _Run:
    if backend is not None:
        state.backend = backend
    if prefix is not None:
        state.prefix = prefix
    adapter = state.adapter()
    if adapter.backend == "env":
        raise UserError("Migrate into a store: pass --to local, aws or vault.", EXIT_ERROR)
    entries = read_dotenv_file(source, interpolate=interpolate)
    rules = MigrationRules(
        prefix=adapter.prefix,
        secret_patterns=secret_patterns,
        config_patterns=config_patterns,
        groups=tuple(group.upper() for group in groups),
    )
    return _Run(
        adapter=adapter, entries=entries, rules=rules, source=source, interpolate=bool(interpolate)
    )


def _plan_json(plan: MigrationPlan) -> dict[str, Any]:
    return {
        "secrets": [
            {
                "name": item.name,
                "keys": list(item.keys),
                "action": item.action.value,
                "fingerprint": item.fingerprint,
                "store_fingerprint": item.current_fingerprint,
                "reason": item.reason or None,
                "rotator": item.rotator,
                "rotator_reason": item.rotator_reason or None,
            }
            for item in plan.items
        ],
        "left_in_env_file": [
            {"key": skip.key, "line": skip.line, "reason": skip.reason} for skip in plan.skipped
        ],
        "counts": {action.value: plan.count(action) for action in Action},
    }


def _echo_plan(plan: MigrationPlan, run: _Run) -> None:
    target = f"{run.adapter.backend} store"
    prefix = f", prefix {run.rules.prefix}" if run.rules.prefix else ""
    click.echo(f"Plan: {run.source} -> {target}{prefix}")
    width = max((len(item.name) for item in plan.items), default=0)
    key_width = max((len(",".join(item.keys)) for item in plan.items), default=0)
    for item in plan.items:
        detail = item.fingerprint
        if item.action is Action.UPDATE:
            detail += f" (store has {item.current_fingerprint})"
        if item.reason:
            detail += f" ({item.reason})"
        keys = ",".join(item.keys)
        click.echo(f"  {item.action.value:<9}  {item.name:<{width}}  {keys:<{key_width}}  {detail}")
        rotator = item.rotator or "none"
        click.echo(f"  {'':<9}  {'':<{width}}  rotator: {rotator} ({item.rotator_reason})")
    if plan.skipped:
        click.echo("Left in the .env file:")
        for skip in plan.skipped:
            click.echo(f"  {skip.key} (line {skip.line}): {skip.reason}")
    counts = ", ".join(f"{plan.count(action)} {action.value}" for action in Action)
    click.echo(f"{counts}; {len(plan.skipped)} keys left in the .env file.")


@click.group("migrate")
def migrate_group() -> None:
    """Move secrets from a .env file into the store: plan, apply, verify."""


@migrate_group.command("plan")
@migration_options
@pass_cli
@handle_errors
def plan_command(state: CliContext, /, as_json: bool, **options: Any) -> None:
    """Show what apply would create, update or leave alone. Writes nothing."""
    run = _prepare(state, **options)
    plan, _ = build_plan(run.adapter, run.entries, run.rules, Fingerprinter())
    if as_json:
        click.echo(json.dumps(_plan_json(plan), indent=2))
        return
    _echo_plan(plan, run)
    click.echo("Nothing was written; 'secrets-adapter migrate apply' writes this plan.")


@migrate_group.command("apply")
@migration_options
@click.option(
    "--configure-rotation",
    is_flag=True,
    help="Also set each secret's proposed rotator (secrets already configured are kept).",
)
@pass_cli
@handle_errors
def apply_command(
    state: CliContext, /, as_json: bool, configure_rotation: bool, **options: Any
) -> None:
    """Write the plan into the store. Running it again changes nothing."""
    run = _prepare(state, **options)
    plan, _ = build_plan(run.adapter, run.entries, run.rules, Fingerprinter())
    blocked = [item.name for item in plan.items if item.action is Action.BLOCKED]
    if blocked:
        raise UserError(
            f"Not applied: {', '.join(blocked)} cannot be written (scheduled for deletion? "
            "restore it first). Nothing was written.",
            EXIT_ERROR,
        )
    to_write = plan.to_write
    if len(to_write) >= PROGRESS_BAR_FROM and not as_json:
        with click.progressbar(length=len(to_write), label="Writing", file=sys.stderr) as bar:
            report = apply_plan(run.adapter, plan, progress=lambda _: bar.update(1))
    else:
        report = apply_plan(run.adapter, plan)
    unchanged = plan.count(Action.UNCHANGED)
    configured = configure_rotations(run.adapter, plan) if configure_rotation and report.ok else {}
    if as_json:
        payload = _plan_json(plan) | {
            "written": list(report.written),
            "failed": report.failed,
            "error": report.error,
            "not_attempted": list(report.not_attempted),
        }
        if configure_rotation:
            payload["rotation_configured"] = configured
        click.echo(json.dumps(payload, indent=2))
    else:
        for name in report.written:
            click.echo(f"  wrote      {name}")
        click.echo(
            f"Wrote {len(report.written)} secrets, {unchanged} already up to date, "
            f"{len(plan.skipped)} keys left in the .env file."
        )
        for name, outcome in configured.items():
            click.echo(f"  rotation   {name}: {outcome}")
    if not report.ok:
        raise UserError(
            f"Stopped at {report.failed}: {report.error}. {len(report.not_attempted)} not "
            "attempted; run 'migrate apply' again to finish (written secrets are kept).",
            EXIT_ERROR,
        )


@migrate_group.command("verify")
@migration_options
@pass_cli
@handle_errors
def verify_command(state: CliContext, /, as_json: bool, **options: Any) -> None:
    """Read every migrated secret back and compare it byte-exact with python-dotenv's reading
    of the .env file (an independent reader: a parser difference cannot pass)."""
    run = _prepare(state, **options)
    reference = python_dotenv_entries(run.entries, run.source, interpolate=run.interpolate)
    desired, _ = desired_secrets(reference, run.rules)  # what the app saw; no plan to read
    report = verify_migration(run.adapter, desired)
    if as_json:
        payload = {
            "matched": list(report.matched),
            "mismatched": list(report.mismatched),
            "missing": list(report.missing),
            "ok": report.ok,
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        for label, names in (("differs", report.mismatched), ("missing", report.missing)):
            for name in names:
                click.echo(f"  {label:<8}  {name}")
        click.echo(
            f"Verified {len(desired)} secrets: {len(report.matched)} match, "
            f"{len(report.mismatched)} differ, {len(report.missing)} missing."
        )
    if not report.ok:
        raise UserError(
            "Verification failed: the store does not match the .env file.", EXIT_MISMATCH
        )
