"""What AWS Secrets Manager + KMS + CloudTrail cost a month, and how the cache changes it.

Pure arithmetic over a ``Workload`` and ``Prices`` (read from the one data file
``data/aws_prices.json``, dated). Three scenarios show where the bill comes from: no cache (every
request reads its secrets), a cache with a TTL (one call per secret per TTL per instance), and
the cache plus batch loading (one ``BatchGetSecretValue`` per 20 secrets per TTL per instance).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import timedelta
from importlib import resources
from typing import Any

__all__ = [
    "Prices",
    "ScenarioCost",
    "Workload",
    "estimate",
    "load_prices",
    "max_instances_within",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Prices:
    """List prices, in one currency, as of one date."""

    as_of: str
    region: str
    currency: str
    seconds_per_month: int
    secret_month: float
    api_calls_10k: float
    batch_max_secrets: int
    batch_billed_per_secret: bool
    kms_key_month: float
    kms_requests_10k: float
    kms_free_requests: int
    management_events: float
    event_size_kb: float
    logs_ingestion_gb: float
    alarm_month: float
    s3_storage_gb_month: float

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Prices:
        sm, kms, trail = data["secrets_manager"], data["kms"], data["cloudtrail"]
        return cls(
            as_of=str(data["as_of"]),
            region=str(data["region"]),
            currency=str(data["currency"]),
            seconds_per_month=int(data["seconds_per_month"]),
            secret_month=float(sm["per_secret_month"]),
            api_calls_10k=float(sm["per_10k_api_calls"]),
            batch_max_secrets=int(sm["batch_max_secrets"]),
            batch_billed_per_secret=bool(sm["batch_billed_per_secret"]),
            kms_key_month=float(kms["per_customer_key_month"]),
            kms_requests_10k=float(kms["per_10k_requests"]),
            kms_free_requests=int(kms["free_requests_month"]),
            management_events=float(trail["management_events_first_trail"]),
            event_size_kb=float(trail["event_size_kb"]),
            logs_ingestion_gb=float(data["cloudwatch"]["logs_ingestion_per_gb"]),
            alarm_month=float(data["cloudwatch"]["per_alarm_month"]),
            s3_storage_gb_month=float(data["s3"]["storage_per_gb_month"]),
        )


def load_prices() -> Prices:
    """The prices shipped with the package (``secrets_adapter/data/aws_prices.json``)."""
    text = resources.files("secrets_adapter").joinpath("data/aws_prices.json").read_text("utf-8")
    return Prices.from_mapping(json.loads(text))


@dataclass(frozen=True, slots=True, kw_only=True)
class Workload:
    """An application's use of its secrets."""

    secrets: int
    requests_per_second: float
    ttl: timedelta
    instances: int
    secrets_per_request: int | None = None  # default: every secret
    customer_keys: int = 1
    alarms: int = 4

    def __post_init__(self) -> None:
        if self.secrets < 1 or self.instances < 1 or self.customer_keys < 0 or self.alarms < 0:
            raise ValueError("secrets and instances must be at least 1; keys and alarms >= 0")
        if self.requests_per_second < 0 or self.ttl <= timedelta(0):
            raise ValueError("requests per second must be >= 0 and the TTL positive")

    @property
    def per_request(self) -> int:
        return self.secrets if self.secrets_per_request is None else self.secrets_per_request


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioCost:
    """One scenario's monthly calls and cost, split by service."""

    name: str
    api_calls: int
    secrets_retrieved: int
    secrets_manager: float
    kms: float
    cloudtrail: float
    alarms: float

    @property
    def total(self) -> float:
        return self.secrets_manager + self.kms + self.cloudtrail + self.alarms


def _cost(
    name: str, *, api_calls: int, retrieved: int, workload: Workload, prices: Prices
) -> ScenarioCost:
    secrets_manager = workload.secrets * prices.secret_month + api_calls / 10_000 * (
        prices.api_calls_10k
    )
    # Secrets Manager calls kms:Decrypt once per secret it returns, batch or not.
    kms_requests = max(0, retrieved - prices.kms_free_requests)
    kms = workload.customer_keys * prices.kms_key_month + kms_requests / 10_000 * (
        prices.kms_requests_10k
    )
    events = api_calls + retrieved
    gigabytes = events * prices.event_size_kb / 1_000_000
    cloudtrail = (
        events * prices.management_events
        + gigabytes * prices.logs_ingestion_gb
        + gigabytes * prices.s3_storage_gb_month
    )
    return ScenarioCost(
        name=name,
        api_calls=api_calls,
        secrets_retrieved=retrieved,
        secrets_manager=secrets_manager,
        kms=kms,
        cloudtrail=cloudtrail,
        alarms=workload.alarms * prices.alarm_month,
    )


def estimate(workload: Workload, prices: Prices) -> list[ScenarioCost]:
    """No cache, cache with TTL, cache with TTL and batch loading — in that order."""
    month = prices.seconds_per_month
    uncached = round(workload.requests_per_second * workload.per_request * month)
    refreshes = math.ceil(month / workload.ttl.total_seconds())
    # A cache never calls more often than the requests it serves.
    cached = min(uncached, workload.instances * workload.secrets * refreshes)
    batches = math.ceil(workload.secrets / prices.batch_max_secrets)
    calls_per_refresh = workload.secrets if prices.batch_billed_per_secret else batches
    batched = min(cached, workload.instances * calls_per_refresh * refreshes)
    ttl_s = int(workload.ttl.total_seconds())
    return [
        _cost("no cache", api_calls=uncached, retrieved=uncached, workload=workload, prices=prices),
        _cost(
            f"cache, TTL {ttl_s}s",
            api_calls=cached,
            retrieved=cached,
            workload=workload,
            prices=prices,
        ),
        _cost(
            f"cache, TTL {ttl_s}s + batch",
            api_calls=batched,
            retrieved=cached,
            workload=workload,
            prices=prices,
        ),
    ]


def max_instances_within(
    budget: float, workload: Workload, prices: Prices, limit: int = 10_000
) -> int:
    """How many instances the cached, batched scenario affords within ``budget`` a month."""
    best = 0
    for instances in range(1, limit + 1):
        if estimate(replace(workload, instances=instances), prices)[-1].total > budget:
            break
        best = instances
    return best
