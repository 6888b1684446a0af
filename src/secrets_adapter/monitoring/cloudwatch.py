"""The CloudWatch side of the alert rules: metric filters over CloudTrail logs, and their alarms.

One source for both ``deploy/cloudformation/secrets.yaml`` (a test proves the template holds
exactly these resources) and ``secrets-adapter monitoring cloudwatch``. Pure data, no AWS calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from secrets_adapter.monitoring.severity import Severity

__all__ = [
    "CLOUDTRAIL_ALARMS",
    "METRIC_NAMESPACE",
    "CloudTrailAlarm",
    "api_requests",
    "cloudformation_resources",
    "terraform_resources",
]

METRIC_NAMESPACE = "SecretsAdapter/CloudTrail"

_SECRETS_MANAGER = '($.eventSource = "secretsmanager.amazonaws.com")'
_KMS = '($.eventSource = "kms.amazonaws.com")'


@dataclass(frozen=True, slots=True, kw_only=True)
class CloudTrailAlarm:
    """A metric filter on the trail's log group and the alarm on the metric it counts.

    ``rule_id`` names the in-process alert rule (``monitoring.rules``) it mirrors.
    """

    rule_id: str
    logical_id: str
    description: str
    filter_pattern: str
    threshold: int
    period: timedelta
    severity: Severity
    comparison: str = "GreaterThanOrEqualToThreshold"

    @property
    def metric_name(self) -> str:
        return self.logical_id


CLOUDTRAIL_ALARMS: tuple[CloudTrailAlarm, ...] = (
    CloudTrailAlarm(
        rule_id="failed-retrievals",
        logical_id="FailedSecretRetrievals",
        description="More than 10 failed GetSecretValue calls in 5 minutes.",
        filter_pattern=(
            f"{{ {_SECRETS_MANAGER} && "
            '(($.eventName = "GetSecretValue") || ($.eventName = "BatchGetSecretValue")) && '
            '($.errorCode = "*") }'
        ),
        threshold=10,
        comparison="GreaterThanThreshold",
        period=timedelta(minutes=5),
        severity=Severity.WARNING,
    ),
    CloudTrailAlarm(
        rule_id="unauthorized-use",
        logical_id="UnauthorizedSecretOrKeyUse",
        description="Any access denied on a secret or a KMS key, or a KMS refusal to decrypt.",
        filter_pattern=(
            f"{{ ({_SECRETS_MANAGER} || {_KMS}) && "
            '(($.errorCode = "AccessDenied*") || ($.errorCode = "*UnauthorizedOperation") || '
            '($.errorCode = "InvalidCiphertextException") || '
            '($.errorCode = "IncorrectKeyException") || ($.errorCode = "DisabledException") || '
            '($.errorCode = "KMSInvalidStateException")) }'
        ),
        threshold=1,
        period=timedelta(minutes=1),
        severity=Severity.CRITICAL,
    ),
    CloudTrailAlarm(
        rule_id="rotation-failure",
        logical_id="SecretRotationFailures",
        description="A Secrets Manager rotation failed or was abandoned.",
        filter_pattern=(
            f"{{ {_SECRETS_MANAGER} && "
            '(($.eventName = "RotationFailed") || ($.eventName = "RotationAbandoned")) }'
        ),
        threshold=1,
        period=timedelta(minutes=5),
        severity=Severity.CRITICAL,
    ),
    CloudTrailAlarm(
        rule_id="key-disabled",
        logical_id="SecretsKeyDisabledOrDeleted",
        description="A KMS key was disabled or scheduled for deletion (secrets become unreadable).",
        filter_pattern=(
            f"{{ {_KMS} && "
            '(($.eventName = "DisableKey") || ($.eventName = "ScheduleKeyDeletion")) }'
        ),
        threshold=1,
        period=timedelta(minutes=5),
        severity=Severity.CRITICAL,
    ),
)


def _alarm_description(alarm: CloudTrailAlarm) -> str:
    return f"[{alarm.severity.value}] {alarm.description} (secrets-adapter rule {alarm.rule_id})"


def cloudformation_resources(
    *, log_group: Any = None, topic: Any = None
) -> dict[str, dict[str, Any]]:
    """``AWS::Logs::MetricFilter`` + ``AWS::CloudWatch::Alarm`` resources, keyed by logical id.

    ``log_group`` and ``topic`` default to ``{"Ref": "TrailLogGroup"}`` / ``{"Ref": "AlertTopic"}``,
    the names used in ``deploy/cloudformation/secrets.yaml``.
    """
    log_group = log_group if log_group is not None else {"Ref": "TrailLogGroup"}
    topic = topic if topic is not None else {"Ref": "AlertTopic"}
    resources: dict[str, dict[str, Any]] = {}
    for alarm in CLOUDTRAIL_ALARMS:
        resources[f"{alarm.logical_id}Filter"] = {
            "Type": "AWS::Logs::MetricFilter",
            "Properties": {
                "LogGroupName": log_group,
                "FilterPattern": alarm.filter_pattern,
                "MetricTransformations": [
                    {
                        "MetricNamespace": METRIC_NAMESPACE,
                        "MetricName": alarm.metric_name,
                        "MetricValue": "1",
                        "DefaultValue": 0,
                    }
                ],
            },
        }
        resources[f"{alarm.logical_id}Alarm"] = {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": _alarm_description(alarm),
                "Namespace": METRIC_NAMESPACE,
                "MetricName": alarm.metric_name,
                "Statistic": "Sum",
                "Period": int(alarm.period.total_seconds()),
                "EvaluationPeriods": 1,
                "Threshold": alarm.threshold,
                "ComparisonOperator": alarm.comparison,
                "TreatMissingData": "notBreaching",
                "AlarmActions": [topic],
                "OKActions": [topic],
            },
        }
    return resources


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def terraform_resources(
    *,
    log_group: str = "${aws_cloudwatch_log_group.trail.name}",
    topic: str = "${aws_sns_topic.alerts.arn}",
) -> dict[str, Any]:
    """The same filters and alarms as Terraform JSON (``deploy/terraform/alarms.tf.json``)."""
    filters: dict[str, Any] = {}
    alarms: dict[str, Any] = {}
    for alarm in CLOUDTRAIL_ALARMS:
        key = _snake(alarm.logical_id)
        filters[key] = {
            "name": f"secrets-adapter-{alarm.rule_id}",
            "log_group_name": log_group,
            "pattern": alarm.filter_pattern,
            "metric_transformation": {
                "namespace": METRIC_NAMESPACE,
                "name": alarm.metric_name,
                "value": "1",
                "default_value": "0",
            },
        }
        alarms[key] = {
            "alarm_name": f"secrets-adapter-{alarm.rule_id}",
            "alarm_description": _alarm_description(alarm),
            "namespace": METRIC_NAMESPACE,
            "metric_name": alarm.metric_name,
            "statistic": "Sum",
            "period": int(alarm.period.total_seconds()),
            "evaluation_periods": 1,
            "threshold": alarm.threshold,
            "comparison_operator": alarm.comparison,
            "treat_missing_data": "notBreaching",
            "alarm_actions": [topic],
            "ok_actions": [topic],
            "depends_on": [f"aws_cloudwatch_log_metric_filter.{key}"],
        }
    return {
        "resource": {
            "aws_cloudwatch_log_metric_filter": filters,
            "aws_cloudwatch_metric_alarm": alarms,
        }
    }


def api_requests(
    *, log_group_name: str, topic_arn: str, prefix: str = "secrets-adapter"
) -> dict[str, list[dict[str, Any]]]:
    """The same filters and alarms as keyword arguments for boto3's ``put_metric_filter`` and
    ``put_metric_alarm`` (or ``aws logs put-metric-filter --cli-input-json``)."""
    filters: list[dict[str, Any]] = []
    alarms: list[dict[str, Any]] = []
    for alarm in CLOUDTRAIL_ALARMS:
        filters.append(
            {
                "logGroupName": log_group_name,
                "filterName": f"{prefix}-{alarm.rule_id}",
                "filterPattern": alarm.filter_pattern,
                "metricTransformations": [
                    {
                        "metricNamespace": METRIC_NAMESPACE,
                        "metricName": alarm.metric_name,
                        "metricValue": "1",
                        "defaultValue": 0,
                    }
                ],
            }
        )
        alarms.append(
            {
                "AlarmName": f"{prefix}-{alarm.rule_id}",
                "AlarmDescription": _alarm_description(alarm),
                "Namespace": METRIC_NAMESPACE,
                "MetricName": alarm.metric_name,
                "Statistic": "Sum",
                "Period": int(alarm.period.total_seconds()),
                "EvaluationPeriods": 1,
                "Threshold": float(alarm.threshold),
                "ComparisonOperator": alarm.comparison,
                "TreatMissingData": "notBreaching",
                "AlarmActions": [topic_arn],
                "OKActions": [topic_arn],
            }
        )
    return {"metric_filters": filters, "alarms": alarms}
