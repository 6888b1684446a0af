"""``AsyncSecretsAdapter``'s cached read beside the synchronous one and a dict lookup.

The claim under test: a cache hit through the async face costs no more than one coroutine call
over the synchronous hit (its hit path awaits nothing: a dict lookup, a clock read, the pipeline's
``before`` / ``remember``). Each reader runs ``LOOPS`` reads in a plain ``for`` loop (inside one
coroutine for the awaited readers, so the loop's overhead is the same for all), timed with
``time.thread_time`` (CPU of this thread only, so other processes on a shared machine do not
count); ``RUNS`` runs taken in turns, reported as the median with the min-max.

Then 1,000 tasks released together on a cold secret: backend calls (1 expected) and wall time.
The backend is the embedded store in a temporary folder: a hit never reaches it.

    .venv/bin/python bench/async_bench.py
"""

from __future__ import annotations

import asyncio
import platform
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from secrets_adapter import AsyncSecretsAdapter, SecretsAdapter
from secrets_adapter.events import CacheEvent
from secrets_adapter.localstore import init_store

NAME = "gaara/prod/stripe-api-key"
VALUE = "sk_test_bench-" + "x" * 24
LOOPS = 100_000
RUNS = 9
TASKS = 1_000


def timed_sync(read: Callable[[str], object]) -> float:
    started = time.thread_time()
    for _ in range(LOOPS):
        read(NAME)
    return (time.thread_time() - started) / LOOPS


async def timed_async(read: Callable[[str], Awaitable[object]]) -> float:
    started = time.thread_time()
    for _ in range(LOOPS):
        await read(NAME)
    return (time.thread_time() - started) / LOOPS


async def coroutine_call(name: str) -> str:
    """The floor an awaited call adds: a coroutine that does nothing."""
    return name


async def hot_reads(store: Path) -> dict[str, list[float]]:
    table = {NAME: VALUE}
    sync = SecretsAdapter("local", path=store)
    face = AsyncSecretsAdapter("local", path=store)
    sync.get_secret_value(NAME)  # warm both caches
    await face.get_secret_value(NAME)
    sync_readers: dict[str, Callable[[str], object]] = {
        "dict.__getitem__ (floor)": table.__getitem__,
        "SecretsAdapter.get_secret_value": sync.get_secret_value,
        "SecretsAdapter.get": sync.get,
    }
    async_readers: dict[str, Callable[[str], Awaitable[object]]] = {
        "await coroutine() (no work)": coroutine_call,
        "await AsyncSecretsAdapter.get_secret_value": face.get_secret_value,
        "await AsyncSecretsAdapter.get": face.get,
    }
    samples: dict[str, list[float]] = {label: [] for label in [*sync_readers, *async_readers]}
    for _ in range(RUNS):  # in turns, so every reader sees the same noise
        for label, read in sync_readers.items():
            samples[label].append(timed_sync(read))
        for label, aread in async_readers.items():
            samples[label].append(await timed_async(aread))
    sync.close()
    await face.aclose()
    return samples


async def cold_stampede(store: Path) -> tuple[int, float]:
    fetches: list[object] = []

    def count(event: object) -> None:
        if isinstance(event, CacheEvent) and event.kind == "fetch":
            fetches.append(event)

    async with AsyncSecretsAdapter("local", path=store, listeners=[count]) as face:
        started = time.perf_counter()
        values = await asyncio.gather(*(face.get_secret_value(NAME) for _ in range(TASKS)))
        elapsed = time.perf_counter() - started
    assert set(values) == {VALUE}
    return len(fetches), elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "store"
        init_store(store)
        with SecretsAdapter("local", path=store) as admin:
            admin.put_secret(NAME, VALUE)
        samples = asyncio.run(hot_reads(store))
        calls, elapsed = asyncio.run(cold_stampede(store))
    print(f"Python {platform.python_version()}, {platform.machine()}; {LOOPS:,} reads per run,")
    print(f"{RUNS} runs; CPU ns per read (time.thread_time): median (min-max)\n")
    floor = statistics.median(samples["dict.__getitem__ (floor)"])
    print("| reader | ns/read, median (min-max) | x dict |")
    print("| --- | --- | --- |")
    for label, values in samples.items():
        median = statistics.median(values)
        span = f"{min(values) * 1e9:,.0f}-{max(values) * 1e9:,.0f}"
        print(f"| {label} | {median * 1e9:,.0f} ({span}) | {median / floor:.1f}x |")
    sync_hit = statistics.median(samples["SecretsAdapter.get_secret_value"])
    async_hit = statistics.median(samples["await AsyncSecretsAdapter.get_secret_value"])
    coroutine = statistics.median(samples["await coroutine() (no work)"])
    print(
        f"\nasync hit - sync hit = {(async_hit - sync_hit) * 1e9:,.0f} ns; "
        f"one coroutine call = {coroutine * 1e9:,.0f} ns"
    )
    print(
        f"\n{TASKS:,} tasks on a cold secret: {calls} backend call(s), "
        f"{elapsed * 1e3:,.1f} ms wall for all of them"
    )


if __name__ == "__main__":
    main()
