"""``secrets-adapter copy --from BACKEND --to BACKEND``: move secrets between stores.

Versions and stages are preserved when both stores keep them (see ``migrate.copy``); a re-run
writes nothing twice. Each side is configured like the global options, from the environment, and
each goes through its adapter: the source's policy must allow ``read``, the target's ``write``,
and each side's audit log records its half.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from secrets_adapter.cli.context import (
    EXIT_CONFIG,
    EXIT_ERROR,
    CliContext,
    UserError,
    handle_errors,
    pass_cli,
)
from secrets_adapter.config import BACKENDS
from secrets_adapter.migrate import copy_secrets

__all__ = ["copy_command"]

_BACKENDS = click.Choice(BACKENDS)


@click.command("copy")
@click.option("--from", "source", type=_BACKENDS, required=True, help="Backend to read.")
@click.option("--to", "target", type=_BACKENDS, required=True, help="Backend to write.")
@click.option("--from-path", type=click.Path(path_type=Path), help="Local store folder to read.")
@click.option("--to-path", type=click.Path(path_type=Path), help="Local store folder to write.")
@click.option(
    "--from-env-file", type=click.Path(path_type=Path), help=".env file of an env source."
)
@click.option("--prefix", default=None, help="Only secrets under this prefix.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.argument("names", nargs=-1)
@pass_cli
@handle_errors
def copy_command(
    state: CliContext,
    source: str,
    target: str,
    from_path: Path | None,
    to_path: Path | None,
    from_env_file: Path | None,
    prefix: str | None,
    as_json: bool,
    names: tuple[str, ...],
) -> None:
    """Copy NAMES (default: every secret under the prefix) from one store to another."""
    scope = prefix if prefix is not None else state.prefix
    reader = CliContext(
        backend=source, path=from_path or state.path, prefix=scope, env_file=from_env_file
    )
    writer = CliContext(backend=target, path=to_path or state.path, prefix=scope)
    try:
        source_adapter, target_adapter = reader.adapter(), writer.adapter()
        if target_adapter.backend == "env":
            raise UserError(f"The {target} backend is read-only: copy needs a store.", EXIT_CONFIG)
        list_scope = source_adapter.prefix + "/" if source_adapter.prefix else ""
        report = copy_secrets(
            source_adapter, target_adapter, names=list(names) or None, prefix=list_scope
        )
    finally:
        reader.close()
        writer.close()
    if as_json:
        payload = {
            "copied": list(report.copied),
            "unchanged": list(report.unchanged),
            "writes": report.writes,
            "failed": [{"name": name, "error": error} for name, error in report.failed],
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        for name in report.copied:
            click.echo(f"  copied     {name}")
        for name, error in report.failed:
            click.echo(f"  failed     {name}: {error}")
        click.echo(
            f"Copied {len(report.copied)} secrets ({report.writes} writes), "
            f"{len(report.unchanged)} already identical, {len(report.failed)} failed."
        )
    if not report.ok:
        raise UserError("Some secrets were not copied; run copy again after fixing.", EXIT_ERROR)
