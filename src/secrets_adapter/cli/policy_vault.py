"""``secrets-adapter policy vault``: print the HCL policy an app (or its rotator) needs in Vault.

Load it with ``bao policy write <app> policy.hcl`` (or ``vault policy write``) and attach it to
the app's AppRole or Kubernetes role. Relative names get the prefix, like everywhere else.
``--from policy.toml --principal NAME`` renders that principal's grants in the in-process policy
file instead, so Vault and the adapter enforce the same thing.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from secrets_adapter.cli.context import EXIT_USAGE, UserError, handle_errors
from secrets_adapter.cli.policy import principal_grants, refuse_with_from
from secrets_adapter.env_names import normalize_prefix
from secrets_adapter.policy.vault_hcl import (
    VaultPolicyRequest,
    app_policy,
    grants_policy,
    rotator_policy,
)

__all__ = ["vault"]


@click.command("vault")
@click.option("--app", default=None, help="The application's name (goes in the comment).")
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
@click.option(
    "--from",
    "policy_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Render the grants of --principal in this in-process policy file (TOML or JSON).",
)
@click.option("--principal", default=None, help="The principal whose grants to render.")
@click.pass_context
@handle_errors
def vault(
    ctx: click.Context,
    app: str | None,
    names: tuple[str, ...],
    prefix: str | None,
    mount: str | None,
    root: str,
    transit_keys: tuple[str, ...],
    transit_mount: str,
    role: str,
    policy_file: Path | None,
    principal: str | None,
) -> None:
    """Print the Vault/OpenBao HCL policy for an app's secrets."""
    mount = mount or os.environ.get("VAULT_MOUNT") or "secret"
    grants = principal_grants(policy_file, principal)
    if grants is not None:
        refuse_with_from(
            {
                "--secret": names,
                "--prefix": prefix,
                "--role rotator": role == "rotator",
                "--transit-key": transit_keys,
            }
        )
        hcl = grants_policy(grants, principal=str(principal), mount=mount, root=root)
        click.echo(hcl, nl=False)
        return
    if not app:
        raise UserError("Give --app (or --from and --principal).", EXIT_USAGE)
    scope = prefix
    if scope is None:
        parent = getattr(ctx.find_root().obj, "prefix", None)
        scope = parent if parent is not None else os.environ.get("SECRETS_MANAGER_PREFIX", "")
    scope = normalize_prefix(scope)
    if names:
        full = tuple(f"{scope}/{n}" if scope and "/" not in n else n for n in names)
    elif scope:
        full = (f"{scope}/*",)
    else:
        raise UserError("Name the secrets with --secret, or give a --prefix to cover.", EXIT_USAGE)
    request = VaultPolicyRequest(
        app=app,
        names=full,
        mount=mount,
        root=root,
        transit_mount=transit_mount,
        transit_keys=transit_keys,
    )
    click.echo(app_policy(request) if role == "app" else rotator_policy(request), nl=False)
