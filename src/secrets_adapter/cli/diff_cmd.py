"""``secrets-adapter diff``: drift between a ``.env`` file, the store and the environment.

One row per secret with a fingerprint from each source; exit 4 when a value differs or a
``.env`` secret is missing from the store. Only variables that map to those secrets are read
from the environment (for the AWS key pair, its two variables).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from secrets_adapter.cli.context import (
    EXIT_MISMATCH,
    CliContext,
    UserError,
    handle_errors,
    json_text,
    pass_cli,
)
from secrets_adapter.dotenv_file import read_dotenv_file
from secrets_adapter.env_names import name_to_key
from secrets_adapter.errors import SecretNotFoundError
from secrets_adapter.migrate import (
    Fingerprinter,
    MigrationRules,
    compute_drift,
    desired_secrets,
    environment_values,
    read_fresh,
)
from secrets_adapter.models import SecretValue

__all__ = ["diff_command"]


@click.command("diff")
@click.option(
    "--from",
    "source",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".env"),
    show_default=True,
    help="The .env file to compare (a missing file counts as empty).",
)
@click.option("--prefix", default=None, help="Name prefix (default: global --prefix).")
@click.option("--secret", "secret_patterns", multiple=True, help="Extra secret key pattern.")
@click.option("--config", "config_patterns", multiple=True, help="Extra config key pattern.")
@click.option(
    "--interpolate/--no-interpolate",
    default=None,
    help="Whether the application's loader expands ${VAR} (as for migrate); without either, "
    "a ${...} value is refused rather than guessed.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_cli
@handle_errors
def diff_command(
    state: CliContext,
    source: Path,
    prefix: str | None,
    secret_patterns: tuple[str, ...],
    config_patterns: tuple[str, ...],
    interpolate: bool | None,
    as_json: bool,
) -> None:
    """Compare the .env file, the store and the current environment, by fingerprint."""
    if prefix is not None:
        state.prefix = prefix
    adapter = state.adapter()
    scope = adapter.prefix
    entries = read_dotenv_file(source, interpolate=interpolate) if source.exists() else ()
    rules = MigrationRules(
        prefix=scope, secret_patterns=secret_patterns, config_patterns=config_patterns
    )
    desired, _ = desired_secrets(entries, rules)
    env_file = {secret.name: secret.value for secret in desired}
    store: dict[str, SecretValue] = {}
    for name in adapter.list_secrets(f"{scope}/" if scope else ""):
        try:
            store[name] = read_fresh(adapter, name).value
        except SecretNotFoundError:  # deleted since the listing: absent, as drift says
            continue  # (a denied or unreachable store is an error, not a "missing" secret)
    keys = {name: name_to_key(name, scope) for name in set(env_file) | set(store)}
    environment = environment_values(keys, os.environ, store)
    rows = compute_drift(
        env_file=env_file,
        store=store,
        environment=environment,
        keys=keys,
        fingerprint=Fingerprinter(),
    )
    if as_json:
        click.echo(
            json_text(
                [
                    {
                        "name": row.name,
                        "key": row.key,
                        "env_file": row.env_file,
                        "store": row.store,
                        "environment": row.environment,
                        "status": row.status.value,
                    }
                    for row in rows
                ]
            )
        )
    else:
        width = max((len(row.name) for row in rows), default=4)
        click.echo(f"{'NAME':<{width}}  {'.ENV':<16}  {'STORE':<16}  {'ENVIRONMENT':<16}  STATUS")
        for row in rows:
            cells = (row.env_file or "-", row.store or "-", row.environment or "-")
            click.echo(
                f"{row.name:<{width}}  {cells[0]:<16}  {cells[1]:<16}  {cells[2]:<16}  "
                f"{row.status.value}"
            )
    drifted = [row.name for row in rows if row.status.is_drift]
    if drifted:
        raise UserError(f"Drift in {len(drifted)} secrets: {', '.join(drifted)}.", EXIT_MISMATCH)
