"""``secrets-adapter render TEMPLATE --out FILE``: a config file rendered from secrets.

Once, or with ``--watch`` kept current: re-rendered when a secret it uses changes (checked every
``--interval`` seconds), with ``--on-change CMD`` run after each change (split like a shell
would, run without one). SIGTERM or SIGINT ends the watch.
"""

from __future__ import annotations

import logging
import shlex
import signal
import threading
from pathlib import Path

import click

from secrets_adapter.cli.context import EXIT_USAGE, CliContext, UserError, handle_errors, pass_cli
from secrets_adapter.templates import TemplateJob, TemplateRenderer

__all__ = ["render_command"]


@click.command("render")
@click.argument("template", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (mode 0600, replaced atomically).",
)
@click.option("--watch", is_flag=True, help="Keep running; re-render when a secret changes.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds between version checks with --watch.",
)
@click.option(
    "--on-change",
    default=None,
    metavar="CMD",
    help="Command run after the file changed, e.g. 'nginx -s reload' (no shell).",
)
@pass_cli
@handle_errors
def render_command(
    state: CliContext,
    template: Path,
    output: Path,
    watch: bool,
    interval: float,
    on_change: str | None,
) -> None:
    """Render TEMPLATE (Jinja2, sandboxed) with secret("NAME") values into --out."""
    argv = tuple(shlex.split(on_change)) if on_change is not None else ()
    if on_change is not None and not argv:
        raise UserError("--on-change is empty: give the command to run.", EXIT_USAGE)
    job = TemplateJob(template=template, output=output, on_change=argv)
    renderer = TemplateRenderer(state.adapter(), [job], interval=interval)
    if not watch:
        changed = renderer.render(job)
        click.echo(f"{'Rendered' if changed else 'Unchanged:'} {output}", err=True)
        return
    logging.basicConfig(level=logging.INFO, format="secrets-adapter render: %(message)s")
    stop = threading.Event()

    def request_stop(_signum: int, _frame: object) -> None:
        stop.set()
        renderer.wake()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        renderer.run(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
