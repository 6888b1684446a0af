"""Benchmark: memory of secrets-adapter's cache against the peers, over a real HTTP backend.

Starts ``moto_server`` on a free 127.0.0.1 port, seeds the Gaara Store's eight secrets and 500
secrets of 1 KiB (``--secrets N`` for another count), then runs every reader in its own fresh
Python process, twice: once under ``tracemalloc`` and once measuring RSS only (tracing inflates
RSS). It reports:

1. import footprint: what importing the library adds to a process that already has boto3 and one
   warm client (the same for every reader), and what its first read costs once (one-time set-up
   plus one cached secret);
2. bytes retained per cached secret (``tracemalloc``), for the Gaara secrets and for the
   1 KiB secrets, as ratios to a plain ``dict`` of name -> value (the floor) and to this cache;
3. the process's resident memory over the boto3 baseline once it holds every secret.

Readers: ``SecretCache`` over ``AwsSecretsManagerProvider``; the ``SecretsAdapter`` around it
(``get_secret_value``); ``aws-secretsmanager-caching``'s ``SecretCache``; Powertools'
``SecretsProvider``; the dict floor, filled from the same client. Retained = traced (or resident)
memory after ``gc.collect()`` minus before, so the transient garbage of each HTTP call does not
count; a second pass then checks that every secret is still served without a backend call.
Every process is run ``MEMORY_BENCH_RUNS`` times (3 by default); each figure is the median over
the runs, with the min to max of the B/secret and KiB figures. Not a test: ``make bench`` runs it
after ``cache_bench.py`` (about a minute). It stops its server.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

# The child process imports nothing else of ours at module level: what it imports is measured.

RUNS = int(os.environ.get("MEMORY_BENCH_RUNS", "3"))
BULK_COUNT = 500  # --secrets N for more: the per-secret figures hardly move (README)
BULK_SIZE = 1024
WARM_NAME = "bench/warm-up"
TTL = 300
READERS = {
    "dict": "dict name -> value (floor)",
    "cache": "secrets-adapter SecretCache",
    "adapter": "secrets-adapter SecretsAdapter",
    "aws": "aws-secretsmanager-caching",
    "powertools": "Powertools SecretsProvider",
}


def bulk_names(count: int) -> list[str]:
    return [f"bench/bulk/{index:04d}" for index in range(count)]


def bulk_value(index: int) -> str:
    """1 KiB of text, different for every secret so that nothing can share it."""
    rng = random.Random(index)
    head = f"{index:04d}:"
    return head + "".join(
        rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=BULK_SIZE - len(head))
    )


def seed_all(endpoint: str, count: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from cache_bench import make_client, seed

    seed(endpoint)
    names = bulk_names(count)
    client, _ = make_client(endpoint)
    client.create_secret(Name=WARM_NAME, SecretString="warm-up")
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda i: client.create_secret(Name=names[i], SecretString=bulk_value(i)),
                range(count),
            )
        )


# --- the child: one reader in a fresh process ----------------------------------------------------


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _memory(mode: str) -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0] if mode == "trace" else _rss()


def _reader(kind: str, client: Any) -> Callable[[str], object]:
    """Imports the library (the import is what is measured) and builds its cached reader."""
    if kind == "dict":
        floor: dict[str, str] = {}

        def read_floor(name: str) -> str:
            value = floor.get(name)
            if value is None:
                value = floor[name] = client.get_secret_value(SecretId=name)["SecretString"]
            return value

        return read_floor
    if kind == "cache":
        from secrets_adapter.cache import SecretCache
        from secrets_adapter.providers.aws import AwsSecretsManagerProvider

        return SecretCache(AwsSecretsManagerProvider(client), ttl=TTL).get
    if kind == "adapter":
        from secrets_adapter import SecretsAdapter
        from secrets_adapter.providers.aws import AwsSecretsManagerProvider

        adapter = SecretsAdapter(provider=AwsSecretsManagerProvider(client), cache_ttl=TTL)
        return adapter.get_secret_value
    if kind == "aws":
        from aws_secretsmanager_caching import SecretCache as AwsSecretCache
        from aws_secretsmanager_caching import SecretCacheConfig

        cache = AwsSecretCache(SecretCacheConfig(secret_refresh_interval=TTL), client=client)
        read_string: Callable[[str], object] = cache.get_secret_string
        return read_string
    if kind == "powertools":
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        provider = SecretsProvider(boto3_client=client)
        return lambda name: provider.get(name, max_age=TTL)
    raise ValueError(kind)


def child(kind: str, mode: str, endpoint: str, count: int, gaara: Sequence[str]) -> dict[str, int]:
    if mode == "trace":
        tracemalloc.start()
    start = _memory(mode)
    import boto3  # the shared baseline: every reader needs boto3 and a client
    from botocore.config import Config

    client = boto3.client(
        "secretsmanager",
        endpoint_url=endpoint,
        config=Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1}),
    )
    calls = [0]

    def tally(**_: object) -> None:
        calls[0] += 1

    client.meta.events.register("before-call.secrets-manager", tally)
    client.get_secret_value(SecretId=WARM_NAME)  # botocore's lazy loading, paid by everyone
    baseline = _memory(mode)
    bulk_secrets = bulk_names(count)
    read = _reader(kind, client)
    imported = _memory(mode)
    read(WARM_NAME)
    warm = _memory(mode)
    for name in gaara:
        read(name)
    nine = _memory(mode)
    for name in bulk_secrets:
        read(name)
    bulk = _memory(mode)
    first_pass = calls[0] - 1
    for name in [WARM_NAME, *gaara, *bulk_secrets]:
        read(name)
    return {
        "boto3": baseline - start,
        "import": imported - baseline,
        "first_read": warm - imported,
        "nine": nine - warm,
        "bulk": bulk - nine,
        "calls": first_pass,
        "second_pass_calls": calls[0] - 1 - first_pass,
    }


# --- the parent ----------------------------------------------------------------------------------


def run_child(
    kind: str, mode: str, endpoint: str, count: int, gaara: Sequence[str]
) -> dict[str, int]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, mode, endpoint, str(count), *gaara],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ,
    ).stdout
    result: dict[str, int] = json.loads(output.splitlines()[-1])
    return result


Results = dict[str, dict[str, dict[str, int]]]  # reader -> "trace"/"rss" -> figure -> bytes


def kib(value: float) -> str:
    return f"{value / 1024:,.0f}"


def median_of(runs: Sequence[Results]) -> Results:
    """Each figure's median over the runs."""
    import statistics  # the parent's alone: a child's imports are what it measures

    first = runs[0]
    return {
        kind: {
            mode: {
                field: int(statistics.median(run[kind][mode][field] for run in runs))
                for field in first[kind][mode]
            }
            for mode in first[kind]
        }
        for kind in first
    }


def spread(values: Sequence[float], show: Callable[[float], str]) -> str:
    """The median and, when the runs differ, [min to max]."""
    import statistics

    middle = show(statistics.median(values))
    low, high = show(min(values)), show(max(values))
    return middle if low == high else f"{middle} [{low} to {high}]"


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base > 0 else "-"


def holding(results: Results, kind: str) -> int:
    rss = results[kind]["rss"]
    return rss["import"] + rss["first_read"] + rss["nine"] + rss["bulk"]


def process_rss_rows(runs: Sequence[Results]) -> list[list[str]]:
    """Resident memory is what the host pays; per secret it is blurred by the allocator reusing
    memory that imports freed, so it is reported for the whole process."""
    middle = median_of(runs)
    return [
        [
            label,
            spread([run[kind]["rss"]["import"] for run in runs], kib),
            spread([holding(run, kind) for run in runs], kib),
            ratio(holding(middle, kind), holding(middle, "dict")),
            ratio(holding(middle, kind), holding(middle, "cache")),
        ]
        for kind, label in READERS.items()
    ]


def per_secret_rows(runs: Sequence[Results], mode: str, field: str, count: int) -> list[list[str]]:
    middle = median_of(runs)
    floor = middle["dict"][mode][field] / count
    ours = middle["cache"][mode][field] / count
    rows = []
    for kind, label in READERS.items():
        per = middle[kind][mode][field] / count
        rows.append(
            [
                label,
                spread([run[kind][mode][field] / count for run in runs], "{:,.0f}".format),
                f"{per - floor:+,.0f}",
                ratio(per, floor),
                ratio(per, ours),
            ]
        )
    return rows


def main(count: int) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from cache_bench import NAMES, PREFIX, moto_server, table

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "bench")
    began = time.monotonic()
    runs: list[Results] = []
    with moto_server() as server:
        seed_all(server.endpoint, count)
        seeded = time.monotonic() - began
        print(
            f"moto_server at {server.endpoint}; seeded {len(NAMES)} Gaara secrets under {PREFIX} "
            f"and {count} of {BULK_SIZE} B in {seeded:.0f} s"
        )
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {RUNS} runs\n")
        jobs = [(kind, mode) for mode in ("trace", "rss") for kind in READERS]
        for _ in range(RUNS):
            run: Results = {kind: {} for kind in READERS}
            with ThreadPoolExecutor(2) as pool:
                done = pool.map(
                    lambda job: run_child(job[0], job[1], server.endpoint, count, NAMES), jobs
                )
                for (kind, mode), result in zip(jobs, done, strict=True):
                    run[kind][mode] = result
            runs.append(run)
    for kind, label in READERS.items():
        if any(r[kind][mode]["second_pass_calls"] for r in runs for mode in ("trace", "rss")):
            print(f"WARNING: {label} called the backend on the second pass (evicted something)")
    results = median_of(runs)

    print("## 1. Import footprint (fresh process that already has boto3 and one warm client)\n")
    base = results["dict"]
    print(
        f"boto3 + one client + one call, shared by every reader: "
        f"{kib(base['trace']['boto3'])} KiB traced, {kib(base['rss']['boto3'])} KiB RSS\n"
    )
    print(
        table(
            [
                "reader",
                "import KiB (traced)",
                "import KiB (RSS)",
                "first read, one-time B (traced)",
                "backend calls",
            ],
            [
                [
                    label,
                    spread([r[kind]["trace"]["import"] for r in runs], kib),
                    spread([r[kind]["rss"]["import"] for r in runs], kib),
                    spread([r[kind]["trace"]["first_read"] for r in runs], "{:,.0f}".format),
                    str(results[kind]["trace"]["calls"]),
                ]
                for kind, label in READERS.items()
            ],
        )
    )
    headers: Sequence[str] = ["reader", "B/secret", "over floor", "x dict", "x SecretCache"]
    print("\n## 2. Retained per secret: the Gaara secrets (tracemalloc)\n")
    print(table(headers, per_secret_rows(runs, "trace", "nine", len(NAMES))))
    print(f"\n## 3. Retained per secret: {count} secrets of {BULK_SIZE} B (tracemalloc)\n")
    print(table(headers, per_secret_rows(runs, "trace", "bulk", count)))
    print(
        f"\n## 4. Process RSS over the boto3 baseline, holding all {count + len(NAMES) + 1} "
        "secrets (import included)\n"
    )
    print(
        table(
            ["reader", "after import KiB", "holding all KiB", "x dict", "x SecretCache"],
            process_rss_rows(runs),
        )
    )
    print(f"\n(total {time.monotonic() - began:.0f} s; moto_server stopped)")
    return 0


if __name__ == "__main__":
    if "--child" in sys.argv:
        _, _, kind_arg, mode_arg, endpoint_arg, count_arg, *gaara_args = sys.argv
        print(json.dumps(child(kind_arg, mode_arg, endpoint_arg, int(count_arg), gaara_args)))
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--secrets", type=int, default=BULK_COUNT, help="how many 1 KiB secrets")
    raise SystemExit(main(parser.parse_args().secrets))
