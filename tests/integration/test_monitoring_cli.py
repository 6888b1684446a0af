"""``metrics serve``, ``monitoring cloudwatch|rules`` and ``status`` through the real CLI."""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from secrets_adapter import SecretsAdapter, SecretValue
from secrets_adapter.cli.context import CliContext
from secrets_adapter.cli.main import cli, main
from secrets_adapter.clock import utcnow
from secrets_adapter.monitoring.cloudwatch import CLOUDTRAIL_ALARMS, api_requests
from secrets_adapter.rotation.schedule import TAG_EVERY, TAG_LAST_ROTATED
from secrets_adapter.testing import InMemoryProvider
from tests.deploy.paths import CLOUDFORMATION
from tests.sentinel import SENTINEL
from tests.unit.monitoring.events import FakeClock


def run_with(adapter: SecretsAdapter, argv: list[str]) -> None:
    """The CLI with a ready adapter (no backend needs configuring)."""
    cli.main(
        args=argv,
        prog_name="secrets-adapter",
        obj=CliContext(_adapter=adapter),
        standalone_mode=False,
    )


@pytest.fixture
def gaara_adapter() -> SecretsAdapter:
    now = utcnow()  # the status command reads the real clock
    clock = FakeClock(now=now - timedelta(days=100))
    provider = InMemoryProvider(clock=clock)
    provider.put("gaara/prod/jwt-secret-key", SecretValue(SENTINEL))
    clock.now = now - timedelta(days=10)
    provider.put("gaara/prod/database-url", SecretValue("postgres://app@db/gaara"))
    provider.put("gaara/prod/stripe-api-key", SecretValue("sk_test_x"))
    provider.set_tags("gaara/prod/stripe-api-key", {TAG_EVERY: "7d"})
    return SecretsAdapter(provider=provider, prefix="gaara/prod")


def test_status_table(gaara_adapter: SecretsAdapter, capsys: pytest.CaptureFixture[str]) -> None:
    run_with(gaara_adapter, ["status"])
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["SECRET", "BACKEND", "VERSION"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {
        "gaara/prod/database-url",
        "gaara/prod/jwt-secret-key",
        "gaara/prod/stripe-api-key",
    }
    # no schedule of its own: flagged by age (100 days > 90), its next rotation stays "-"
    assert "not rotated for 100d (no schedule)" in rows["gaara/prod/jwt-secret-key"]
    assert rows["gaara/prod/database-url"].rstrip().endswith("ok")
    assert "rotation overdue" in rows["gaara/prod/stripe-api-key"]  # 10 days > its 7-day schedule
    assert "memory" in rows["gaara/prod/database-url"] and "ttl 300s" in out
    assert SENTINEL not in out


def test_status_json(gaara_adapter: SecretsAdapter, capsys: pytest.CaptureFixture[str]) -> None:
    run_with(gaara_adapter, ["status", "--json", "--rotation-days", "365"])
    rows = json.loads(capsys.readouterr().out)
    assert [row["problem"] for row in rows] == [None, None, "rotation overdue"]
    assert all(row["version"] for row in rows)
    for row in rows:  # ISO 8601 with a "T", as every other time the CLI prints
        assert "T" in row["last_rotation"]
        assert datetime.fromisoformat(row["last_rotation"]).tzinfo is not None


def test_rules_json_holds_json_values_not_python_reprs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["monitoring", "rules", "--json"]) == 0
    out = capsys.readouterr().out
    for repr_fragment in ("frozenset(", "<Outcome", "day,", "Severity."):
        assert repr_fragment not in out
    rules = {rule["id"]: rule for rule in json.loads(out)}
    failed = rules["failed-retrievals"]
    assert failed["kind"] == "Count"
    assert failed["window"] == "PT5M"
    assert failed["matches"][0]["actions"] == ["get", "get_many"]
    assert failed["matches"][0]["outcomes"] == ["error"]
    assert rules["rotation-overdue"]["max_age"] == "P90D"


def test_cloudwatch_snippet_is_the_template_s(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["monitoring", "cloudwatch"]) == 0
    snippet = json.loads(capsys.readouterr().out)["Resources"]
    template = yaml.safe_load(CLOUDFORMATION.read_text())["Resources"]
    assert snippet == {key: template[key] for key in snippet}
    assert len(snippet) == 2 * len(CLOUDTRAIL_ALARMS)


def test_cloudwatch_api_requests(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--format", "json", "--log-group", "/trail", "--topic-arn", "arn:aws:sns:x"]
    assert main(["monitoring", "cloudwatch", *args]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == api_requests(log_group_name="/trail", topic_arn="arn:aws:sns:x")
    assert {alarm["AlarmName"] for alarm in printed["alarms"]} >= {
        "secrets-adapter-failed-retrievals",
        "secrets-adapter-unauthorized-use",
        "secrets-adapter-rotation-failure",
    }


def test_rules_listing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["monitoring", "rules"]) == 0
    out = capsys.readouterr().out
    for rule in ("failed-retrievals", "unauthorized-use", "rotation-failure", "rotation-overdue"):
        assert rule in out
    assert ">= 11 in 0:05:00" in out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch_when_up(url: str) -> tuple[int, str, str]:
    ready = threading.Event()
    for _ in range(200):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local test URL
                return response.status, response.headers["Content-Type"], response.read().decode()
        except urllib.error.URLError:
            ready.wait(0.05)  # the server thread is still binding
    raise AssertionError("metrics server never came up")


def test_metrics_serve_on_loopback(gaara_adapter: SecretsAdapter) -> None:
    port = free_port()
    gaara_adapter.get_secret_value("jwt-secret-key")  # before subscribing: not counted
    thread = threading.Thread(
        target=run_with,
        args=(
            gaara_adapter,
            ["metrics", "serve", "--no-auth", "--port", str(port), "--requests", "1"],
        ),
        daemon=True,
    )
    thread.start()
    status, content_type, text = fetch_when_up(f"http://127.0.0.1:{port}/metrics")
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert status == 200 and content_type.startswith("text/plain")
    ages = {
        sample.labels["secret"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "secrets_adapter_seconds_since_last_rotation"
        for sample in family.samples
    }
    assert set(ages) == {
        "gaara/prod/jwt-secret-key",
        "gaara/prod/database-url",
        "gaara/prod/stripe-api-key",
    }
    assert ages["gaara/prod/jwt-secret-key"] > ages["gaara/prod/database-url"] > 0
    assert SENTINEL not in text


def test_metrics_and_status_agree_on_the_last_rotation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A value put after the last rotation is no rotation: both read the engine's tag."""
    rotated = utcnow() - timedelta(days=200)
    provider = InMemoryProvider()
    provider.put("gaara/prod/jwt-secret-key", SecretValue(SENTINEL))
    provider.set_tags("gaara/prod/jwt-secret-key", {TAG_LAST_ROTATED: rotated.isoformat()})
    adapter = SecretsAdapter(provider=provider, prefix="gaara/prod")
    port = free_port()
    thread = threading.Thread(
        target=run_with,
        args=(adapter, ["metrics", "serve", "--no-auth", "--port", str(port), "--requests", "1"]),
        daemon=True,
    )
    thread.start()
    _, _, text = fetch_when_up(f"http://127.0.0.1:{port}/metrics")
    thread.join(timeout=10)
    (age,) = (
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "secrets_adapter_seconds_since_last_rotation"
        for sample in family.samples
    )
    assert timedelta(days=200) <= timedelta(seconds=age) < timedelta(days=201)
    run_with(adapter, ["status", "--json"])
    (row,) = json.loads(capsys.readouterr().out)
    assert row["last_rotation"] == rotated.isoformat()  # ISO 8601, like every other time


def test_cloudwatch_terraform_is_the_committed_file(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.deploy.paths import TERRAFORM

    assert main(["monitoring", "cloudwatch", "--format", "terraform"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((TERRAFORM / "alarms.tf.json").read_text())


def _status_of(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - local test URL
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def test_metrics_serve_wants_the_bearer_token_and_refuses_proxied_requests(
    gaara_adapter: SecretsAdapter, tmp_path: Path
) -> None:
    token_file = tmp_path / "metrics.token"
    token_file.write_text("s3cr3t-scraper-token\n")
    port = free_port()
    argv = ["metrics", "serve", "--token-file", str(token_file), "--port", str(port)]
    thread = threading.Thread(
        target=run_with, args=(gaara_adapter, [*argv, "--requests", "6"]), daemon=True
    )  # six requests: the readiness probe below is one
    thread.start()
    url = f"http://127.0.0.1:{port}/metrics"
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            threading.Event().wait(0.05)
    right = {"Authorization": "Bearer s3cr3t-scraper-token"}
    assert _status_of(url, {}) == 401
    assert _status_of(url, {"Authorization": "Bearer s3cr3t-scraper-tokem"}) == 401
    assert _status_of(url, {"Authorization": "Basic s3cr3t-scraper-token"}) == 401
    assert _status_of(url, {**right, "X-Forwarded-For": "203.0.113.9"}) == 403
    assert _status_of(url, right) == 200
    thread.join(timeout=10)
    assert not thread.is_alive()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["metrics", "serve"], "needs a bearer token"),
        (["metrics", "serve", "--no-auth", "--host", "0.0.0.0"], "only on a loopback"),  # noqa: S104
        (["metrics", "serve", "--token-file", "/nonexistent/token"], "Cannot read the token file"),
    ],
)
def test_metrics_serve_without_a_usable_token_does_not_start(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRETS_ADAPTER_METRICS_TOKEN", raising=False)
    assert main(argv) == 2
    assert said in capsys.readouterr().err
