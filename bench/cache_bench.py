"""Benchmark: secrets-adapter's cache against the peers, side by side, over a real HTTP backend.

Starts ``moto_server`` on a free 127.0.0.1 port, seeds the Gaara Store's nine secrets under
``gaara/prod/`` and measures, in one run:

1. hot cached read, ns per call (a plain ``dict.__getitem__`` is the floor);
2. 32 threads released together on a cold secret: backend calls;
3. 8 threads for 5 s over the nine secrets with a 1 s TTL, once with 0.5 ms of request work
   between reads and once in a tight loop: backend calls per secret and latency;
4. the backend hung (``SIGSTOP``) after warm-up: what readers see, and how long they wait.

Every figure is the median of ``BENCH_REPEATS`` runs (default 3) with the min-max beside it.

Peers: ``aws-secretsmanager-caching``'s ``SecretCache`` and Powertools' ``SecretsProvider``. Every
library gets its own boto3 client with the same timeouts; botocore's ``before-call`` event counts
each one's API calls. Not a test: run it with ``make bench`` (about three minutes). It stops its
server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import timeit
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_secretsmanager_caching import SecretCache as AwsSecretCache
from aws_secretsmanager_caching import SecretCacheConfig
from botocore.config import Config

from secrets_adapter import SecretsAdapter
from secrets_adapter.cache import SecretCache
from secrets_adapter.integrations.flask import GAARA_STORE_SECRETS
from secrets_adapter.policy import parse_policy
from secrets_adapter.providers.aws import AwsSecretsManagerProvider

PREFIX = "gaara/prod/"
NAMES = [PREFIX + name for name in GAARA_STORE_SECRETS]
REGION = "us-east-1"
# The same client settings for every library: a hung backend costs each call 1 s.
CLIENT_CONFIG = Config(
    connect_timeout=1,
    read_timeout=1,
    retries={"max_attempts": 1, "mode": "standard"},
    max_pool_connections=64,
)
HOT_TTL = 300
SHORT_TTL = 1
STAMPEDE_THREADS = 32
LOAD_THREADS = 8
LOAD_SECONDS = 5.0
OUTAGE_THREADS = 4
OUTAGE_SECONDS = 3.0
THINK_TIME = 0.0005  # a request's own work between secret reads; frees the GIL like real I/O
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
# The policy of the "+ policy" row: the reader may read the nine secrets, nothing else.
READ_ONLY_POLICY = parse_policy(
    {
        "statement": [
            {
                "effect": "allow",
                "principals": ["*"],
                "actions": ["read"],
                "secrets": ["gaara/prod/*"],
            }
        ]
    }
)


# --- the backend ---------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    endpoint: str

    def stop(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def moto_server() -> Iterator[Server]:
    port = _free_port()
    binary = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.resume()
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class CallCounter:
    """Counts a client's API calls by operation (botocore's ``before-call`` event)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, event_name: str = "", **_: Any) -> None:
        with self._lock:
            self.calls[event_name.rsplit(".", 1)[-1]] += 1

    def total(self) -> int:
        return sum(self.calls.values())

    def describe(self) -> str:
        return ", ".join(f"{op} {count}" for op, count in sorted(self.calls.items()))


def make_client(endpoint: str) -> tuple[Any, CallCounter]:
    client = boto3.client(
        "secretsmanager", endpoint_url=endpoint, region_name=REGION, config=CLIENT_CONFIG
    )
    counter = CallCounter()
    client.meta.events.register("before-call.secrets-manager", counter)
    return client, counter


def seed(endpoint: str) -> None:
    client, _ = make_client(endpoint)
    for name in NAMES:
        client.create_secret(Name=name, SecretString=f"made-up-value-for-{name.rsplit('/', 1)[1]}")


# --- the contenders ------------------------------------------------------------------------------


@dataclass
class Contender:
    label: str
    read: Callable[[str], object]
    counter: CallCounter


def ours(endpoint: str, ttl: float) -> Contender:
    client, counter = make_client(endpoint)
    cache = SecretCache(AwsSecretsManagerProvider(client), ttl=ttl)
    return Contender("secrets-adapter SecretCache", cache.get, counter)


def ours_adapter(endpoint: str, ttl: float) -> Contender:
    client, counter = make_client(endpoint)
    adapter = SecretsAdapter(provider=AwsSecretsManagerProvider(client), cache_ttl=ttl)
    return Contender("secrets-adapter get_secret_value", adapter.get_secret_value, counter)


def ours_adapter_policy(endpoint: str, ttl: float) -> Contender:
    client, counter = make_client(endpoint)
    adapter = SecretsAdapter(
        provider=AwsSecretsManagerProvider(client), cache_ttl=ttl, policy=READ_ONLY_POLICY
    )
    label = "secrets-adapter get_secret_value + policy"
    return Contender(label, adapter.get_secret_value, counter)


def aws_caching(endpoint: str, ttl: float) -> Contender:
    client, counter = make_client(endpoint)
    cache = AwsSecretCache(SecretCacheConfig(secret_refresh_interval=ttl), client=client)
    return Contender("aws-secretsmanager-caching", cache.get_secret_string, counter)


def powertools(endpoint: str, ttl: float) -> Contender:
    client, counter = make_client(endpoint)
    provider = SecretsProvider(boto3_client=client)
    max_age = int(ttl)

    def read(name: str) -> object:
        return provider.get(name, max_age=max_age)

    return Contender("Powertools SecretsProvider", read, counter)


PEERS: list[Callable[[str, float], Contender]] = [ours, aws_caching, powertools]


# --- measurements --------------------------------------------------------------------------------


HOT_ROUNDS = 25
HOT_SLICE = 0.01  # CPU seconds per timed slice

Metrics = dict[str, float]
"""One run's figures for one reader, by column name."""


def hot_reads(endpoint: str) -> dict[str, Metrics]:
    """CPU time per call (``time.thread_time``, so other processes on a shared machine do not
    count), the best of many short slices taken in turns, so every reader sees the same noise."""
    name = NAMES[1]
    floor_dict = {n: f"value-{n}" for n in NAMES}
    readers: list[tuple[str, Callable[[str], object]]] = [
        ("dict.__getitem__ (floor)", floor_dict.__getitem__)
    ]
    for make in (ours, ours_adapter, ours_adapter_policy, aws_caching, powertools):
        contender = make(endpoint, HOT_TTL)
        contender.read(name)  # warm
        readers.append((contender.label, contender.read))
    timers = [
        timeit.Timer("read(name)", timer=time.thread_time, globals={"read": read, "name": name})
        for _, read in readers
    ]
    sizes = []
    for timer in timers:
        number, elapsed = timer.autorange()
        sizes.append(max(1, int(number * HOT_SLICE / max(elapsed, 1e-9))))
    best = [float("inf")] * len(readers)
    for _ in range(HOT_ROUNDS):
        for index, (timer, size) in enumerate(zip(timers, sizes, strict=True)):
            best[index] = min(best[index], timer.timeit(size) / size)
    floor = best[0]
    return {
        label: {"ns/call": seconds * 1e9, "x dict": seconds / floor}
        for (label, _), seconds in zip(readers, best, strict=True)
    }


def _released_together(read: Callable[[str], object], count: int, name: str) -> list[str]:
    """``count`` threads call ``read(name)`` at once; returns the errors' type names."""
    barrier = threading.Barrier(count)
    failures: list[str] = []

    def reader() -> None:
        barrier.wait()
        try:
            read(name)
        except Exception as exc:  # noqa: BLE001 - reported in the table
            failures.append(type(exc).__name__)

    threads = [threading.Thread(target=reader) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def stampede(endpoint: str, run: int) -> dict[str, Metrics]:
    results = {}
    for make in PEERS:
        contender = make(endpoint, HOT_TTL)
        # each run reads a secret nobody has read yet, so every cache starts cold
        failures = _released_together(contender.read, STAMPEDE_THREADS, NAMES[run % len(NAMES)])
        results[contender.label] = {
            "backend calls": float(contender.counter.total()),
            "errors": float(len(failures)),
        }
    return results


@dataclass
class LoadResult:
    latencies_ns: array[int]
    reads: int
    errors: Counter[str]


def _run_readers(
    read: Callable[[str], object], threads: int, seconds: float, think: float
) -> LoadResult:
    stop = time.monotonic() + seconds
    per_thread: list[array[int]] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()

    def reader(offset: int) -> None:
        latencies: array[int] = array("q")
        clock = time.perf_counter_ns
        index = offset
        while time.monotonic() < stop:
            name = NAMES[index % len(NAMES)]
            index += 1
            started = clock()
            try:
                read(name)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors[type(exc).__name__] += 1
            latencies.append(clock() - started)
            if think:
                time.sleep(think)
        with lock:
            per_thread.append(latencies)

    workers = [threading.Thread(target=reader, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    merged: array[int] = array("q")
    for latencies in per_thread:
        merged.extend(latencies)
    return LoadResult(merged, len(merged), errors)


def _percentile(sorted_ns: Sequence[int], fraction: float) -> float:
    """A percentile in milliseconds."""
    if not sorted_ns:
        return 0.0
    return sorted_ns[min(len(sorted_ns) - 1, int(fraction * len(sorted_ns)))] / 1e6


def round_trip(endpoint: str) -> float:
    client, _ = make_client(endpoint)
    samples = []
    for _ in range(30):
        started = time.perf_counter_ns()
        client.get_secret_value(SecretId=NAMES[0])
        samples.append(time.perf_counter_ns() - started)
    samples.sort()
    return samples[len(samples) // 2] / 1e6


def sustained(endpoint: str, think: float) -> dict[str, Metrics]:
    results = {}
    for make in PEERS:
        contender = make(endpoint, SHORT_TTL)
        result = _run_readers(contender.read, LOAD_THREADS, LOAD_SECONDS, think)
        ordered = sorted(result.latencies_ns)
        results[contender.label] = {
            "reads": result.reads,
            "calls/secret": contender.counter.total() / len(NAMES),
            "p50 ms": _percentile(ordered, 0.5),
            "p99 ms": _percentile(ordered, 0.99),
            "p99.9 ms": _percentile(ordered, 0.999),
        }
    return results


def outage(server: Server) -> dict[str, Metrics]:
    results = {}
    for make in PEERS:
        contender = make(server.endpoint, SHORT_TTL)
        _run_readers(contender.read, OUTAGE_THREADS, 1.0, THINK_TIME)  # warm-up, backend healthy
        calls_before = contender.counter.total()
        server.stop()
        try:
            result = _run_readers(contender.read, OUTAGE_THREADS, OUTAGE_SECONDS, THINK_TIME)
        finally:
            server.resume()
        ordered = sorted(result.latencies_ns)
        results[contender.label] = {
            "reads": result.reads,
            "failed": sum(result.errors.values()),
            "calls": contender.counter.total() - calls_before,
            "p50 ms": _percentile(ordered, 0.5),
            "p99 ms": _percentile(ordered, 0.99),
            "max ms": ordered[-1] / 1e6 if ordered else 0.0,
        }
        time.sleep(1.5)  # let the resumed server drain what queued while it was stopped
    return results


def _figure(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}".rstrip("0").rstrip(".") if value < 1 else f"{value:.2f}"


def summarize(runs: Sequence[dict[str, Metrics]]) -> list[list[str]]:
    """One row per reader: each column's median over the runs, with [min-max] when they differ."""
    rows = []
    for label, first in runs[0].items():
        row = [label]
        for column in first:
            values = sorted(run[label][column] for run in runs)
            median = statistics.median(values)
            cell = _figure(median)
            if values[0] != values[-1]:
                cell += f" [{_figure(values[0])} to {_figure(values[-1])}]"
            row.append(cell)
        rows.append(row)
    return rows


def report(title: str, runs: Sequence[dict[str, Metrics]]) -> None:
    columns = list(next(iter(runs[0].values())))
    print(f"\n## {title}\n")
    print(table(["reader", *columns], summarize(runs)))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    return "\n".join([line, rule, *body])


def main() -> int:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "bench")
    began = time.monotonic()
    with moto_server() as server:
        seed(server.endpoint)
        rtt = round_trip(server.endpoint)
        print(f"moto_server at {server.endpoint}; GetSecretValue round trip (median): {rtt:.2f} ms")
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {REPEATS} runs each")
        endpoint = server.endpoint
        report(
            "1. Hot cached read (one thread; CPU ns per call; ratio to a dict lookup)",
            [hot_reads(endpoint) for _ in range(REPEATS)],
        )
        report(
            f"2. {STAMPEDE_THREADS} threads released together on a cold secret",
            [stampede(endpoint, run) for run in range(REPEATS)],
        )
        load = f"{LOAD_THREADS} threads x {LOAD_SECONDS:.0f} s over {len(NAMES)} secrets"
        ideal = f"TTL {SHORT_TTL} s, ideal ≈ {LOAD_SECONDS / SHORT_TTL:.0f} calls per secret"
        report(
            f"3a. {load}, {THINK_TIME * 1e3:g} ms of work between reads; {ideal}",
            [sustained(endpoint, THINK_TIME) for _ in range(REPEATS)],
        )
        report(
            f"3b. {load}, tight loop (no work between reads); {ideal}",
            [sustained(endpoint, 0.0) for _ in range(REPEATS)],
        )
        report(
            f"4. Backend hung (SIGSTOP) after a 1 s warm-up: {OUTAGE_THREADS} threads x "
            f"{OUTAGE_SECONDS:.0f} s, TTL {SHORT_TTL} s, client timeout 1 s",
            [outage(server) for _ in range(REPEATS)],
        )
    print(f"\n(total {time.monotonic() - began:.0f} s; moto_server stopped)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
