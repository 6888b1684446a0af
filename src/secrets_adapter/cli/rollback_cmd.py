"""``secrets-adapter rollback --to .env``: write the store's secrets back to a ``.env`` file.

The design's rollback plan: the application can run from the file again without the store.
The file is written 0600, all or nothing, with no plaintext temporary file left behind, and an
existing file is only replaced with ``--force``.
"""

from __future__ import annotations

from pathlib import Path

import click

from secrets_adapter.cli.context import CliContext, handle_errors, pass_cli
from secrets_adapter.migrate import rollback_entries, write_rollback_file

__all__ = ["rollback_command"]


@click.command("rollback")
@click.option(
    "--to",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The .env file to write (created 0600).",
)
@click.option("--prefix", default=None, help="Secrets under this prefix (default: global).")
@click.option(
    "--group",
    "groups",
    multiple=True,
    help="Expand the JSON secret <prefix>/stem back into STEM_* keys. Repeatable.",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@click.argument("names", nargs=-1)
@pass_cli
@handle_errors
def rollback_command(
    state: CliContext,
    target: Path,
    prefix: str | None,
    groups: tuple[str, ...],
    force: bool,
    names: tuple[str, ...],
) -> None:
    """Write NAMES (default: every secret under the prefix) to a .env file."""
    if prefix is not None:
        state.prefix = prefix
    adapter = state.adapter()
    pairs = rollback_entries(
        adapter, names=list(names) or None, groups=[group.upper() for group in groups]
    )
    write_rollback_file(target, pairs, force=force)
    click.echo(f"Wrote {len(pairs)} variables to {target} (mode 0600).", err=True)
