"""Managed rotation on Secrets Manager: ``RotateSecret``'s rules, and the rotation configuration
(kept in the secret's tags by ``rotation configure``) turned into a real rotation schedule.

``secrets-adapter rotation configure NAME --rotator R --every 30d`` writes tags. On AWS, when a
rotation Lambda is known (``--option lambda-arn=ARN`` or ``SECRETS_ADAPTER_ROTATION_LAMBDA_ARN``),
the provider also calls ``RotateSecret`` with it, so ``aws secretsmanager describe-secret`` shows
``RotationEnabled: true``, the Lambda and the schedule, as AWS users expect.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from secrets_adapter.errors import ValidationError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.type_defs import RotationRulesTypeTypeDef

__all__ = [
    "LAMBDA_ARN_TAG",
    "ManagedRotation",
    "managed_rotation",
    "rotation_rules",
]

# The tag names of ``secrets_adapter.rotation.schedule`` (a layer above the providers).
ROTATOR_TAG = "secrets-adapter:rotator"
EVERY_TAG = "secrets-adapter:rotation-every"
LAMBDA_ARN_TAG = "secrets-adapter:rotator.lambda-arn"
_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_INTERVAL = re.compile(r"(\d+)([wdhms])")


def rotation_rules(
    name: str,
    *,
    every: timedelta | None,
    schedule_expression: str | None = None,
    window: timedelta | None = None,
) -> RotationRulesTypeTypeDef:
    """``RotationRules``: whole days as ``AutomaticallyAfterDays``, whole hours as a ``rate()``
    expression, or the ``schedule_expression`` given; ``window`` in whole hours."""
    if (every is None) == (schedule_expression is None):
        raise ValidationError(
            "Give exactly one of every=timedelta(days=N) or schedule_expression='rate(...)'.",
            secret_name=name,
        )
    rules: RotationRulesTypeTypeDef = {}
    if every is not None:
        if every >= timedelta(days=1) and not every % timedelta(days=1):
            rules["AutomaticallyAfterDays"] = every.days
        elif every >= timedelta(hours=1) and not every % timedelta(hours=1):
            rules["ScheduleExpression"] = f"rate({every // timedelta(hours=1)} hours)"
        else:
            raise ValidationError(
                f"Rotation interval for secret {name!r} must be whole days or whole hours for "
                f"AWS managed rotation (got {every}).",
                secret_name=name,
            )
    elif schedule_expression is not None:
        rules["ScheduleExpression"] = schedule_expression
    if window is not None:
        hours = int(window.total_seconds() // 3600)
        if hours < 1 or window % timedelta(hours=1):
            raise ValidationError(
                f"Rotation window for secret {name!r} must be whole hours (got {window}).",
                secret_name=name,
            )
        rules["Duration"] = f"{hours}h"
    return rules


class ManagedRotation:
    """What ``RotateSecret`` needs: the Lambda and the interval."""

    __slots__ = ("every", "lambda_arn")

    def __init__(self, *, lambda_arn: str, every: timedelta) -> None:
        self.lambda_arn = lambda_arn
        self.every = every


def _interval(text: str) -> timedelta | None:
    compact = text.strip().lower().replace(" ", "")
    parts = _INTERVAL.findall(compact)
    if not compact or "".join(f"{n}{u}" for n, u in parts) != compact:
        return None
    return timedelta(seconds=sum(int(n) * _UNITS[u] for n, u in parts))


def managed_rotation(
    name: str, tags: Mapping[str, str], *, default_lambda_arn: str | None
) -> ManagedRotation | None:
    """The managed rotation a ``set_tags`` call configures, or None when it configures none (no
    rotator tag in it, or no Lambda known). A Lambda with no usable interval is an error: AWS
    would otherwise keep an old schedule or none."""
    if not tags.get(ROTATOR_TAG):
        return None
    lambda_arn = tags.get(LAMBDA_ARN_TAG) or default_lambda_arn
    if not lambda_arn:
        return None
    every = _interval(tags.get(EVERY_TAG, ""))
    if every is None:
        raise ValidationError(
            f"Managed rotation of secret {name!r} with Lambda {lambda_arn!r} needs an interval "
            "(--every, in whole days or hours).",
            secret_name=name,
        )
    return ManagedRotation(lambda_arn=lambda_arn, every=every)
