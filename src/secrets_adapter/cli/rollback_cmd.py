"""``secrets-adapter rollback --to .env``: write the store's secrets back to a ``.env`` file.

The design's rollback plan: the application can run from the file again without the store.
The file is written 0600, all or nothing, with no plaintext temporary file left behind, and an
existing file is only replaced with ``--force``; ``--to -`` writes to stdout instead. python-dotenv
reads the file back to the stored values (a value it would change is refused, never written).
"""

from __future__ import annotations

from pathlib import Path

import click

from secrets_adapter.cli.context import CliContext, handle_errors, pass_cli
from secrets_adapter.migrate import format_rollback_file, rollback_entries, write_rollback_file

__all__ = ["rollback_command"]


@click.command("rollback")
@click.option(
    "--to",
    "target",
    type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
    required=True,
    help="The .env file to write (created 0600), or - for stdout.",
)
@click.option("--prefix", default=None, help="Secrets under this prefix (default: global).")
@click.option(
    "--group",
    "groups",
    multiple=True,
    help="Expand the JSON secret <prefix>/stem back into STEM_* keys. Repeatable.",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@click.option(
    "--no-interpolate",
    "literal",
    is_flag=True,
    help="The application reads the file with python-dotenv's interpolate=False: write values "
    "holding ${...} (refused otherwise, since load_dotenv() would expand them).",
)
@click.argument("names", nargs=-1)
@pass_cli
@handle_errors
def rollback_command(
    state: CliContext,
    target: Path,
    prefix: str | None,
    groups: tuple[str, ...],
    force: bool,
    literal: bool,
    names: tuple[str, ...],
) -> None:
    """Write NAMES (default: every secret under the prefix) to a .env file."""
    if prefix is not None:
        state.prefix = prefix
    adapter = state.adapter()
    pairs = rollback_entries(
        adapter, names=list(names) or None, groups=[group.upper() for group in groups]
    )
    if str(target) == "-":
        click.echo(format_rollback_file(pairs, interpolating=not literal), nl=False)
        return
    write_rollback_file(target, pairs, force=force, interpolating=not literal)
    click.echo(f"Wrote {len(pairs)} variables to {target} (mode 0600).", err=True)
