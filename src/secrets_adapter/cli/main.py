"""``secrets-adapter``: the root command group. Command groups live in sibling modules."""

from __future__ import annotations

import sys

import click

__all__ = ["cli", "main", "run"]


@click.group()
def cli() -> None:
    """Manage secrets in the embedded store, AWS Secrets Manager or Vault/OpenBao."""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (for tests and ``python -m``)."""
    try:
        cli.main(args=argv, prog_name="secrets-adapter", standalone_mode=False)
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
