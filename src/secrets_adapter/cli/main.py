"""``secrets-adapter``: the root command group. Command groups live in sibling modules.

A module adds its commands with one line at the bottom of this file (``cli.add_command``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from secrets_adapter.cli.agent_cmd import agent_command
from secrets_adapter.cli.audit import audit_group
from secrets_adapter.cli.commands import COMMANDS
from secrets_adapter.cli.context import EXIT_ERROR, CliContext, user_error
from secrets_adapter.cli.copy_cmd import copy_command
from secrets_adapter.cli.diff_cmd import diff_command
from secrets_adapter.cli.exec_cmd import exec_command
from secrets_adapter.cli.export_cmd import export_command
from secrets_adapter.cli.local import init_command, rotate_master_key_command
from secrets_adapter.cli.migrate_cmd import migrate_group
from secrets_adapter.cli.ops import OPS_COMMANDS
from secrets_adapter.cli.policy import policy_group
from secrets_adapter.cli.policy_vault import vault as vault_policy_command
from secrets_adapter.cli.render_cmd import render_command
from secrets_adapter.cli.rollback_cmd import rollback_command
from secrets_adapter.cli.rotation import rotate_command, rotation_group
from secrets_adapter.config import BACKENDS
from secrets_adapter.errors import SecretsAdapterError

__all__ = ["cli", "main", "run"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    default=None,
    help="Secret store (default: $SECRETS_BACKEND, else the embedded 'local' store).",
)
@click.option(
    "--path",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of the local store (default: $SECRETS_ADAPTER_PATH or .secrets).",
)
@click.option(
    "--prefix", default=None, help="Name prefix, e.g. gaara/prod ($SECRETS_MANAGER_PREFIX)."
)
@click.option(
    "--env-file",
    type=click.Path(path_type=Path),
    default=None,
    help="The .env file the env backend reads (default .env).",
)
@click.option(
    "--region", default=None, help="AWS region of the aws backend ($AWS_REGION, or the profile's)."
)
@click.version_option(
    package_name="secrets-adapter", prog_name="secrets-adapter", message="%(prog)s %(version)s"
)
@click.pass_context
def cli(
    ctx: click.Context,
    backend: str | None,
    path: Path | None,
    prefix: str | None,
    env_file: Path | None,
    region: str | None,
) -> None:
    """Manage secrets in the embedded store, AWS Secrets Manager or Vault/OpenBao."""
    state = ctx.ensure_object(CliContext)
    state.backend, state.path, state.prefix, state.env_file = backend, path, prefix, env_file
    if region is not None:
        state.region = region
    ctx.call_on_close(state.close)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (for tests and ``python -m``)."""
    try:
        result = cli.main(args=argv, prog_name="secrets-adapter", standalone_mode=False)
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except SecretsAdapterError as exc:  # a command without @handle_errors
        error = user_error(exc)
        error.show()
        return error.exit_code
    except Exception as exc:  # a bug, or an SDK error nobody translated
        if os.environ.get("SECRETS_ADAPTER_DEBUG"):
            raise
        click.echo(
            f"secrets-adapter: unexpected {type(exc).__name__}. Its message is not shown because "
            "it could hold a secret value; run again with SECRETS_ADAPTER_DEBUG=1 to see the "
            "traceback, and report it.",
            err=True,
        )
        return EXIT_ERROR
    # without standalone mode, click returns the code of ``ctx.exit(n)`` instead of raising it
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


# Command groups register here, one line each.
for _command in [*COMMANDS, *OPS_COMMANDS]:
    cli.add_command(_command)
cli.add_command(init_command)
cli.add_command(rotate_master_key_command)
policy_group.add_command(vault_policy_command, name="vault")
cli.add_command(audit_group)
cli.add_command(policy_group)
cli.add_command(rotation_group)
cli.add_command(rotate_command)
cli.add_command(migrate_group)
cli.add_command(rollback_command)
cli.add_command(diff_command)
cli.add_command(copy_command)
cli.add_command(exec_command)
cli.add_command(export_command)
cli.add_command(agent_command)
cli.add_command(render_command)
