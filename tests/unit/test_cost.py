"""The cost estimate, against numbers worked out by hand from the price file."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from secrets_adapter.cli.main import main
from secrets_adapter.cost import Prices, Workload, estimate, load_prices, max_instances_within

MONTH = 2_592_000  # 30 days


@pytest.fixture
def prices() -> Prices:
    return load_prices()


def gaara(**changes: object) -> Workload:
    base = Workload(secrets=9, requests_per_second=10, ttl=timedelta(seconds=300), instances=3)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_price_file_is_dated_and_holds_the_published_prices(prices: Prices) -> None:
    assert prices.as_of[:4].isdigit() and prices.as_of[4] == "-"
    assert prices.secret_month == 0.40
    assert prices.api_calls_10k == 0.05
    assert prices.seconds_per_month == MONTH


def test_no_cache_reads_every_secret_on_every_request(prices: Prices) -> None:
    no_cache = estimate(gaara(), prices)[0]
    # 10 req/s * 9 secrets * 2,592,000 s = 233,280,000 calls
    assert no_cache.api_calls == 233_280_000
    # 9 * $0.40 + 23,328 * $0.05 = $3.60 + $1,166.40
    assert no_cache.secrets_manager == pytest.approx(1170.00)
    # $1 key + (233,280,000 - 20,000 free) / 10,000 * $0.03 = $1 + $699.78
    assert no_cache.kms == pytest.approx(700.78)
    # (233,280,000 + 233,280,000) events * 1.5 KB = 699.84 GB * ($0.50 + $0.023)
    assert no_cache.cloudtrail == pytest.approx(366.01632)
    assert no_cache.alarms == pytest.approx(0.40)
    assert no_cache.total == pytest.approx(2237.19632)


def test_ttl_cache_makes_one_call_per_secret_per_ttl_per_instance(prices: Prices) -> None:
    cached = estimate(gaara(), prices)[1]
    # 3 instances * 9 secrets * (2,592,000 / 300 = 8,640) = 233,280
    assert cached.api_calls == 233_280
    assert cached.secrets_manager == pytest.approx(3.60 + 23.328 * 0.05)
    assert cached.kms == pytest.approx(1.00 + 21.328 * 0.03)


def test_batch_loading_makes_one_call_per_twenty_secrets(prices: Prices) -> None:
    batched = estimate(gaara(), prices)[2]
    # 3 instances * 1 batch * 8,640 refreshes = 25,920 calls; KMS still decrypts all 233,280
    assert batched.api_calls == 25_920
    assert batched.secrets_retrieved == 233_280
    assert batched.secrets_manager == pytest.approx(3.60 + 2.592 * 0.05)
    assert 5.0 <= batched.total <= 10.0, "the design's $5-10/month holds with cache and batch"
    assert estimate(gaara(secrets=21), prices)[2].api_calls == 3 * 2 * 8_640


def test_longer_ttl_lowers_the_bill_and_cache_never_exceeds_traffic(prices: Prices) -> None:
    short = estimate(gaara(ttl=timedelta(seconds=60)), prices)[1]
    long = estimate(gaara(ttl=timedelta(seconds=3600)), prices)[1]
    assert short.api_calls == 3 * 9 * 43_200
    assert long.api_calls == 3 * 9 * 720
    assert long.total < short.total
    idle = estimate(gaara(requests_per_second=0.001), prices)
    # 0.001 * 9 * 2,592,000 = 23,328 calls without a cache; the cache cannot call more.
    assert idle[0].api_calls == 23_328
    assert idle[1].api_calls == 23_328


def test_kms_free_tier_covers_small_workloads(prices: Prices) -> None:
    tiny = estimate(gaara(requests_per_second=0.0001, instances=1), prices)[1]
    assert tiny.secrets_retrieved < prices.kms_free_requests
    assert tiny.kms == pytest.approx(1.00)


def test_instances_within_budget(prices: Prices) -> None:
    affordable = max_instances_within(10.0, gaara(), prices)
    assert estimate(gaara(instances=affordable), prices)[2].total <= 10.0
    assert estimate(gaara(instances=affordable + 1), prices)[2].total > 10.0


@pytest.mark.parametrize(
    "changes",
    [{"secrets": 0}, {"instances": 0}, {"ttl": timedelta(0)}, {"requests_per_second": -1}],
)
def test_nonsense_workloads_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        gaara(**changes)


def test_cli_prints_the_three_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["cost", "--secrets", "9", "--requests-per-second", "10", "--ttl", "300"]
    assert main([*argv, "--instances", "3"]) == 0
    out = capsys.readouterr().out
    assert "as of" in out
    assert "233,280,000" in out and "$2,237.20" in out
    assert "25,920" in out and "$5.97" in out


def test_cli_json_and_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--requests-per-second", "10", "--instances", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [row["api_calls"] for row in data["scenarios"]] == [233_280_000, 233_280, 25_920]
    assert data["max_instances_within_budget"] >= 3
    assert main(["cost", "--requests-per-second", "-1"]) == 2
