"""Benchmark: bulk writes into the embedded store, ``put_many`` against one ``put`` each.

Creates a fresh store in a temp folder per run and writes ``BULK_COUNT`` new secrets (default
100,000) with ``LocalProvider.put_many`` (one transaction), then times ``BULK_SINGLE`` (default
2,000) separate ``put`` calls on another fresh store for the per-put rate the same machine gives
without batching. Prints the median of ``BENCH_REPEATS`` runs (default 3) with min-max.
Not a test: ``make bench`` runs it.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from secrets_adapter.localstore import init_store
from secrets_adapter.models import SecretValue
from secrets_adapter.providers.local import LocalProvider

REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
BULK_COUNT = int(os.environ.get("BULK_COUNT", "100000"))
BULK_SINGLE = int(os.environ.get("BULK_SINGLE", "2000"))


def _fresh_store(root: Path, label: str) -> LocalProvider:
    folder = root / label
    init_store(folder)
    return LocalProvider.open(folder)


def bulk_rate(root: Path, run: int) -> float:
    provider = _fresh_store(root, f"bulk-{run}")
    items = {f"bulk/secret-{i:06d}": SecretValue(f"value-{i}") for i in range(BULK_COUNT)}
    started = time.perf_counter()
    result = provider.put_many(items)
    elapsed = time.perf_counter() - started
    failed = sum(1 for outcome in result.values() if isinstance(outcome, Exception))
    if failed:
        raise SystemExit(f"{failed} of the bulk writes failed")
    provider.close()
    return BULK_COUNT / elapsed


def single_rate(root: Path, run: int) -> float:
    provider = _fresh_store(root, f"single-{run}")
    started = time.perf_counter()
    for i in range(BULK_SINGLE):
        provider.put(f"single/secret-{i:06d}", SecretValue(f"value-{i}"))
    elapsed = time.perf_counter() - started
    provider.close()
    return BULK_SINGLE / elapsed


def _summary(measure: Callable[[Path, int], float], root: Path) -> str:
    rates = sorted(measure(root, run) for run in range(REPEATS))
    return f"{statistics.median(rates):,.0f} puts/s [{rates[0]:,.0f} to {rates[-1]:,.0f}]"


def main() -> int:
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {REPEATS} runs each\n")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print("| writer | rate (median [min to max]) |\n|---|---|")
        bulk = _summary(bulk_rate, root)
        print(f"| put_many, {BULK_COUNT:,} new secrets, one transaction | {bulk} |")
        single = _summary(single_rate, root)
        print(f"| put, {BULK_SINGLE:,} new secrets, one transaction each | {single} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
