"""Benchmark: what audit and policy cost a cached read, as ratios to a dict lookup in the same run.

Every figure is the median of ``RUNS`` rounds (default 5, ``$AUDIT_BENCH_RUNS``) with the
min-max beside it; each round measures every configuration once, interleaved, so all share the
machine's conditions. Reads are hot cache hits over ``InMemoryProvider`` (the eight Gaara names,
round-robin, tight loop, no sleep) unless said otherwise.

- the floor: a ``dict`` lookup; the unaudited cached ``get_secret_value``; + policy (12
  statements);
- + buffered audit + policy, two ways: what the read path itself pays (bursts of ``BURST`` reads
  while the writer waits, then a flush outside the timing) and sustained (the writer formatting,
  hashing and writing in the same process meanwhile: what a process that does nothing but read
  pays per read);
- + durable audit + policy (fsync before the value is returned): one thread, i.e. one fsync per
  read, against ``THREADS`` threads sharing writes (group commit), with ``MANY_THREADS`` beside
  it; a single thread's per-read latency beside an uncached read of the embedded store;
- the record: bytes per line (Gaara names, uuid version ids), with and without a fingerprint key;
- ``audit verify`` in-process (records/s over ``VERIFY_RECORDS`` records), and the CLI's fixed
  start-up cost (``secrets-adapter audit verify`` of a one-record log) apart from it;
- peers, unaudited hits: ``aws-secretsmanager-caching`` and Powertools.

Not a test: ``.venv/bin/python bench/audit_bench.py`` (about two minutes). Logs go to a temporary
folder on the checkout's disk (``$AUDIT_BENCH_DIR`` to choose): fsync costs what that disk costs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_secretsmanager_caching import SecretCache as AwsSecretCache

from secrets_adapter import SecretsAdapter
from secrets_adapter.audit import AuditTrail, JsonlFileSink, verify_log
from secrets_adapter.audit.lines import AccessLineFormatter
from secrets_adapter.events import CacheResult, Outcome
from secrets_adapter.integrations.flask import GAARA_STORE_SECRETS
from secrets_adapter.localstore import init_store
from secrets_adapter.policy import parse_policy
from secrets_adapter.testing import InMemoryProvider

NAMES = ["gaara/prod/" + name for name in GAARA_STORE_SECRETS]
RUNS = int(os.environ.get("AUDIT_BENCH_RUNS", "5"))
LOOPS = 20_000  # reads per timed loop
BURST = 2_000  # reads per burst (the writer waits meanwhile)
THREADS = 8
MANY_THREADS = 64
THREAD_SECONDS = 1.0
DURABLE_LABELS = {
    1: "durable + policy, 1 thread (one fsync per read)",
    THREADS: f"durable + policy, {THREADS} threads",
    MANY_THREADS: f"durable + policy, {MANY_THREADS} threads",
}
DISK = "the disk: write + fsync of one line, no library"
VERIFY_RECORDS = 200_000
VERSION_ID = "3f2a9c1e-5d4b-4c2a-9e8f-0a1b2c3d4e5f"  # the shape of the local store's and AWS's

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

Samples = dict[str, list[float]]


def round_robin(read: Callable[[str], object]) -> Callable[[int], None]:
    """``loops`` reads cycling over the Gaara names."""
    names = NAMES

    def run(loops: int) -> None:
        for index in range(loops):
            read(names[index % len(names)])

    return run


def per_call_ns(run: Callable[[int], None], loops: int = LOOPS) -> float:
    started = time.perf_counter()
    run(loops)
    return (time.perf_counter() - started) / loops * 1e9


def burst_ns(run: Callable[[int], None], trail: AuditTrail) -> float:
    """The read path's own cost: reads timed while the writer waits, flushed afterwards."""
    total = 0.0
    for _ in range(LOOPS // BURST):
        started = time.perf_counter()
        run(BURST)
        total += time.perf_counter() - started
        trail.flush(timedelta(seconds=30))
    return total / (LOOPS // BURST * BURST) * 1e9


def reads_per_second(read: Callable[[str], object], threads: int) -> float:
    counts = [0] * threads
    stop = threading.Event()
    start = threading.Barrier(threads + 1)

    def reader(slot: int) -> None:
        start.wait()
        done = 0
        while not stop.is_set():
            read(NAMES[done % len(NAMES)])
            done += 1
        counts[slot] = done

    workers = [threading.Thread(target=reader, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(THREAD_SECONDS)
    stop.set()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.perf_counter() - began)


def disk_fsyncs_per_second(path: Path) -> float:
    """The disk's own rate, no library: one write of a 390-byte line and one fsync at a time."""
    line = b"x" * 389 + b"\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    done = 0
    began = time.perf_counter()
    try:
        while time.perf_counter() - began < THREAD_SECONDS:
            os.write(descriptor, line)
            os.fsync(descriptor)
            done += 1
    finally:
        os.close(descriptor)
    return done / (time.perf_counter() - began)


class StubSecretsManagerClient:
    """Answers GetSecretValue/DescribeSecret like Secrets Manager, for the peers' first read."""

    def get_secret_value(self, SecretId: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        return {
            "Name": SecretId,
            "SecretString": f"made-up-value-for-{SecretId}",
            "VersionId": VERSION_ID,
            "VersionStages": ["AWSCURRENT"],
        }

    def describe_secret(self, SecretId: str) -> dict[str, Any]:  # noqa: N803
        return {"Name": SecretId, "VersionIdsToStages": {VERSION_ID: ["AWSCURRENT"]}}


class CountingSink:
    """A file sink that counts its writes (each one write and one fsync) and their records."""

    def __init__(self, path: Path) -> None:
        self._sink = JsonlFileSink(path)
        self.writes = 0
        self.records = 0

    def append(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        self._sink.append(bodies)
        self.writes += 1
        self.records += len(bodies)

    def close(self) -> None:
        self._sink.close()


def seeded_provider() -> InMemoryProvider:
    return InMemoryProvider({name: f"made-up-value-for-{name}" for name in NAMES})


def line_sizes(log: Path, *, hits_only: bool = False) -> list[int]:
    with log.open("rb") as handle:
        return [len(line) for line in handle if not hits_only or b'"cache":"hit"' in line]


def write_verify_log(log: Path) -> None:
    formatter = AccessLineFormatter()
    sink = JsonlFileSink(log, fsync=False, max_bytes=1 << 40)
    batch = 10_000
    for start in range(0, VERIFY_RECORDS, batch):
        fields = [
            (time.time(), "get", NAMES[i % len(NAMES)], "local", "api", Outcome.SUCCESS, VERSION_ID)
            for i in range(start, start + batch)
        ]
        sink.append(
            [
                formatter.format((*f, "current", CacheResult.HIT, None, None, 0.0, None))
                for f in fields
            ]
        )


def cli_seconds(log: Path) -> float:
    command = [str(Path(sys.executable).with_name("secrets-adapter")), "audit", "verify", str(log)]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - started


def main() -> None:  # noqa: PLR0915 - one benchmark, read top to bottom
    workdir = Path(tempfile.mkdtemp(prefix="audit-bench-", dir=os.environ.get("AUDIT_BENCH_DIR")))
    os.chmod(workdir, 0o700)
    adapters: list[SecretsAdapter] = []

    def adapter(**options: Any) -> SecretsAdapter:
        made = SecretsAdapter(provider=seeded_provider(), principal="api", **options)
        for name in NAMES:
            made.get_secret_value(name)  # warm the cache
        adapters.append(made)
        return made

    def trail(name: str, mode: str, **options: Any) -> AuditTrail:
        return AuditTrail(JsonlFileSink(workdir / f"{name}.jsonl"), mode=mode, **options)

    floor: dict[str, str] = dict.fromkeys(NAMES, "v")
    plain = adapter()
    policy_only = adapter(policy=POLICY)
    quiet = trail("burst", "buffered", flush_interval=timedelta(hours=1), batch_size=10**6)
    burst = adapter(audit_log=quiet, policy=POLICY)
    sustained = adapter(audit_log=trail("sustained", "buffered"), policy=POLICY)
    fingerprinted = trail(
        "fingerprinted", "buffered", fingerprint_key=b"bench-fingerprint-key-0123"
    )
    keyed = adapter(audit_log=fingerprinted)
    durable_sink = CountingSink(workdir / "durable.jsonl")
    durable = adapter(audit_log=AuditTrail(durable_sink, mode="durable"), policy=POLICY)
    aws_cache = AwsSecretCache(client=StubSecretsManagerClient())
    powertools = SecretsProvider(boto3_client=StubSecretsManagerClient())  # type: ignore[arg-type]
    store = workdir / "store"
    init_store(store)
    uncached = SecretsAdapter(backend="local", path=store, cache=False, principal="api")
    for name in NAMES:
        uncached.put_secret(name, f"made-up-value-for-{name}")
    adapters.append(uncached)

    timed: Samples = {}
    rates: Samples = {}
    per_write: Samples = {}

    def add(samples: Samples, label: str, value: float) -> None:
        samples.setdefault(label, []).append(value)

    for number in range(RUNS):
        add(timed, "dict lookup (the floor)", per_call_ns(round_robin(floor.__getitem__)))
        add(timed, "cached get_secret_value", per_call_ns(round_robin(plain.get_secret_value)))
        add(timed, "+ policy", per_call_ns(round_robin(policy_only.get_secret_value)))
        add(
            timed,
            "+ buffered audit + policy: read path",
            burst_ns(round_robin(burst.get_secret_value), quiet),
        )
        add(
            timed,
            "+ buffered audit + policy: sustained",
            per_call_ns(round_robin(sustained.get_secret_value)),
        )
        add(
            timed,
            "peer: aws-secretsmanager-caching hit",
            per_call_ns(round_robin(aws_cache.get_secret_string)),
        )
        add(
            timed,
            "peer: Powertools SecretsProvider hit",
            per_call_ns(round_robin(lambda name: powertools.get(name, max_age=300))),
        )
        add(
            timed,
            "uncached read, embedded store",
            per_call_ns(round_robin(uncached.get_secret_value), 500),
        )
        add(rates, DISK, disk_fsyncs_per_second(workdir / "disk.raw"))
        add(per_write, DISK, 1.0)
        for threads in (1, THREADS, MANY_THREADS):
            label = DURABLE_LABELS[threads]
            durable_sink.writes = durable_sink.records = 0
            add(rates, label, reads_per_second(durable.get_secret_value, threads))
            add(per_write, label, durable_sink.records / max(1, durable_sink.writes))
        round_robin(keyed.get_secret_value)(BURST)  # records with valueHmac, to size
        fingerprinted.flush()
        print(f"  round {number + 1}/{RUNS} done", flush=True)

    for made in adapters:
        made.close()
    for log in sorted(workdir.glob("*.jsonl")):
        report = verify_log(log)
        assert report.ok, (log, report.problem)

    verify_file = workdir / "verify.jsonl"
    write_verify_log(verify_file)
    one_record = workdir / "one.jsonl"
    JsonlFileSink(one_record).append(
        [
            AccessLineFormatter().format(
                (
                    time.time(),
                    "get",
                    NAMES[0],
                    "local",
                    "api",
                    Outcome.SUCCESS,
                    VERSION_ID,
                    "current",
                    CacheResult.HIT,
                    None,
                    None,
                    0.0,
                    None,
                )
            )
        ]
    )
    verify_rates: list[float] = []
    cli_startup: list[float] = []
    cli_full: list[float] = []
    for _ in range(RUNS):
        started = time.perf_counter()
        assert verify_log(verify_file).head.count == VERIFY_RECORDS
        verify_rates.append(VERIFY_RECORDS / (time.perf_counter() - started))
        cli_startup.append(cli_seconds(one_record))
        cli_full.append(cli_seconds(verify_file))

    def spread(values: list[float], digits: int = 0) -> str:
        def show(value: float) -> str:
            return f"{value:,.{digits}f}"

        return f"{show(statistics.median(values)):>10} [{show(min(values))}-{show(max(values))}]"

    floor_runs = timed["dict lookup (the floor)"]
    print(
        f"\nper read, ns: median [min-max] of {RUNS} rounds; x dict: median of the per-round ratios"
    )
    for label, values in timed.items():
        ratios = [value / base for value, base in zip(values, floor_runs, strict=True)]
        print(f"  {label:<42} {spread(values):>28}   x dict {statistics.median(ratios):>7,.1f}")

    one = rates[DURABLE_LABELS[1]]
    disk = rates[DISK]
    print(f"\ndurable audit, reads/s: median [min-max] of {RUNS} rounds of {THREAD_SECONDS:g} s")
    for label, values in rates.items():
        gain = statistics.median([v / base for v, base in zip(values, one, strict=True)])
        over_disk = statistics.median([v / base for v, base in zip(values, disk, strict=True)])
        shared = statistics.median(per_write[label])
        print(
            f"  {label:<52} {spread(values):>28}   x 1 thread {gain:>5,.1f}"
            f"   x disk {over_disk:>5,.2f}   records per fsync {shared:>5,.1f}"
        )
    latency = [1e6 / rate for rate in one]
    embedded = [ns / 1000 for ns in timed["uncached read, embedded store"]]
    print(f"  single-thread durable read latency, us {spread(latency, 1)}")
    print(f"  uncached embedded-store read, us       {spread(embedded, 1)}")

    print("\naudit record, bytes per line (newline included): mean, max")
    for label, stem in (("no fingerprint key", "sustained"), ("with valueHmac", "fingerprinted")):
        hits = line_sizes(workdir / f"{stem}.jsonl", hits_only=True)
        every = line_sizes(workdir / f"{stem}.jsonl")
        print(
            f"  {label:<20} cache hits {statistics.mean(hits):.0f}, {max(hits)};"
            f"  all records {statistics.mean(every):.0f}, {max(every)}"
        )

    print(f"\naudit verify of {VERIFY_RECORDS:,} records")
    print(f"  in-process, records/s                  {spread(verify_rates)}")
    print(f"  CLI start-up (a one-record log), s     {spread(cli_startup, 2)}")
    print(f"  CLI, the whole log, s                  {spread(cli_full, 2)}")
    conditions = f"{RUNS} rounds, {LOOPS:,} reads per timed loop, bursts of {BURST:,}"
    print(f"\n(conditions: {conditions}; logs in {workdir})")


if __name__ == "__main__":
    main()
