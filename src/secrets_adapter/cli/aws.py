"""``secrets-adapter aws bootstrap``: the KMS key, the secrets and the app's policy on AWS."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from secrets_adapter.bootstrap import bootstrap, qualified_names
from secrets_adapter.cli.context import (
    EXIT_CONFIG,
    EXIT_ERROR,
    CliContext,
    UserError,
    handle_errors,
    pass_cli,
)
from secrets_adapter.config import load_settings
from secrets_adapter.dotenv_file import read_dotenv_file
from secrets_adapter.env_names import normalize_prefix
from secrets_adapter.errors import ConfigurationError
from secrets_adapter.integrations.flask import GAARA_STORE_SECRETS
from secrets_adapter.migrate import MigrationRules, desired_secrets
from secrets_adapter.providers.factory import require_extra

__all__ = ["aws_group"]


def _check_alias(_ctx: click.Context, _param: click.Parameter, alias: str | None) -> str | None:
    if alias is not None and not alias.startswith("alias/"):
        raise click.BadParameter("a KMS alias starts with alias/, e.g. alias/gaara-prod-secrets.")
    return alias


@click.group("aws")
def aws_group() -> None:
    """Set up AWS Secrets Manager + KMS for an application."""


@aws_group.command("bootstrap")
@click.option("--prefix", default=None, help="Secret name prefix, e.g. gaara/prod.")
@click.option(
    "--name",
    "names",
    multiple=True,
    help="A secret to create (repeatable; default: the Gaara Store's nine).",
)
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Create the secrets the migration plan of this .env file would write.",
)
@click.option(
    "--group",
    "groups",
    multiple=True,
    help="As in migrate: STEM_* keys become one JSON secret <prefix>/stem. Repeatable.",
)
@click.option(
    "--alias",
    default=None,
    callback=_check_alias,
    help="KMS alias (default: alias/<prefix with ->-secrets).",
)
@click.option("--role-arn", default=None, help="The app role allowed to decrypt in the key policy.")
@click.option("--region", default=None, help="AWS region (default: $AWS_REGION).")
@click.option("--endpoint-url", default=None, help="Another endpoint, e.g. a local test server.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@pass_cli
@handle_errors
def bootstrap_command(
    state: CliContext,
    *,
    prefix: str | None,
    names: tuple[str, ...],
    source: Path | None,
    groups: tuple[str, ...],
    alias: str | None,
    role_arn: str | None,
    region: str | None,
    endpoint_url: str | None,
    as_json: bool,
) -> None:
    """Create (or find) the customer KMS key with rotation, the secrets encrypted with it (no
    values: `migrate apply` writes them), and print the least-privilege policy for the app."""
    try:
        settings = load_settings(os.environ).aws
    except ConfigurationError as exc:
        raise UserError(f"Configuration error: {exc.message}", EXIT_CONFIG) from None
    scope = normalize_prefix(prefix or state.prefix or settings.prefix)
    if not scope:
        raise UserError("Give --prefix (e.g. gaara/prod).", EXIT_CONFIG)
    region = region or settings.region
    if not region:
        raise UserError("No AWS region: pass --region or set AWS_REGION.", EXIT_CONFIG)
    endpoint = endpoint_url or settings.endpoint_url
    boto3 = require_extra("boto3", "aws")
    from secrets_adapter.providers.aws import client_config  # needs botocore: after the check

    session = boto3.session.Session(region_name=region)
    config = client_config(settings)
    kms = session.client("kms", endpoint_url=endpoint, config=config)
    secretsmanager = session.client("secretsmanager", endpoint_url=endpoint, config=config)
    if source is not None:
        rules = MigrationRules(prefix=scope, groups=tuple(group.upper() for group in groups))
        planned, _skipped = desired_secrets(read_dotenv_file(source), rules)
        wanted = sorted({*(item.name for item in planned), *qualified_names(scope, names)})
    else:
        wanted = qualified_names(scope, names or list(GAARA_STORE_SECRETS))
    if not wanted:
        raise UserError(f"The migration plan of {source} holds no secret.", EXIT_CONFIG)
    try:
        report = bootstrap(
            kms,
            secretsmanager,
            names=wanted,
            alias=alias or f"alias/{scope.replace('/', '-')}-secrets",
            region=region,
            app_role_arn=role_arn,
            tags={"prefix": scope},
        )
    except Exception as exc:
        from botocore.exceptions import BotoCoreError, ClientError

        if not isinstance(exc, BotoCoreError | ClientError):
            raise
        if isinstance(exc, ClientError):  # code and operation hold no value: none is sent
            code = exc.response.get("Error", {}).get("Code") or type(exc).__name__
            what = f"{code} on {exc.operation_name}"
        else:
            what = type(exc).__name__  # no credentials, no connection, a timeout
        raise UserError(
            f"AWS refused the bootstrap ({what}). Check the credentials, --region and "
            "--endpoint-url: bootstrap creates a KMS key, its alias and the secrets, so it "
            "needs an administrator's rights, not the application's. A re-run resumes.",
            EXIT_ERROR,
        ) from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    verb = "created" if report.key_created else "found"
    click.echo(f"KMS key {report.alias} ({verb}): {report.key_arn}", err=True)
    click.echo(f"Automatic rotation: {'on' if report.rotation_enabled else 'OFF'}", err=True)
    for item in report.secrets:
        click.echo(f"  {'created' if item.created else 'exists '}  {item.name}", err=True)
        if not item.created and item.kms_key_id not in (report.key_arn, None):
            click.echo(f"           (encrypted with another key: {item.kms_key_id})", err=True)
    click.echo("Least-privilege policy for the application role:", err=True)
    click.echo(json.dumps(report.policy, indent=2))
