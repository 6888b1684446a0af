"""Rotation commands: ``rotation configure NAME``, ``rotation status NAME``, ``rotation retire
NAME KEY_ID``, ``rotate NAME``, ``rotate --due``.

The configuration lives in the secret's tags (``rotation.schedule``), so every process sees the
same rotator and interval. ``rotation_lines`` / ``rotation_dict`` are the pure formatters
``describe`` and ``status`` reuse, so the three agree on a secret's schedule and state.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import click

from secrets_adapter.cli.context import (
    EXIT_ERROR,
    EXIT_USAGE,
    CliContext,
    UserError,
    handle_errors,
    pass_cli,
)
from secrets_adapter.clock import utcnow
from secrets_adapter.errors import ConfigurationError, SecretsAdapterError
from secrets_adapter.models import SecretMetadata
from secrets_adapter.rotation.rotators import ROTATOR_NAMES
from secrets_adapter.rotation.rotators.jwt import ALGORITHMS
from secrets_adapter.rotation.schedule import (
    TAG_ROTATOR,
    format_interval,
    is_due,
    parse_interval,
    rotation_schedule,
)
from secrets_adapter.rotation.state import TAG_STATE, active_lease, parse_state, rotation_health

__all__ = ["rotate_command", "rotation_dict", "rotation_group", "rotation_lines"]


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else "-"


def rotation_dict(metadata: SecretMetadata, now: datetime) -> dict[str, Any]:
    """A secret's rotation as JSON: schedule, options, and the state of its last run."""
    schedule = rotation_schedule(metadata)
    lease = active_lease(metadata.tags, now)
    state = parse_state(metadata.tags.get(TAG_STATE))
    problem, failures = rotation_health(metadata, now)
    return {
        "name": metadata.name,
        "rotator": schedule.rotator,
        "every": format_interval(schedule.every) if schedule.every else None,
        "last_rotation": _iso(schedule.last_rotated),
        "next_rotation": _iso(schedule.next_rotation),
        "due": schedule.next_rotation is not None and schedule.next_rotation <= now,
        "options": dict(sorted(schedule.options.items())),
        "lease_until": _iso(lease.expires_at) if lease is not None else None,
        "unfinished": (
            {"status": state.status.value, "step": state.step.value, "version_id": state.token}
            if state is not None
            else None
        ),
        "problem": problem,
        "failures": failures,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None  # as ``describe --json``


def rotation_lines(metadata: SecretMetadata, now: datetime) -> list[tuple[str, str]]:
    """``(label, text)`` rows on a secret's rotation, for ``describe`` and ``rotation status``."""
    schedule = rotation_schedule(metadata)
    rows = [
        ("rotator", schedule.rotator or "- (not rotated: run 'rotation configure' first)"),
        ("every", format_interval(schedule.every) if schedule.every else "- (manual)"),
        ("last rotation", _when(schedule.last_rotated)),
        ("next rotation", _when(schedule.next_rotation)),
    ]
    if schedule.next_rotation is not None and schedule.next_rotation <= now:
        rows.append(("due", "yes"))
    for key, value in sorted(schedule.options.items()):
        rows.append((f"option {key}", value))
    lease = active_lease(metadata.tags, now)
    if lease is not None:
        rows.append(("in progress", f"lease held until {_when(lease.expires_at)}"))
    state = parse_state(metadata.tags.get(TAG_STATE))
    if state is not None:
        rows.append(("unfinished", f"{state.status.value} at step {state.step.value}"))
    problem, failures = rotation_health(metadata, now)
    if problem is not None or failures:
        rows.append(("state", f"{problem or 'ok'}; {failures} failed run(s) since the last"))
    return rows


def _versioned(state: CliContext) -> None:
    backend = state.adapter().backend
    if backend == "env":  # the one backend the CLI opens that keeps no versions
        raise ConfigurationError(
            f"The {backend} backend keeps no versions: rotation needs local, aws or vault."
        )


def _interval(text: str | None, option: str) -> timedelta | None:
    if text is None:
        return None
    try:
        return parse_interval(text)
    except SecretsAdapterError as exc:
        raise UserError(f"Invalid {option}: {exc.message}", EXIT_USAGE) from None


@click.group("rotation")
def rotation_group() -> None:
    """Configure and inspect secret rotation."""


@rotation_group.command("configure")
@click.argument("name")
@click.option("--rotator", type=click.Choice(ROTATOR_NAMES), required=True)
@click.option("--every", help="Rotation interval, e.g. 30d, 12h, 1w (omit: rotate by hand).")
@click.option("--length", type=int, help="random/postgres: length of the new value.")
@click.option("--alphabet", help="random: urlsafe, alphanumeric, hex, digits, or the characters.")
@click.option("--bytes", "n_bytes", type=int, help="random: base64url of N random bytes instead.")
@click.option("--algorithm", type=click.Choice(ALGORITHMS), help="jwt: signing algorithm.")
@click.option("--grace", help="jwt: how long the previous key verifies (refresh-token lifetime).")
@click.option("--strategy", type=click.Choice(["single", "alternating"]), help="postgres.")
@click.option("--master-secret", help="postgres: secret holding admin credentials.")
@click.option(
    "--hook",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    help="external: the executable run for each step (see the README's Rotation section).",
)
@click.option("--keep", type=int, help="keyring: keep at most N keys (>= 2; default: all).")
@click.option(
    "--retire-after", help="keyring: drop keys replaced longer ago than this (e.g. 365d)."
)
@click.option("--option", "extra", multiple=True, metavar="KEY=VALUE", help="Other option.")
@pass_cli
@handle_errors
def configure_command(
    state: CliContext,
    name: str,
    rotator: str,
    every: str | None,
    length: int | None,
    alphabet: str | None,
    n_bytes: int | None,
    algorithm: str | None,
    grace: str | None,
    strategy: str | None,
    master_secret: str | None,
    hook: str | None,
    keep: int | None,
    retire_after: str | None,
    extra: tuple[str, ...],
) -> None:
    """Choose how NAME rotates and how often (stored in the secret's tags)."""
    interval = _interval(every, "--every")
    _interval(grace, "--grace")
    _interval(retire_after, "--retire-after")
    if keep is not None and keep < 2:
        raise UserError(
            "--keep must be at least 2: the key that was primary until a rotation still "
            "protects the data written before it.",
            EXIT_USAGE,
        )
    options = {
        "length": str(length) if length is not None else None,
        "alphabet": alphabet,
        "bytes": str(n_bytes) if n_bytes is not None else None,
        "algorithm": algorithm,
        "grace": grace,
        "strategy": strategy,
        "master-secret": state.adapter().qualify(master_secret) if master_secret else None,
        "hook": hook,
        "keep": str(keep) if keep is not None else None,
        "retire-after": retire_after,
    }
    chosen = {key: value for key, value in options.items() if value is not None}
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UserError(f"--option takes KEY=VALUE, got {item!r}.", EXIT_USAGE)
        chosen[key] = value
    metadata = state.adapter().configure_rotation(
        name, rotator=rotator, every=interval, options=chosen
    )
    full = metadata.name
    schedule = rotation_schedule(metadata)
    every_text = format_interval(interval) if interval else "by hand only"
    click.echo(
        f"Configured {full}: rotator {rotator}, every {every_text}; "
        f"next rotation {_when(schedule.next_rotation)}.",
        err=True,
    )


@rotation_group.command("status")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_cli
@handle_errors
def status_command(state: CliContext, name: str, as_json: bool) -> None:
    """Show NAME's rotator, interval, last and next rotation, and any unfinished rotation."""
    metadata = state.adapter().describe_secret(name)
    if as_json:
        click.echo(json.dumps(rotation_dict(metadata, utcnow()), indent=2))
        return
    click.echo(f"name:          {metadata.name}")
    for label, text in rotation_lines(metadata, utcnow()):
        click.echo(f"{label + ':':<15}{text}")


@rotation_group.command("retire")
@click.argument("name")
@click.argument("key_id")
@click.option(
    "--force",
    is_flag=True,
    help="Retire although data may still be under the key (it becomes undecryptable).",
)
@pass_cli
@handle_errors
def retire_command(state: CliContext, name: str, key_id: str, force: bool) -> None:
    """Remove KEY_ID from the key ring NAME, once the data it encrypted was re-encrypted.

    The primary key is never retired. The CLI cannot see the app's data, so it asks for --force:
    the app can check first with adapter.retire_key(name, key_id, still_in_use=tokens).
    """
    if not force:
        raise UserError(
            f"Retiring {key_id} makes every token it encrypted undecryptable, and the CLI cannot "
            "see your data. Re-encrypt it first (keyring(name).reencrypt), or let the app retire "
            "with adapter.retire_key(name, key_id, still_in_use=tokens), which refuses while a "
            "token needs the key; then run this again with --force.",
            EXIT_USAGE,
        )
    info = state.adapter().retire_key(name, key_id, force=True)
    click.echo(
        f"Retired key {key_id} of {info.name}: current is now version {info.version_id}.", err=True
    )


def _report(as_json: bool, results: list[dict[str, Any]]) -> None:
    if as_json:
        click.echo(json.dumps(results, indent=2))


@click.command("rotate")
@click.argument("name", required=False)
@click.option("--due", is_flag=True, help="Rotate every secret whose next rotation has come.")
@click.option(
    "--restart", is_flag=True, help="Abandon NAME's interrupted rotation instead of resuming it."
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of the outcomes.")
@pass_cli
@handle_errors
def rotate_command(
    state: CliContext, name: str | None, due: bool, restart: bool, as_json: bool
) -> None:
    """Rotate NAME now (four steps, its configured rotator), or with --due all that are due.

    A secret with no rotator configured is never rotated: it is an error naming the
    'rotation configure' command to run.
    """
    if due == (name is not None) or (restart and name is None):
        raise UserError("Give either NAME (optionally with --restart) or --due.", EXIT_USAGE)
    adapter = state.adapter()
    if name is not None:  # --restart too: the same policy check and RotateSecret record
        full = adapter.qualify(name)
        try:
            version = adapter.rotate_secret(full, restart=restart).version_id
        except SecretsAdapterError as exc:
            _report(as_json, [_outcome(full, None, exc)])
            raise
        _report(as_json, [_outcome(full, version, None)])
        click.echo(f"Rotated {full}: current is now version {version}.", err=True)
        return
    _versioned(state)
    now = utcnow()
    outcomes: list[dict[str, Any]] = []
    for full in adapter.list_secrets():
        metadata = adapter.describe_secret(full)
        interrupted = parse_state(metadata.tags.get(TAG_STATE)) is not None
        if not (is_due(metadata, now) or (interrupted and TAG_ROTATOR in metadata.tags)):
            continue
        try:
            info = adapter.rotate_secret(full)
        except SecretsAdapterError as exc:
            outcomes.append(_outcome(full, None, exc))
            click.echo(f"FAILED {full}: {exc.message}", err=True)
            continue
        outcomes.append(_outcome(full, info.version_id, None))
        click.echo(f"Rotated {full}: current is now version {info.version_id}.", err=True)
    failed = [o["name"] for o in outcomes if o["error"] is not None]
    _report(as_json, outcomes)
    click.echo(f"{len(outcomes) - len(failed)} rotated, {len(failed)} failed.", err=True)
    if failed:
        raise UserError(f"Rotation failed for: {', '.join(failed)}.", EXIT_ERROR)


def _outcome(name: str, version: str | None, error: SecretsAdapterError | None) -> dict[str, Any]:
    """One rotation's result for ``--json`` (an error's message never holds a value)."""
    return {
        "name": name,
        "rotated": error is None,
        "version_id": version,
        "error": type(error).__name__ if error is not None else None,
        "message": error.message if error is not None else None,
        "step": getattr(error, "step", None),
    }
