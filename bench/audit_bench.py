"""Benchmark: what audit and policy add to a cached read, against the unaudited hit and the peers.

All reads are hot cache hits over ``InMemoryProvider`` (the backend never answers during the
timed loops), so what is measured is the adapter's own cost per read:

- unaudited cached hit (the floor this feature adds to; a ``dict`` lookup is shown too);
- policy only (pure evaluation of a 12-statement TOML policy before every read);
- an ``EventBus`` listener that does nothing (the cost of building the access event);
- audit, buffered (records queued; a writer thread appends them with fsync every 200 ms);
- audit, durable without fsync, and durable with fsync (the record is on disk before the value
  is returned), single-threaded and with 8 threads sharing the log (group commit);
- audit buffered + policy: the full production stack.

Peers, same hot-hit loop, both unaudited: ``aws-secretsmanager-caching``'s ``SecretCache`` and
Powertools' ``SecretsProvider`` (each over a stub client that answers the first call only).
Not a test: ``.venv/bin/python bench/audit_bench.py`` (about 30 s). Files go to a temp dir on the
same disk as the checkout (``$AUDIT_BENCH_DIR`` to choose).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_secretsmanager_caching import SecretCache as AwsSecretCache

from secrets_adapter import SecretsAdapter
from secrets_adapter.audit import AuditTrail, JsonlFileSink, verify_log
from secrets_adapter.integrations.flask import GAARA_STORE_SECRETS
from secrets_adapter.policy import evaluate, parse_policy
from secrets_adapter.testing import InMemoryProvider

NAMES = ["gaara/prod/" + name for name in GAARA_STORE_SECRETS]
TIME_BUDGET = 1.0  # seconds per measurement
THREADS = 8

# A realistic policy: a dozen statements, the allow for "api" near the end, one explicit deny.
POLICY = parse_policy(
    {
        "statement": [
            *(
                {
                    "effect": "allow",
                    "principals": [f"service-{n}"],
                    "actions": ["read"],
                    "secrets": [f"gaara/prod/service-{n}/*"],
                }
                for n in range(10)
            ),
            {
                "effect": "deny",
                "principals": ["*"],
                "actions": ["*"],
                "secrets": ["gaara/prod/admin/*"],
            },
            {
                "effect": "allow",
                "principals": ["api"],
                "actions": ["read", "describe"],
                "secrets": ["gaara/prod/*"],
            },
        ]
    }
)


def per_call_ns(call: Callable[[], object], budget: float = TIME_BUDGET) -> float:
    """Median of five timed runs, each sized to take about ``budget / 5``; ns per call."""
    loops = 1
    while True:
        started = time.perf_counter()
        for _ in range(loops):
            call()
        elapsed = time.perf_counter() - started
        if elapsed > budget / 50:
            break
        loops *= 4
    loops = max(1, int(loops * (budget / 5) / max(elapsed, 1e-9)))
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(loops):
            call()
        runs.append((time.perf_counter() - started) / loops)
    return statistics.median(runs) * 1e9


def threaded_per_read_ns(read: Callable[[], object], threads: int, budget: float) -> float:
    """Wall time per read with ``threads`` readers running for ``budget`` seconds."""
    counts = [0] * threads
    stop = threading.Event()
    start = threading.Barrier(threads + 1)

    def reader(slot: int) -> None:
        start.wait()
        done = 0
        while not stop.is_set():
            read()
            done += 1
        counts[slot] = done

    workers = [threading.Thread(target=reader, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(budget)
    stop.set()
    for worker in workers:
        worker.join()
    return (time.perf_counter() - began) / max(1, sum(counts)) * 1e9


class StubSecretsManagerClient:
    """Answers GetSecretValue/DescribeSecret like Secrets Manager, for the peers' first read."""

    def get_secret_value(self, SecretId: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        return {
            "Name": SecretId,
            "SecretString": f"made-up-value-for-{SecretId}",
            "VersionId": "v1",
            "VersionStages": ["AWSCURRENT"],
        }

    def describe_secret(self, SecretId: str) -> dict[str, Any]:  # noqa: N803
        return {"Name": SecretId, "VersionIdsToStages": {"v1": ["AWSCURRENT"]}}


def seeded_provider() -> InMemoryProvider:
    return InMemoryProvider({name: f"made-up-value-for-{name}" for name in NAMES})


def round_robin(read: Callable[[str], object]) -> Callable[[], object]:
    names = NAMES
    state = [0]

    def call() -> object:
        index = state[0] = (state[0] + 1) % len(names)
        return read(names[index])

    return call


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="audit-bench-", dir=os.environ.get("AUDIT_BENCH_DIR")))
    results: list[tuple[str, float]] = []
    adapters: list[SecretsAdapter] = []

    def adapter(**options: Any) -> SecretsAdapter:
        made = SecretsAdapter(provider=seeded_provider(), principal="api", **options)
        for name in NAMES:
            made.get_secret_value(name)  # warm the cache
        adapters.append(made)
        return made

    def measure(label: str, read: Callable[[str], object]) -> None:
        results.append((label, per_call_ns(round_robin(read))))
        print(f"  measured {label}", flush=True)

    floor: dict[str, str] = {name: "v" for name in NAMES}
    measure("dict lookup (floor)", floor.__getitem__)
    measure("unaudited cached hit", adapter().get_secret_value)
    measure("policy only", adapter(policy=POLICY).get_secret_value)
    measure(
        "no-op event listener",
        adapter(listeners=[lambda event: None]).get_secret_value,
    )

    def trail(name: str, mode: str, fsync: bool) -> AuditTrail:
        return AuditTrail(JsonlFileSink(workdir / f"{name}.jsonl", fsync=fsync), mode=mode)

    measure(
        "audit buffered",
        adapter(audit_log=trail("buffered", "buffered", True)).get_secret_value,
    )
    measure(
        "audit durable, no fsync",
        adapter(audit_log=trail("durable-nofsync", "durable", False)).get_secret_value,
    )
    durable = adapter(audit_log=trail("durable", "durable", True))
    measure("audit durable + fsync", durable.get_secret_value)
    results.append(
        (
            f"audit durable + fsync, {THREADS} threads",
            threaded_per_read_ns(round_robin(durable.get_secret_value), THREADS, TIME_BUDGET),
        )
    )
    print(f"  measured durable with {THREADS} threads", flush=True)
    measure(
        "audit buffered + policy",
        adapter(audit_log=trail("full", "buffered", True), policy=POLICY).get_secret_value,
    )

    evaluation = round_robin(
        lambda name: evaluate(POLICY, principal="api", action="read", secret=name)
    )
    results.append(("policy evaluation alone", per_call_ns(evaluation)))

    aws_cache = AwsSecretCache(client=StubSecretsManagerClient())
    measure("peer: aws-secretsmanager-caching hit", aws_cache.get_secret_string)
    powertools = SecretsProvider(boto3_client=StubSecretsManagerClient())
    measure("peer: Powertools SecretsProvider hit", lambda name: powertools.get(name, max_age=300))

    for made in adapters:
        made.close()
    for log in sorted(workdir.glob("*.jsonl")):
        report = verify_log(log)
        assert report.ok, (log, report.problem)

    baseline = dict(results)["unaudited cached hit"]
    print()
    print(f"{'per read':<42} {'ns':>10} {'vs unaudited hit':>18}")
    for label, nanoseconds in results:
        print(f"{label:<42} {nanoseconds:>10,.0f} {nanoseconds / baseline:>17.1f}x")
    print(f"\n(logs verified; in {workdir})")


if __name__ == "__main__":
    main()
