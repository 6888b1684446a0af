"""``AsyncSecretsAdapter``: single-flight across tasks, a loop that never waits on the backend,
refresh ahead of expiry, bounded stale-on-error, cancellation safety, and the same pipeline
(policy, audit, redaction) as the synchronous face.

The backend here is the in-memory provider with a gate: a test holds its ``get`` in the pool's
thread, which is how a slow network looks to the event loop. The real backends are in
tests/integration/test_async_backends.py.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from secrets_adapter import (
    AsyncSecretsAdapter,
    PolicyDeniedError,
    ProviderUnavailableError,
    Secret,
    SecretNotFoundError,
    SecretsAdapter,
    SecretValue,
    Stage,
)
from secrets_adapter.audit import AuditTrail
from secrets_adapter.events import CacheResult
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL

POLICY = """
[[statement]]
effect = "allow"
principals = ["api"]
actions = ["read", "list", "write"]
secrets = ["app/*"]
"""


class GatedProvider(InMemoryProvider):
    """``get`` waits for ``gate`` (set by default) and may fail while ``down``."""

    def __init__(self, secrets: dict[str, str]) -> None:
        super().__init__(secrets)
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.down = False
        self.held: set[str] | None = None  # the names the gate holds (None: all)

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        self.entered.set()
        if self.held is None or name in self.held:
            assert self.gate.wait(10), "the test never opened the gate"
        if self.down:
            raise ProviderUnavailableError("connection refused", secret_name=name)
        return super().get(name, version=version, stage=stage)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def provider() -> GatedProvider:
    return GatedProvider({"app/db": SENTINEL, "app/key": "k-1"})


def test_a_thousand_tasks_on_a_cold_secret_make_one_backend_call(provider: GatedProvider) -> None:
    async def main() -> set[str]:
        async with AsyncSecretsAdapter(provider=provider, max_workers=2) as secrets:
            provider.held = {"app/db"}
            provider.gate.clear()
            readers = [asyncio.create_task(secrets.get_secret_value("app/db")) for _ in range(1000)]
            await asyncio.sleep(0.05)  # every task has asked and is waiting
            try:  # the 1,000 waiters hold one worker between them: the other one still serves
                assert await asyncio.wait_for(secrets.get_secret_value("app/key"), 5) == "k-1"
            finally:
                provider.gate.set()
            return set(await asyncio.gather(*readers))

    assert asyncio.run(main()) == {SENTINEL}
    assert provider.calls == {"get": 2}  # app/db once, app/key once


def test_the_loop_keeps_running_while_the_backend_is_slow(provider: GatedProvider) -> None:
    async def main() -> int:
        async with AsyncSecretsAdapter(provider=provider) as secrets:
            provider.gate.clear()
            read = asyncio.create_task(secrets.get("app/db"))
            ticks = 0
            for _ in range(20):  # the loop turns while the fetch is held in the pool
                await asyncio.sleep(0.005)
                ticks += 1
            assert not read.done()
            provider.gate.set()
            assert (await read).value.reveal() == SENTINEL
            return ticks

    assert asyncio.run(main()) == 20


def test_a_cancelled_caller_never_cancels_the_shared_fetch(provider: GatedProvider) -> None:
    async def main() -> str:
        async with AsyncSecretsAdapter(provider=provider) as secrets:
            provider.gate.clear()
            first = asyncio.create_task(secrets.get_secret_value("app/db"))
            second = asyncio.create_task(secrets.get_secret_value("app/db"))
            await asyncio.sleep(0.02)
            first.cancel()
            await asyncio.sleep(0.01)
            provider.gate.set()
            with pytest.raises(asyncio.CancelledError):
                await first
            value = await second
            third = await secrets.get_secret_value("app/db")  # cached by the shared fetch
            assert third == value
            return value

    assert asyncio.run(main()) == SENTINEL
    assert provider.calls == {"get": 1}


def test_a_timeout_on_one_caller_leaves_the_fetch_for_the_others(provider: GatedProvider) -> None:
    async def main() -> str:
        async with AsyncSecretsAdapter(provider=provider) as secrets:
            provider.gate.clear()
            patient = asyncio.create_task(secrets.get_secret_value("app/key"))
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(secrets.get_secret_value("app/key"), timeout=0.02)
            provider.gate.set()
            return await patient

    assert asyncio.run(main()) == "k-1"
    assert provider.calls == {"get": 1}


def test_refresh_ahead_serves_at_once_and_refreshes_in_the_pool(provider: GatedProvider) -> None:
    clock = FakeClock()

    async def main() -> None:
        async with AsyncSecretsAdapter(
            provider=provider, cache_ttl=100, refresh_ahead=0.2, monotonic_clock=clock
        ) as secrets:
            assert await secrets.get_secret_value("app/key") == "k-1"
            provider.put("app/key", SecretValue("k-2"))
            clock.now += 90  # inside the refresh-ahead window (the last 20 s), not expired
            provider.gate.clear()
            provider.entered.clear()
            started = time.perf_counter()
            assert await secrets.get_secret_value("app/key") == "k-1"  # no wait on the backend
            assert time.perf_counter() - started < 0.5
            assert await asyncio.to_thread(provider.entered.wait, 5)  # the refresh is under way
            provider.gate.set()
            for _ in range(200):
                if await secrets.get_secret_value("app/key") == "k-2":
                    break
                await asyncio.sleep(0.01)
            assert await secrets.get_secret_value("app/key") == "k-2"

    asyncio.run(main())
    assert provider.calls["get"] == 2


def test_stale_on_error_is_bounded_by_max_stale(provider: GatedProvider) -> None:
    clock = FakeClock()
    results: list[CacheResult | None] = []

    async def main() -> None:
        async with AsyncSecretsAdapter(
            provider=provider,
            cache_ttl=10,
            max_stale=60,
            monotonic_clock=clock,
            listeners=[lambda event: results.append(getattr(event, "cache", None))],
        ) as secrets:
            assert await secrets.get_secret_value("app/key") == "k-1"
            provider.down = True
            clock.now += 30  # expired, within max_stale: the last good value stands in
            assert await secrets.get_secret_value("app/key") == "k-1"
            clock.now += 60  # beyond max_stale: the outage is reported
            with pytest.raises(ProviderUnavailableError):
                await secrets.get_secret_value("app/key")

    asyncio.run(main())
    assert CacheResult.STALE in results


def test_a_hung_backend_is_waited_for_at_most_stale_wait(provider: GatedProvider) -> None:
    clock = FakeClock()

    async def main() -> float:
        async with AsyncSecretsAdapter(
            provider=provider, cache_ttl=10, monotonic_clock=clock, max_workers=1
        ) as secrets:
            assert await secrets.get_secret_value("app/key") == "k-1"
            clock.now += 20
            provider.gate.clear()  # the one worker hangs on the backend
            started = time.perf_counter()
            assert await secrets.get_secret_value("app/key") == "k-1"
            elapsed = time.perf_counter() - started
            provider.gate.set()
            return elapsed

    assert asyncio.run(main()) < 1.0


def test_reads_writes_and_rotation_go_through_the_same_pipeline(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    (tmp_path / "policy.toml").write_text(POLICY)
    provider = InMemoryProvider({"app/db": SENTINEL, "other/x": "x"})

    async def main() -> None:
        async with AsyncSecretsAdapter(
            provider=provider, principal="api", policy=tmp_path / "policy.toml", audit_log=log
        ) as secrets:
            assert (await secrets.get("app/db")).value.reveal() == SENTINEL
            assert secrets.served_values.mask(f"a {SENTINEL} b") != f"a {SENTINEL} b"
            with pytest.raises(PolicyDeniedError):
                await secrets.get("other/x")
            with pytest.raises(SecretNotFoundError):
                await secrets.get("app/missing")
            await secrets.put_secret("app/db", {"user": "u", "password": "p-2"})
            assert await secrets.get_secret_value("app/db", "password") == "p-2"  # invalidated
            assert await secrets.list_secrets("app/") == ["app/db"]
            with pytest.raises(PolicyDeniedError):
                await secrets.rotate_secret("app/db")  # rotate is not granted
            many = await secrets.get_many(["app/db", "other/x"], errors="return")
            assert isinstance(many["other/x"], PolicyDeniedError)

    asyncio.run(main())
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    events = [
        (r["eventName"], r["requestParameters"]["secretId"], r.get("outcome", "success"))
        for r in rows
    ]
    assert events == [
        ("GetSecretValue", "app/db", "success"),
        ("GetSecretValue", "other/x", "denied"),
        ("GetSecretValue", "app/missing", "error"),
        ("PutSecretValue", "app/db", "success"),
        ("GetSecretValue", "app/db", "success"),
        ("ListSecrets", "app/", "success"),
        ("RotateSecret", "app/db", "denied"),
        ("GetSecretValue", "app/db", "success"),
        ("GetSecretValue", "other/x", "denied"),
    ]
    assert SENTINEL not in log.read_text()


def test_the_same_calls_leave_the_same_records_on_both_faces(tmp_path: Path) -> None:
    (tmp_path / "policy.toml").write_text(POLICY)
    logs = {face: tmp_path / f"{face}.jsonl" for face in ("sync", "async")}
    options: dict[str, Any] = {"principal": "api", "policy": tmp_path / "policy.toml"}
    with SecretsAdapter(
        provider=InMemoryProvider({"app/db": "v"}), audit_log=logs["sync"], **options
    ) as sync:
        sync.get("app/db")
        sync.get_many(["app/db"])
        with pytest.raises(PolicyDeniedError):
            sync.describe_secret("app/db")

    async def main() -> None:
        async with AsyncSecretsAdapter(
            provider=InMemoryProvider({"app/db": "v"}), audit_log=logs["async"], **options
        ) as face:
            await face.get("app/db")
            await face.get_many(["app/db"])
            with pytest.raises(PolicyDeniedError):
                await face.describe_secret("app/db")

    asyncio.run(main())

    def shape(log: Path) -> list[list[str]]:
        rows = [json.loads(line) for line in log.read_text().splitlines()]
        keep = ("eventName", "outcome", "userIdentity", "cache")
        return [[str(r.get(k)) for k in keep] for r in rows]

    assert shape(logs["async"]) == shape(logs["sync"])


def test_a_cache_miss_can_be_cancelled_by_closing_and_nothing_leaks(
    provider: GatedProvider, caplog: pytest.LogCaptureFixture
) -> None:
    """A fetch whose only caller gave up and that then fails logs nothing about it."""

    async def main() -> None:
        async with AsyncSecretsAdapter(provider=provider) as secrets:
            provider.gate.clear()
            provider.down = True
            caller = asyncio.create_task(secrets.get("app/db"))
            await asyncio.sleep(0.02)
            caller.cancel()
            provider.gate.set()
            await asyncio.sleep(0.05)

    asyncio.run(main())
    assert "never retrieved" not in caplog.text


def test_max_workers_must_be_positive() -> None:
    with pytest.raises(Exception, match="max_workers"):
        AsyncSecretsAdapter(provider=InMemoryProvider(), max_workers=0)


def test_one_adapter_serves_successive_event_loops(provider: GatedProvider) -> None:
    """A script calling ``asyncio.run`` more than once with one adapter: a fetch left pending
    by a finished loop is never awaited from the next one."""
    secrets = AsyncSecretsAdapter(provider=provider)

    async def abandon() -> None:
        provider.gate.clear()
        asyncio.get_running_loop().create_task(secrets.get("app/db"))
        await asyncio.sleep(0.02)  # the loop ends with the fetch under way

    async def read() -> str:
        return await secrets.get_secret_value("app/db")

    asyncio.run(abandon())
    provider.gate.set()
    assert asyncio.run(read()) == SENTINEL
    asyncio.run(secrets.aclose())


class SlowSink:
    """An audit sink whose every write takes 0.2 s (a slow disk or a remote collector)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def append(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        time.sleep(0.2)
        self.bodies.extend(dict(body) for body in bodies)

    def close(self) -> None:
        pass


def test_a_durable_audit_write_never_holds_the_loop(tmp_path: Path) -> None:
    """A durable trail makes each read wait for its record's write: the task waits, the loop
    does not (the record is written from the pool)."""
    (tmp_path / "policy.toml").write_text(POLICY)
    sink = SlowSink()
    trail = AuditTrail(sink, mode="durable")
    provider = InMemoryProvider({"app/db": SENTINEL, "other/x": "x"})

    async def main() -> tuple[int, int]:
        async with AsyncSecretsAdapter(
            provider=provider, principal="api", policy=tmp_path / "policy.toml", audit_log=trail
        ) as secrets:
            await secrets.get("app/db")  # warm: the next read is a cache hit, still recorded
            ticks = 0

            async def heartbeat() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            beat = asyncio.create_task(heartbeat())
            await secrets.get("app/db")
            while_reading = ticks
            with pytest.raises(PolicyDeniedError):
                await secrets.get("other/x")
            beat.cancel()
            return while_reading, ticks

    while_reading, total = asyncio.run(main())
    assert while_reading >= 10  # ~0.2 s of 10 ms ticks while the hit's record was written
    assert total >= 2 * 10
    assert [b.get("outcome", "success") for b in sink.bodies] == ["success", "success", "denied"]
