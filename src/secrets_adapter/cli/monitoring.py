"""``secrets-adapter metrics serve``, ``monitoring cloudwatch|rules`` and ``status``."""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from secrets_adapter.cli.context import CliContext, handle_errors, json_text, pass_cli
from secrets_adapter.clock import utcnow
from secrets_adapter.models import SecretMetadata, SecretValue
from secrets_adapter.monitoring.cloudwatch import (
    api_requests,
    cloudformation_resources,
    terraform_resources,
)
from secrets_adapter.monitoring.metrics import SecretsMetrics
from secrets_adapter.monitoring.refresh import RotationAgeRefresher
from secrets_adapter.monitoring.rules import AlertRule, CountRule, default_rules
from secrets_adapter.monitoring.server import make_metrics_server
from secrets_adapter.monitoring.status import format_table, status_rows
from secrets_adapter.rotation.schedule import rotation_schedule
from secrets_adapter.rotation.state import rotation_health

__all__ = ["METRICS_TOKEN_VARIABLE", "metrics_group", "monitoring_group", "status_command"]

METRICS_TOKEN_VARIABLE = "SECRETS_ADAPTER_METRICS_TOKEN"  # noqa: S105 - a variable name


@click.group("metrics")
def metrics_group() -> None:
    """Prometheus metrics."""


@metrics_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=9464, show_default=True)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"File holding the bearer token scrapers must send (or set {METRICS_TOKEN_VARIABLE}).",
)
@click.option(
    "--no-auth",
    is_flag=True,
    help="Serve without a token: allowed only on a loopback address.",
)
@click.option(
    "--requests",
    "max_requests",
    type=click.IntRange(min=1),
    default=None,
    hidden=True,
    help="Stop after this many requests (smoke tests).",
)
@click.option(
    "--refresh-seconds",
    type=click.IntRange(min=1),
    default=300,
    show_default=True,
    help="Read secret metadata at most this often (each read is a billed API call on AWS).",
)
@pass_cli
@handle_errors
def serve_command(
    state: CliContext,
    *,
    host: str,
    port: int,
    token_file: Path | None,
    no_auth: bool,
    max_requests: int | None,
    refresh_seconds: int,
) -> None:
    """Serve /metrics for the configured store: rotation ages from metadata (never values),
    plus this process's own backend calls. Scrapers send ``Authorization: Bearer <token>``."""
    token = metrics_token(host, token_file=token_file, no_auth=no_auth, environ=os.environ)
    adapter = state.adapter()
    metrics = SecretsMetrics()
    adapter.events.subscribe(metrics)
    refresh = RotationAgeRefresher(
        metrics,
        adapter.list_secrets,
        adapter.describe_secret,
        last_rotated=lambda meta: rotation_schedule(meta).last_rotated,
        interval=timedelta(seconds=refresh_seconds),
    )
    server = make_metrics_server(metrics, token=token, host=host, port=port, before_scrape=refresh)
    click.echo(f"Serving metrics on http://{host}:{server.server_port}/metrics", err=True)
    try:
        if max_requests is None:
            server.serve_forever()
        for _ in range(max_requests or 0):
            server.handle_request()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def metrics_token(
    host: str, *, token_file: Path | None, no_auth: bool, environ: Mapping[str, str]
) -> SecretValue | None:
    """The token scrapers must present, from ``--token-file`` or the environment; None only with
    ``--no-auth`` on a loopback address."""
    if no_auth:
        if not is_loopback(host):
            raise click.UsageError(
                f"--no-auth serves every secret's name and age to anyone who can reach {host}; "
                "it is allowed only on a loopback address (127.0.0.1, ::1, localhost)."
            )
        return None
    if token_file is not None:
        try:
            text = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise click.UsageError(
                f"Cannot read the token file {str(token_file)!r} ({exc.strerror})."
            ) from None
        if not text:
            raise click.UsageError(f"The token file {str(token_file)!r} is empty.")
        return SecretValue(text)
    from_environ = environ.get(METRICS_TOKEN_VARIABLE, "").strip()
    if from_environ:
        return SecretValue(from_environ)
    raise click.UsageError(
        "metrics serve needs a bearer token for its scrapers: --token-file FILE or "
        f"{METRICS_TOKEN_VARIABLE}; or --no-auth on a loopback address."
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.group("monitoring")
def monitoring_group() -> None:
    """Alert rules and their CloudWatch counterparts."""


@monitoring_group.command("cloudwatch")
@click.option(
    "--format",
    "output",
    type=click.Choice(["cloudformation", "terraform", "json"]),
    default="cloudformation",
    show_default=True,
    help="CloudFormation Resources, Terraform JSON, or put-metric-filter/-alarm requests.",
)
@click.option("--log-group", default=None, help="CloudTrail log group (json format).")
@click.option("--topic-arn", default=None, help="SNS topic for the alarms (json format).")
def cloudwatch_command(output: str, log_group: str | None, topic_arn: str | None) -> None:
    """CloudWatch metric filters and alarms over CloudTrail for the alert rules."""
    snippet: dict[str, Any]
    if output == "cloudformation":
        snippet = {"Resources": cloudformation_resources()}
    elif output == "terraform":
        snippet = terraform_resources()
    else:
        snippet = api_requests(
            log_group_name=log_group or "CLOUDTRAIL_LOG_GROUP",
            topic_arn=topic_arn or "ALERT_TOPIC_ARN",
        )
    click.echo(json.dumps(snippet, indent=2))


@monitoring_group.command("rules")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def rules_command(as_json: bool) -> None:
    """The in-process alert rules: id, severity, threshold, window."""
    rules = default_rules()
    if as_json:
        click.echo(json_text([_rule_json(rule) for rule in rules]))
        return
    for rule in rules:
        when = (
            f">= {rule.threshold} in {rule.window}"
            if isinstance(rule, CountRule)
            else f"older than {rule.max_age}"
        )
        click.echo(f"{rule.id:<20} {rule.severity.value:<9} {when:<24} {rule.description}")


def _rule_json(rule: AlertRule) -> dict[str, object]:
    kind = type(rule).__name__.removesuffix("Rule")  # Count, RotationOverdue, StaleTooLong
    return {"kind": kind} | {item.name: getattr(rule, item.name) for item in fields(rule)}


def _schedule_dates(meta: SecretMetadata) -> tuple[datetime | None, datetime | None]:
    """Last/next rotation from the schedule in the secret's tags — what ``describe`` and
    ``rotation status`` show."""
    schedule = rotation_schedule(meta)
    return schedule.last_rotated, schedule.next_rotation


@click.command("status")
@click.option(
    "--rotation-days",
    type=click.IntRange(min=1),
    default=90,
    show_default=True,
    help="Flag secrets with no rotation schedule not rotated for this many days.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_cli
@handle_errors
def status_command(state: CliContext, rotation_days: int, as_json: bool) -> None:
    """One row per secret: backend, version, last/next rotation, cache, failed rotation runs
    since the last finished one, and its state (a failed or unfinished step shows here)."""
    adapter = state.adapter()
    settings = adapter.settings.cache
    cache = f"ttl {int(settings.ttl.total_seconds())}s" if settings.enabled else "off"
    now = utcnow()
    rows = status_rows(
        adapter.list_secrets(),
        adapter.describe_secret,
        backend=adapter.backend,
        now=now,
        cache=cache,
        dates=_schedule_dates,
        health=lambda meta: rotation_health(meta, now),
        unscheduled_max_age=timedelta(days=rotation_days),
    )
    if as_json:
        click.echo(json_text(rows))
        return
    if not rows:
        click.echo("No secrets.", err=True)
        return
    click.echo(format_table(rows, now))
