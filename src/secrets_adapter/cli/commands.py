"""The everyday commands: put, get, list, describe, versions, delete, restore.

Values never come from argv (process lists are world-readable): ``put`` reads stdin when it is
not a terminal, a file with ``--from-file``, or prompts without echo.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from secrets_adapter.adapter import secret_field
from secrets_adapter.cli.context import EXIT_USAGE, CliContext, UserError, handle_errors, pass_cli
from secrets_adapter.cli.rotation import rotation_lines
from secrets_adapter.clock import utcnow
from secrets_adapter.errors import SecretsAdapterError
from secrets_adapter.models import SecretMetadata, SecretValue, Stage, stage_or_label
from secrets_adapter.rotation.schedule import rotation_schedule

__all__ = ["COMMANDS"]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _read_value(from_file: Path | None, binary: bool) -> SecretValue:
    if from_file is not None:
        data = from_file.read_bytes()
    elif not _stdin_is_terminal():
        data = sys.stdin.buffer.read()
    else:  # the prompt goes to stderr: stdout carries only data
        data = click.prompt("Value", hide_input=True, confirmation_prompt=True, err=True).encode()
    if not data:
        source = f"the file {from_file}" if from_file is not None else "stdin"
        raise UserError(
            f"No value: {source} was empty. Pipe the value in, use --from-file, or run in a "
            "terminal to be prompted.",
            EXIT_USAGE,
        )
    try:
        return SecretValue(data if binary else data.decode("utf-8"))
    except UnicodeDecodeError:
        pass  # raised below, outside the handler: the UnicodeDecodeError holds the value
    except SecretsAdapterError:
        del data  # frames: an error reporter prints this frame's locals
        raise
    del data  # frames: as above
    raise UserError(
        "The value is not valid UTF-8 text; pass --binary to store it as bytes.", EXIT_USAGE
    )


@click.command("put")
@click.argument("name")
@click.option(
    "--from-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the value from this file (exact bytes).",
)
@click.option("--binary", is_flag=True, help="Store the value as binary (no UTF-8 check).")
@click.option(
    "--strip-newline/--keep-newline",
    default=True,
    help="Drop one trailing newline from stdin (echo adds one). Default: strip.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the new version as JSON.")
@pass_cli
@handle_errors
def put_command(
    state: CliContext,
    name: str,
    from_file: Path | None,
    binary: bool,
    strip_newline: bool,
    as_json: bool,
) -> None:
    """Store a new version of NAME. The value comes from stdin, --from-file or a prompt."""
    value = _read_value(from_file, binary)
    if strip_newline and from_file is None and not binary:
        text = value.reveal_text()
        if text.endswith("\n"):
            text = text[:-1]
            text = text.removesuffix("\r")
        value = SecretValue(text)
        del text  # frames: an error reporter prints this frame's locals
    info = state.adapter().put_secret(name, value)
    if as_json:
        payload = {"name": info.name, "version": info.version_id}
        click.echo(json.dumps(payload | {"stages": sorted(s.value for s in info.stages)}))
        return
    click.echo(f"Stored {info.name} version {info.version_id}.", err=True)


@click.command("get")
@click.argument("name")
@click.option("--key", default=None, help="One key of a JSON object secret.")
@click.option("--version", "version", default=None, help="A version id instead of current.")
@click.option(
    "--stage",
    default=Stage.CURRENT.value,
    help="Stage to read: current (default), pending, previous, their AWS names (AWSCURRENT, "
    "AWSPENDING, AWSPREVIOUS) or, on AWS, any custom staging label.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print name, version, stages and value as JSON."
)
@pass_cli
@handle_errors
def get_command(
    state: CliContext, name: str, key: str | None, version: str | None, stage: str, as_json: bool
) -> None:
    """Print the value of NAME and nothing else, so that $(secrets-adapter get NAME) works."""
    secret = state.adapter().get(name, version=version, stage=stage_or_label(stage))
    if key is not None:
        text = secret_field(secret, key)  # from the secret just read: one access, one record
    elif secret.value.is_binary:
        if as_json:
            raise UserError("Binary secret: use get without --json and redirect to a file.")
        sys.stdout.buffer.write(secret.value.reveal_bytes())
        return
    else:
        text = secret.value.reveal_text()
    if as_json:
        payload = {
            "name": secret.name,
            "version": secret.version_id,
            "stages": sorted(s.value for s in secret.stages),
            "value": text,
        }
        click.echo(json.dumps(payload, ensure_ascii=False))
    else:
        click.echo(text)


@click.command("list")
@click.option("--prefix", "scope", default=None, help="Only names under this prefix.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_cli
@handle_errors
def list_command(state: CliContext, scope: str | None, as_json: bool) -> None:
    """List the names of live secrets (never values)."""
    names = state.adapter().list_secrets(scope)
    if as_json:
        click.echo(json.dumps(names))
    else:
        for name in names:
            click.echo(name)


def _metadata_dict(meta: SecretMetadata) -> dict[str, Any]:
    return {
        "name": meta.name,
        "created": _iso(meta.created_at),
        "updated": _iso(meta.updated_at),
        "deletion_date": _iso(meta.deletion_date),
        "description": meta.description,
        "tags": dict(meta.tags),
        "versions": [
            {
                "version": info.version_id,
                "stages": sorted(s.value for s in info.stages),
                "labels": sorted(info.labels),
                "created": _iso(info.created_at),
            }
            for info in meta.versions
        ],
    }


@click.command("describe")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_cli
@handle_errors
def describe_command(state: CliContext, name: str, as_json: bool) -> None:
    """Show versions, stages, tags and deletion state of NAME (never values)."""
    meta = state.adapter().describe_secret(name)
    data = _metadata_dict(meta)
    schedule = rotation_schedule(meta)
    data["rotation"] = {
        "rotator": schedule.rotator,
        "last_rotated": _iso(schedule.last_rotated),
        "next_rotation": _iso(schedule.next_rotation),
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"name:     {meta.name}")
    click.echo(f"created:  {data['created'] or '-'}")
    click.echo(f"updated:  {data['updated'] or '-'}")
    current = meta.current_version
    click.echo(f"current:  {current or '-'}")
    click.echo(f"versions: {len(meta.versions)}")
    for label, text in rotation_lines(meta, utcnow()):
        click.echo(f"{label + ':':<15} {text}")
    if meta.deletion_date is not None:
        click.echo(f"SCHEDULED FOR DELETION on {data['deletion_date']} (restore to cancel)")
    for key, tag in sorted(meta.tags.items()):
        click.echo(f"tag:      {key}={tag}")


@click.command("versions")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_cli
@handle_errors
def versions_command(state: CliContext, name: str, as_json: bool) -> None:
    """List the versions of NAME with their stages, newest first (never values)."""
    versions = list(reversed(_metadata_dict(state.adapter().describe_secret(name))["versions"]))
    if as_json:
        click.echo(json.dumps(versions, indent=2))
        return
    for item in versions:
        stages = ",".join([*item["stages"], *item["labels"]]) or "-"
        click.echo(f"{item['version']}  {stages:<16}  {item['created'] or '-'}")


@click.command("delete")
@click.argument("name")
@click.option(
    "--recovery-days",
    type=click.IntRange(7, 30),
    default=30,
    show_default=True,
    help="Days before the secret is gone for good; restore cancels.",
)
@click.option("--force", is_flag=True, help="Delete now, without recovery.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation with --force.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@pass_cli
@handle_errors
def delete_command(
    state: CliContext, name: str, recovery_days: int, force: bool, yes: bool, as_json: bool
) -> None:
    """Schedule NAME for deletion (default 30 days), or with --force delete it now."""
    if force and not yes:
        click.confirm(f"Delete {name} now, with no recovery?", abort=True, err=True)
    adapter = state.adapter()
    adapter.delete_secret(name, recovery_window=timedelta(days=recovery_days), force=force)
    if as_json:
        full = adapter.qualify(name)
        deletion = None if force else adapter.describe_secret(full).deletion_date
        payload = {"name": full, "deleted_for_good": force, "deletion_date": _iso(deletion)}
        click.echo(json.dumps(payload))
        return
    if force:
        click.echo(f"Deleted {name} for good.", err=True)
    else:
        click.echo(
            f"Scheduled {name} for deletion in {recovery_days} days; "
            f"'secrets-adapter restore {name}' cancels.",
            err=True,
        )


@click.command("restore")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@pass_cli
@handle_errors
def restore_command(state: CliContext, name: str, as_json: bool) -> None:
    """Cancel the scheduled deletion of NAME."""
    adapter = state.adapter()
    adapter.restore_secret(name)
    if as_json:
        click.echo(json.dumps({"name": adapter.qualify(name), "restored": True}))
        return
    click.echo(f"Restored {name}.", err=True)


COMMANDS = [
    put_command,
    get_command,
    list_command,
    describe_command,
    versions_command,
    delete_command,
    restore_command,
]
