"""``AsyncSecretsAdapter`` on the real backends — the embedded store, an OpenBao dev server and
moto_server over HTTP — built from constructor arguments as a user would: 1,000 tasks on a cold
secret make one backend call, writes and rotation are read back at once, and the loop keeps
turning while the backend answers."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from secrets_adapter import AsyncSecretsAdapter, SecretNotFoundError
from secrets_adapter.events import CacheEvent
from secrets_adapter.localstore import init_store
from tests.fixtures.aws import MotoServer
from tests.fixtures.vault import BaoServer

Factory = Callable[[list[object]], AsyncSecretsAdapter]


@pytest.fixture(params=["local", "vault", "aws"])
def open_adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    """A factory for an adapter on one real backend, under a fresh prefix."""
    prefix = f"async-{uuid.uuid4().hex[:8]}/prod"
    kind = request.param

    def make(listeners: list[object]) -> AsyncSecretsAdapter:
        events = [listeners.append]
        if kind == "local":
            store = tmp_path / "store"
            if not store.exists():
                init_store(store)
            return AsyncSecretsAdapter("local", path=store, prefix=prefix, listeners=events)
        if kind == "vault":
            server: BaoServer = request.getfixturevalue("openbao_server")
            return AsyncSecretsAdapter(
                "vault", url=server.url, token=server.root_token, prefix=prefix, listeners=events
            )
        moto: MotoServer = request.getfixturevalue("moto_server")
        return AsyncSecretsAdapter(
            "aws",
            region=moto.region,
            endpoint_url=moto.endpoint_url,
            prefix=prefix,
            listeners=events,
        )

    yield make


def _fetches(events: list[object], name: str) -> int:
    return sum(
        1
        for e in events
        if isinstance(e, CacheEvent) and e.kind == "fetch" and e.secret_name == name
    )


def test_one_backend_call_for_a_thousand_tasks_and_writes_read_back(open_adapter: Factory) -> None:
    events: list[object] = []

    async def main() -> None:
        async with open_adapter(events) as secrets:
            await secrets.put_secret("stripe-api-key", "sk_test_first-value")
            full = secrets.qualify("stripe-api-key")
            values = await asyncio.gather(
                *(secrets.get_secret_value("stripe-api-key") for _ in range(1000))
            )
            assert set(values) == {"sk_test_first-value"}
            assert _fetches(events, full) == 1
            await secrets.put_secret("stripe-api-key", "sk_test_second-value")
            assert await secrets.get_secret_value("stripe-api-key") == "sk_test_second-value"
            await secrets.configure_rotation("stripe-api-key", rotator="random")
            rotated = await secrets.rotate_secret("stripe-api-key")
            fresh = await secrets.get("stripe-api-key")
            assert fresh.version_id == rotated.version_id
            assert fresh.value.reveal_text() not in ("sk_test_first-value", "sk_test_second-value")
            meta = await secrets.describe_secret("stripe-api-key")
            assert meta.current_version == rotated.version_id
            await secrets.put_secret("database", {"user": "gaara", "password": "db-pass-1"})
            many = await secrets.get_many(["stripe-api-key", "database"])
            assert many["stripe-api-key"].version_id == rotated.version_id
            assert await secrets.get_secret("database") == {
                "user": "gaara",
                "password": "db-pass-1",
            }
            assert sorted(await secrets.list_secrets()) == sorted(
                [full, secrets.qualify("database")]
            )
            await secrets.delete_secret("database", force=True)
            with pytest.raises(SecretNotFoundError):
                await secrets.get("database")

    asyncio.run(main())


def test_every_backend_call_runs_off_the_event_loop_thread(open_adapter: Factory) -> None:
    """Each fetch's event is emitted by the thread that called the backend: never the loop's."""
    fetch_threads: set[int] = set()

    def note(event: object) -> None:
        if isinstance(event, CacheEvent) and event.kind == "fetch":
            fetch_threads.add(threading.get_ident())

    events: list[object] = []

    async def main() -> int:
        async with open_adapter(events) as secrets:
            secrets.events.subscribe(note)
            for index in range(20):
                await secrets.put_secret(f"key-{index}", f"value-{index}")
            values = await asyncio.gather(
                *(secrets.get_secret_value(f"key-{i % 20}") for i in range(1000))
            )
            assert values == [f"value-{i % 20}" for i in range(1000)]
            await secrets.preload([f"key-{i}" for i in range(20)])  # all hits: no pool job
            return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert fetch_threads, "no backend fetch was seen"
    assert loop_thread not in fetch_threads
    assert sum(1 for e in events if isinstance(e, CacheEvent) and e.kind == "fetch") == 20
