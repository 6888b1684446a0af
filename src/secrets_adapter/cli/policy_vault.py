"""``secrets-adapter policy vault``: print the HCL policy an app (or its rotator) needs in Vault.

Load it with ``bao policy write <app> policy.hcl`` (or ``vault policy write``) and attach it to
the app's AppRole or Kubernetes role. Relative names get the prefix, like everywhere else.
"""

from __future__ import annotations

import os

import click

from secrets_adapter.cli.context import EXIT_USAGE, UserError, handle_errors
from secrets_adapter.policy.vault_hcl import VaultPolicyRequest, app_policy, rotator_policy

__all__ = ["vault"]


@click.command("vault")
@click.option("--app", required=True, help="The application's name (goes in the comment).")
@click.option(
    "--secret",
    "-s",
    "names",
    multiple=True,
    help="A secret the app reads (repeatable); relative names get --prefix. Default: prefix/*.",
)
@click.option(
    "--prefix", default=None, help="Name prefix, e.g. gaara/prod ($SECRETS_MANAGER_PREFIX)."
)
@click.option("--mount", default=None, help="KV v2 mount (default $VAULT_MOUNT or 'secret').")
@click.option("--root", default="", help="Folder under the mount holding every name, if any.")
@click.option("--transit-key", "transit_keys", multiple=True, help="Transit key (repeatable).")
@click.option("--transit-mount", default="transit", show_default=True)
@click.option(
    "--role",
    type=click.Choice(["app", "rotator"]),
    default="app",
    show_default=True,
    help="app: read only; rotator: also write versions and move stages.",
)
@click.pass_context
@handle_errors
def vault(
    ctx: click.Context,
    app: str,
    names: tuple[str, ...],
    prefix: str | None,
    mount: str | None,
    root: str,
    transit_keys: tuple[str, ...],
    transit_mount: str,
    role: str,
) -> None:
    """Print the Vault/OpenBao HCL policy for an app's secrets."""
    scope = prefix
    if scope is None:
        parent = getattr(ctx.find_root().obj, "prefix", None)
        scope = parent if parent is not None else os.environ.get("SECRETS_MANAGER_PREFIX", "")
    scope = scope.strip().strip("/")
    if names:
        full = tuple(f"{scope}/{n}" if scope and "/" not in n else n for n in names)
    elif scope:
        full = (f"{scope}/*",)
    else:
        raise UserError("Name the secrets with --secret, or give a --prefix to cover.", EXIT_USAGE)
    request = VaultPolicyRequest(
        app=app,
        names=full,
        mount=mount or os.environ.get("VAULT_MOUNT") or "secret",
        root=root,
        transit_mount=transit_mount,
        transit_keys=transit_keys,
    )
    click.echo(app_policy(request) if role == "app" else rotator_policy(request), nl=False)
