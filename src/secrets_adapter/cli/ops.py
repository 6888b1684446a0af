"""The operations commands (cost, monitoring, metrics, status, aws bootstrap), in one list that
``cli/main.py`` registers with one line."""

from __future__ import annotations

import click

from secrets_adapter.cli.aws import aws_group
from secrets_adapter.cli.cost import cost
from secrets_adapter.cli.monitoring import metrics_group, monitoring_group, status_command

__all__ = ["OPS_COMMANDS"]

OPS_COMMANDS: list[click.Command] = [
    cost,
    metrics_group,
    monitoring_group,
    status_command,
    aws_group,
]
