"""``secrets-adapter export --format F``: the secrets under a prefix, as another tool reads them.

Reads through the adapter (one ``get_many``: policy-checked and audited like any read) and prints
to stdout, or with ``--out FILE`` writes a 0600 file atomically (an ``O_EXCL | O_NOFOLLOW``
temporary file renamed over it; an existing file needs ``--force``). The formats and what each
refuses are in ``secrets_adapter.migrate.export``.
"""

from __future__ import annotations

from pathlib import Path

import click

from secrets_adapter.cli.context import CliContext, UserError, handle_errors, pass_cli
from secrets_adapter.dotenv_file import write_private_file
from secrets_adapter.migrate.export import (
    EXPORT_FORMATS,
    export_pairs,
    format_export,
    kubernetes_name,
)

__all__ = ["export_command"]


@click.command("export")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(EXPORT_FORMATS),
    default="dotenv",
    show_default=True,
    help="dotenv (python-dotenv reads it back), json, shell (safe to eval), docker-env "
    "(docker --env-file), k8s-secret (a v1 Secret manifest).",
)
@click.option("--prefix", default=None, help="Secrets under this prefix (default: global).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
    default=None,
    help="Write this file (0600, atomically) instead of stdout.",
)
@click.option("--force", is_flag=True, help="Replace the --out file if it exists.")
@click.option("--name", "object_name", default=None, help="k8s-secret: metadata.name.")
@click.option(
    "--no-interpolate",
    "literal",
    is_flag=True,
    help="dotenv: the application reads it with interpolate=False, so values holding ${...} "
    "may be written (refused otherwise).",
)
@click.argument("names", nargs=-1)
@pass_cli
@handle_errors
def export_command(
    state: CliContext,
    output_format: str,
    prefix: str | None,
    out: Path | None,
    force: bool,
    object_name: str | None,
    literal: bool,
    names: tuple[str, ...],
) -> None:
    """Print NAMES (default: every secret under the prefix) for another tool."""
    if prefix is not None:
        state.prefix = prefix
    adapter = state.adapter()
    pairs = export_pairs(adapter, prefix=adapter.prefix, names=names)
    text = format_export(
        pairs,
        output_format,
        name=object_name or kubernetes_name(adapter.prefix),
        interpolating=not literal,
    )
    if out is None or str(out) == "-":
        click.echo(text, nl=False)
        return
    try:
        write_private_file(out, text.encode("utf-8"), overwrite=force)
    except FileExistsError:
        raise UserError(f"{out} exists already: pass --force to replace it.") from None
    click.echo(f"Wrote {len(pairs)} secrets to {out} ({output_format}, mode 0600).", err=True)
