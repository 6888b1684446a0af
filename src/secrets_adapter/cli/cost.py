"""``secrets-adapter cost``: the monthly AWS bill for a workload, with and without the cache."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import click

from secrets_adapter.cli.context import EXIT_USAGE, UserError, json_text
from secrets_adapter.cost import Workload, estimate, load_prices, max_instances_within

__all__ = ["cost"]


def _money(amount: float) -> str:
    return f"${amount:,.2f}"


@click.command()
@click.option("--secrets", type=click.IntRange(min=1), default=9, show_default=True)
@click.option(
    "--requests-per-second",
    "rps",
    type=click.FloatRange(min=0),
    required=True,
    help="Application requests per second, all instances together.",
)
@click.option("--ttl", type=click.IntRange(min=1), default=300, show_default=True, help="Seconds.")
@click.option("--instances", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--secrets-per-request",
    type=click.IntRange(min=1),
    default=None,
    help="Secrets one request reads without a cache (default: all of them).",
)
@click.option("--budget", type=float, default=10.0, show_default=True, help="Monthly, in USD.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def cost(
    *,
    secrets: int,
    rps: float,
    ttl: int,
    instances: int,
    secrets_per_request: int | None,
    budget: float,
    as_json: bool,
) -> None:
    """Estimate the monthly Secrets Manager, KMS and CloudTrail cost of a workload."""
    try:
        workload = Workload(
            secrets=secrets,
            requests_per_second=rps,
            ttl=timedelta(seconds=ttl),
            instances=instances,
            secrets_per_request=secrets_per_request,
        )
    except ValueError as exc:
        raise UserError(f"Invalid input: {exc}", EXIT_USAGE) from None
    prices = load_prices()
    scenarios = estimate(workload, prices)
    affordable = max_instances_within(budget, workload, prices)
    if as_json:
        rows = [asdict(item) | {"total": item.total} for item in scenarios]
        click.echo(
            json_text(
                {
                    "prices_as_of": prices.as_of,
                    "region": prices.region,
                    "scenarios": rows,
                    "max_instances_within_budget": affordable,
                }
            )
        )
        return
    click.echo(
        f"{secrets} secrets, {rps:g} req/s, {instances} instance(s), TTL {ttl}s — "
        f"{prices.region} list prices as of {prices.as_of} ({prices.currency}/month)"
    )
    header = ("scenario", "API calls", "Secrets Mgr", "KMS", "CloudTrail", "alarms", "total")
    lines = [header] + [
        (
            item.name,
            f"{item.api_calls:,}",
            _money(item.secrets_manager),
            _money(item.kms),
            _money(item.cloudtrail),
            _money(item.alarms),
            _money(item.total),
        )
        for item in scenarios
    ]
    widths = [max(len(line[col]) for line in lines) for col in range(len(header))]
    for line in lines:
        cells = [line[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)
        ]
        click.echo("  ".join(cells))
    click.echo(_budget_sentence(affordable, ttl=ttl, budget=_money(budget)))


def _budget_sentence(affordable: int, *, ttl: int, budget: str) -> str:
    if affordable == 0:
        return (
            f"Even one instance costs more than {budget}/month with the cache and batch loading "
            f"at TTL {ttl}s: raise --budget, lengthen --ttl or store fewer --secrets."
        )
    count = "1 instance stays" if affordable == 1 else f"up to {affordable:,} instances stay"
    return (
        f"With the cache and batch loading at TTL {ttl}s, {count} within {budget}/month; a "
        "longer TTL or fewer instances lowers the API-call bill."
    )
