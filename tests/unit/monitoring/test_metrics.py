"""Metrics from real adapter events: parsed with prometheus-client's own parser; no value leaks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from secrets_adapter import SecretNotFoundError, SecretsAdapter
from secrets_adapter.events import Outcome
from secrets_adapter.integrations.metrics import metrics_blueprint
from secrets_adapter.monitoring import SecretsMetrics
from secrets_adapter.rotation.schedule import rotation_schedule
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL
from tests.unit.monitoring.events import SECRET, T0, FakeClock, access, cache, failed, rotation

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(metrics: SecretsMetrics) -> Samples:
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    text = body.decode()
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def adapter_and_metrics() -> tuple[SecretsAdapter, SecretsMetrics]:
    provider = InMemoryProvider({SECRET: SENTINEL, "gaara/prod/database-url": "postgres://x"})
    metrics = SecretsMetrics()
    adapter = SecretsAdapter(provider=provider, listeners=[metrics])
    return adapter, metrics


def test_accesses_and_failures_through_the_cache(
    adapter_and_metrics: tuple[SecretsAdapter, SecretsMetrics],
) -> None:
    adapter, metrics = adapter_and_metrics
    assert adapter.get_secret_value(SECRET) == SENTINEL
    adapter.get_secret_value(SECRET)
    with pytest.raises(SecretNotFoundError):
        adapter.get_secret_value("gaara/prod/missing")
    found = samples(metrics)
    access_labels = {"secret": SECRET, "action": "get", "outcome": "success"}
    assert value(found, "secrets_adapter_accesses_total", **access_labels, cache="miss") == 1
    assert value(found, "secrets_adapter_accesses_total", **access_labels, cache="hit") == 1
    missing = "gaara/prod/missing"
    failed_labels = {"secret": missing, "error": "SecretNotFoundError"}
    assert value(found, "secrets_adapter_failed_retrievals_total", **failed_labels) == 1
    fetched = {"secret": SECRET, "kind": "fetch", "outcome": "success"}
    assert value(found, "secrets_adapter_backend_calls_total", **fetched) == 1, "the hit made none"
    assert value(found, "secrets_adapter_backend_call_duration_seconds_count", kind="fetch") == 2


def test_uncached_reads_count_as_backend_calls() -> None:
    metrics = SecretsMetrics()
    provider = InMemoryProvider({SECRET: SENTINEL})
    adapter = SecretsAdapter(provider=provider, listeners=[metrics], cache=False)
    adapter.get_secret_value(SECRET)
    adapter.get_secret_value(SECRET)
    found = samples(metrics)
    direct = {"secret": SECRET, "kind": "get", "outcome": "success"}
    assert value(found, "secrets_adapter_backend_calls_total", **direct) == 2
    assert provider.calls["get"] == 2


def test_the_sentinel_never_reaches_the_metrics_page(
    adapter_and_metrics: tuple[SecretsAdapter, SecretsMetrics],
) -> None:
    adapter, metrics = adapter_and_metrics
    adapter.get_secret_value(SECRET)
    adapter.get_many([SECRET, "gaara/prod/database-url"])
    # A misbehaving backend's error message carrying the value, and a "name" that is a value.
    metrics(access(T0, outcome=Outcome.ERROR, error_code="X", error_message=SENTINEL))
    metrics(access(T0, outcome=Outcome.ERROR, error_code=f"bad {SENTINEL}!", secret=SECRET))
    page = metrics.render()[0].decode()
    assert SENTINEL not in page
    assert 'error="other"' in page


def test_denials_unauthorized_stale_and_cache_calls() -> None:
    metrics = SecretsMetrics()
    metrics(access(T0, outcome=Outcome.DENIED, error_code="PolicyDeniedError", cache=None))
    metrics(failed(T0, code="AccessDeniedError"))
    metrics(failed(T0, code="DecryptionError"))
    metrics(cache(T0, "fetch"))
    metrics(cache(T0, "refresh"))
    metrics(cache(T0, "error", error_code="ProviderUnavailableError"))
    metrics(cache(T0, "stale", age_s=420.0))
    found = samples(metrics)
    assert value(found, "secrets_adapter_policy_denials_total", secret=SECRET, principal="app") == 1
    for code in ("PolicyDeniedError", "AccessDeniedError", "DecryptionError"):
        assert value(
            found, "secrets_adapter_unauthorized_attempts_total", secret=SECRET, error=code
        )
    assert (
        value(
            found,
            "secrets_adapter_backend_calls_total",
            secret=SECRET,
            kind="fetch",
            outcome="error",
        )
        == 1
    )
    assert (
        value(
            found,
            "secrets_adapter_backend_calls_total",
            secret=SECRET,
            kind="refresh",
            outcome="success",
        )
        == 1
    )
    assert value(found, "secrets_adapter_stale_served_total", secret=SECRET) == 1
    assert value(found, "secrets_adapter_stale_value_age_seconds", secret=SECRET) == 420.0
    # a denied access made no backend call; cached (miss) accesses are counted by the cache events
    assert not [
        key
        for key in found
        if key[0] == "secrets_adapter_backend_calls_total" and ("kind", "get") in key[1]
    ]


def test_rotation_metrics_and_age_from_the_injected_clock() -> None:
    clock = FakeClock()
    metrics = SecretsMetrics(clock=clock)
    metrics(rotation(T0, "started"))
    metrics(rotation(T0, "failed", step="test_secret"))
    metrics(rotation(T0 + timedelta(minutes=1), "finished"))
    clock.now = T0 + timedelta(hours=2, minutes=1)
    found = samples(metrics)
    assert (
        value(found, "secrets_adapter_rotation_events_total", secret=SECRET, status="failed") == 1
    )
    assert (
        value(found, "secrets_adapter_rotation_failures_total", secret=SECRET, step="test_secret")
        == 1
    )
    assert value(found, "secrets_adapter_seconds_since_last_rotation", secret=SECRET) == 7200.0
    stamp = value(found, "secrets_adapter_last_rotation_timestamp_seconds", secret=SECRET)
    assert stamp == (T0 + timedelta(minutes=1)).timestamp()


def test_each_instance_has_its_own_registry() -> None:
    first, second = SecretsMetrics(), SecretsMetrics()
    first(failed(T0))
    assert first.registry is not second.registry
    assert (
        "secrets_adapter_failed_retrievals_total",
        (("error", "ProviderUnavailableError"), ("secret", SECRET)),
    ) in samples(first)
    assert not [
        key for key in samples(second) if key[0] == "secrets_adapter_failed_retrievals_total"
    ]


def test_flask_blueprint_serves_the_page(
    adapter_and_metrics: tuple[SecretsAdapter, SecretsMetrics],
) -> None:
    adapter, metrics = adapter_and_metrics
    adapter.get_secret_value(SECRET)
    app = Flask(__name__)
    app.register_blueprint(metrics_blueprint(metrics))
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    families = {family.name for family in text_string_to_metric_families(text)}
    assert {"secrets_adapter_accesses", "secrets_adapter_backend_call_duration_seconds"} <= families
    assert SENTINEL not in text


def test_rotation_ages_are_refreshed_at_a_bounded_rate() -> None:
    from secrets_adapter.monitoring.refresh import RotationAgeRefresher

    clock = FakeClock()
    provider = InMemoryProvider({SECRET: SENTINEL}, clock=clock)
    metrics = SecretsMetrics(clock=clock)
    seconds = [0.0]
    refresh = RotationAgeRefresher(
        metrics,
        provider.list_names,
        provider.describe,
        last_rotated=lambda meta: rotation_schedule(meta).last_rotated,
        interval=timedelta(minutes=5),
        clock=lambda: seconds[0],
    )
    refresh()
    assert provider.calls["describe"] == 1
    seconds[0] = 299.0
    refresh()
    assert provider.calls["describe"] == 1, "within the interval: no API call"
    seconds[0] = 300.0
    refresh()
    assert provider.calls["describe"] == 2
    clock.now = T0 + timedelta(hours=1)
    found = samples(metrics)
    assert value(found, "secrets_adapter_seconds_since_last_rotation", secret=SECRET) == 3600.0
