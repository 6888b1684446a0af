"""``secrets-adapter policy``: generate least-privilege access policies and check existing ones.

``policy aws`` prints an IAM policy for the application (or ``--role admin``) on stdout, or with
``--from policy.toml --principal NAME`` that principal's grants in the in-process policy file;
``policy check FILE`` lists over-broad statements and exits non-zero when it finds any error.
Other backends add their generators to this same group.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import click

from secrets_adapter.cli.context import EXIT_ERROR, EXIT_USAGE, UserError, handle_errors
from secrets_adapter.policy import Effect, Grant, grants_for, load_policy
from secrets_adapter.policy.aws_iam import AwsScope, admin_policy, app_policy
from secrets_adapter.policy.aws_iam_check import Severity, check_policy
from secrets_adapter.policy.aws_iam_grants import grants_policy

__all__ = ["policy_group", "principal_grants", "refuse_with_from"]

_FROM_HELP = "Render the grants of --principal in this in-process policy file (TOML or JSON)."
_PRINCIPAL_HELP = "The principal (as in the policy file's 'principals') whose grants to render."


def principal_grants(policy_file: Path | None, principal: str | None) -> tuple[Grant, ...] | None:
    """The grants ``--from``/``--principal`` ask for; None when neither is given."""
    if policy_file is None and principal is None:
        return None
    if policy_file is None or not principal:
        raise UserError("--from and --principal go together.", EXIT_USAGE)
    grants = grants_for(load_policy(policy_file), principal)
    if not any(grant.effect is Effect.ALLOW for grant in grants):
        # Only denies (from "*" statements, say) grant nothing: most likely a mistyped name.
        raise UserError(
            f"No statement in {policy_file} allows principal {principal!r} anything: "
            "nothing to render.",
            EXIT_USAGE,
        )
    return grants


def refuse_with_from(given: dict[str, object]) -> None:
    """``--from`` takes names from the file: the options that name secrets another way clash."""
    clashing = [option for option, value in given.items() if value]
    if clashing:
        raise UserError(f"--from names the secrets itself; drop {', '.join(clashing)}.", EXIT_USAGE)


@click.group("policy")
def policy_group() -> None:
    """Generate least-privilege access policies and check existing ones."""


@policy_group.command("aws")
@click.option("--prefix", default="", help="Secret name prefix, e.g. gaara/prod.")
@click.option("--region", required=True, help="Region of the secrets, e.g. eu-west-1.")
@click.option("--account", required=True, help="12-digit AWS account id.")
@click.option(
    "--kms-key-arn",
    default=None,
    help="ARN of the KMS key (arn:aws:kms:...:key/ID); optional with --from.",
)
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    help="A secret name (repeatable); a name without '/' gets --prefix. Default: all of --prefix.",
)
@click.option(
    "--role",
    type=click.Choice(["app", "admin"]),
    default="app",
    show_default=True,
    help="app: read and decrypt. admin: also write, stage, delete and configure rotation.",
)
@click.option("--batch", is_flag=True, help="Allow BatchGetSecretValue (granted on '*' by IAM).")
@click.option("--envelope", is_flag=True, help="Allow the KMS envelope helper on the key.")
@click.option(
    "--from",
    "policy_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_FROM_HELP,
)
@click.option("--principal", default=None, help=_PRINCIPAL_HELP)
@handle_errors
def policy_aws(
    *,
    prefix: str,
    region: str,
    account: str,
    kms_key_arn: str | None,
    secrets: tuple[str, ...],
    role: str,
    batch: bool,
    envelope: bool,
    policy_file: Path | None,
    principal: str | None,
) -> None:
    """Print the IAM policy JSON for the AWS Secrets Manager backend."""
    grants = principal_grants(policy_file, principal)
    if grants is not None:
        refuse_with_from(
            {
                "--prefix": prefix,
                "--secret": secrets,
                "--role admin": role == "admin",
                "--batch": batch,
                "--envelope": envelope,
            }
        )
        document = grants_policy(grants, region=region, account=account, kms_key_arn=kms_key_arn)
        click.echo(json.dumps(document, indent=2))
        return
    if kms_key_arn is None:
        raise UserError("Give --kms-key-arn (or --from and --principal).", EXIT_USAGE)
    scope = AwsScope(
        region=region, account=account, kms_key_arn=kms_key_arn, prefix=prefix, secrets=secrets
    )
    document = (
        admin_policy(scope)
        if role == "admin"
        else app_policy(scope, allow_batch=batch, allow_envelope=envelope)
    )
    click.echo(json.dumps(document, indent=2))


@policy_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, help="Print the findings as a JSON array on stdout."
)
def policy_check(file: Path, as_json: bool) -> None:
    """List over-broad statements in an IAM policy JSON file (exit 1 if any error)."""
    document: object = None
    # raised below, not chained: JSONDecodeError.doc is the whole file
    with contextlib.suppress(OSError, UnicodeDecodeError, ValueError):
        document = json.loads(file.read_text(encoding="utf-8"))
    if document is None:
        raise UserError(f"{file} is not a readable JSON document.", EXIT_USAGE)
    if not isinstance(document, dict):
        raise UserError(f"{file} holds JSON but not a policy object.", EXIT_USAGE)
    findings = check_policy(document)
    if as_json:
        rows = [
            {"statement": f.statement, "severity": f.severity.value, "message": f.message}
            for f in findings
        ]
        click.echo(json.dumps(rows, indent=2))
    else:
        for finding in findings:
            click.echo(str(finding))
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    summary = f"{file}: {errors} error(s), {len(findings) - errors} warning(s)."
    if errors:
        raise UserError(summary, EXIT_ERROR)
    click.echo(summary, err=True)
