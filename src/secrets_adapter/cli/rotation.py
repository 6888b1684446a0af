"""Rotation commands: ``rotation configure NAME``, ``rotation status NAME``, ``rotate NAME``,
``rotate --due``.

The configuration lives in the secret's tags (``rotation.schedule``), so every process sees the
same rotator and interval. ``rotation_lines`` is the pure formatter ``describe`` can reuse.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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
from secrets_adapter.rotation.state import TAG_STATE, active_lease, parse_state

__all__ = ["rotate_command", "rotation_group", "rotation_lines"]


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else "-"


def rotation_lines(metadata: SecretMetadata, now: datetime) -> list[tuple[str, str]]:
    """``(label, text)`` rows on a secret's rotation, for ``describe`` and ``rotation status``."""
    schedule = rotation_schedule(metadata)
    rows = [
        ("rotator", schedule.rotator or "- (rotate uses random)"),
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
    extra: tuple[str, ...],
) -> None:
    """Choose how NAME rotates and how often (stored in the secret's tags)."""
    interval = _interval(every, "--every")
    _interval(grace, "--grace")
    options = {
        "length": str(length) if length is not None else None,
        "alphabet": alphabet,
        "bytes": str(n_bytes) if n_bytes is not None else None,
        "algorithm": algorithm,
        "grace": grace,
        "strategy": strategy,
        "master-secret": state.adapter().qualify(master_secret) if master_secret else None,
        "hook": hook,
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
@pass_cli
@handle_errors
def status_command(state: CliContext, name: str) -> None:
    """Show NAME's rotator, interval, last and next rotation, and any unfinished rotation."""
    metadata = state.adapter().describe_secret(name)
    click.echo(f"name:          {metadata.name}")
    for label, text in rotation_lines(metadata, utcnow()):
        click.echo(f"{label + ':':<15}{text}")


@click.command("rotate")
@click.argument("name", required=False)
@click.option("--due", is_flag=True, help="Rotate every secret whose next rotation has come.")
@click.option(
    "--restart", is_flag=True, help="Abandon NAME's interrupted rotation instead of resuming it."
)
@pass_cli
@handle_errors
def rotate_command(state: CliContext, name: str | None, due: bool, restart: bool) -> None:
    """Rotate NAME now (four steps, its configured rotator), or with --due all that are due."""
    if due == (name is not None) or (restart and name is None):
        raise UserError("Give either NAME (optionally with --restart) or --due.", EXIT_USAGE)
    adapter = state.adapter()
    if name is not None:  # --restart too: the same policy check and RotateSecret record
        info = adapter.rotate_secret(name, restart=restart)
        click.echo(f"Rotated {info.name}: current is now version {info.version_id}.", err=True)
        return
    _versioned(state)
    now = utcnow()
    failed: list[str] = []
    rotated = 0
    for full in adapter.list_secrets():
        metadata = adapter.describe_secret(full)
        interrupted = parse_state(metadata.tags.get(TAG_STATE)) is not None
        if not (is_due(metadata, now) or (interrupted and TAG_ROTATOR in metadata.tags)):
            continue
        try:
            info = adapter.rotate_secret(full)
        except SecretsAdapterError as exc:
            failed.append(full)
            click.echo(f"FAILED {full}: {exc.message}", err=True)
            continue
        rotated += 1
        click.echo(f"Rotated {full}: current is now version {info.version_id}.", err=True)
    click.echo(f"{rotated} rotated, {len(failed)} failed.", err=True)
    if failed:
        raise UserError(f"Rotation failed for: {', '.join(failed)}.", EXIT_ERROR)
