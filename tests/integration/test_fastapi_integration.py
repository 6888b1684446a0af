"""The FastAPI integration with FastAPI itself (``TestClient`` drives the app and its lifespan) on
a real embedded store: a secret injected per request picks up a rotation, the lifespan preloads
(one batch read) and fails start-up naming every missing secret, and reads are audited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from secrets_adapter import AsyncSecretsAdapter, SecretNotFoundError, SecretsAdapter
from secrets_adapter.events import CacheEvent
from secrets_adapter.fastapi import adapter_of, secret, secrets_lifespan
from secrets_adapter.localstore import init_store

PREFIX = "gaara/prod"
StripeKey = Annotated[str, Depends(secret("stripe-api-key"))]
DatabaseUser = Annotated[str, Depends(secret("database", "user"))]
Secrets = Annotated[AsyncSecretsAdapter, Depends(adapter_of)]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    init_store(path)
    with SecretsAdapter("local", path=path, prefix=PREFIX) as admin:
        admin.put_secret("stripe-api-key", "sk_test_fastapi-first")
        admin.configure_rotation("stripe-api-key", rotator="random")  # a test value, not Stripe's
        admin.put_secret("database", {"user": "gaara", "password": "db-pass-1"})
    return path


def _app(adapter: AsyncSecretsAdapter, preload: list[str]) -> FastAPI:
    app = FastAPI(lifespan=secrets_lifespan(adapter, preload=preload))

    @app.get("/charge")
    async def charge(stripe_key: StripeKey) -> dict[str, str]:
        return {"key": stripe_key}

    @app.get("/db-user")
    async def db_user(user: DatabaseUser) -> dict[str, str]:
        return {"user": user}

    @app.post("/rotate")
    async def rotate(secrets: Secrets) -> dict[str, str]:
        info = await secrets.rotate_secret("stripe-api-key")
        return {"version": info.version_id}

    return app


def test_a_rotation_is_seen_by_the_next_request(store: Path, tmp_path: Path) -> None:
    events: list[object] = []
    log = tmp_path / "audit.jsonl"
    adapter = AsyncSecretsAdapter(
        "local", path=store, prefix=PREFIX, listeners=[events.append], audit_log=log
    )
    with TestClient(_app(adapter, ["stripe-api-key", "database"])) as client:
        fetches = [e for e in events if isinstance(e, CacheEvent) and e.kind == "fetch"]
        assert len(fetches) == 2  # preloaded at start-up
        assert client.get("/charge").json() == {"key": "sk_test_fastapi-first"}
        assert client.get("/db-user").json() == {"user": "gaara"}
        # rotated by another process (the CLI, a rotation Lambda): the cache forgets, the next
        # request reads the new value
        with SecretsAdapter("local", path=store, prefix=PREFIX, cache=False) as other:
            other.put_secret("stripe-api-key", "sk_test_fastapi-second")
        adapter.invalidate("stripe-api-key")
        assert client.get("/charge").json() == {"key": "sk_test_fastapi-second"}
        # rotated through the app's own adapter: picked up at once, no invalidation needed
        client.post("/rotate").raise_for_status()
        third = client.get("/charge").json()["key"]
        assert third not in ("sk_test_fastapi-first", "sk_test_fastapi-second")
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    reads = [r for r in rows if r["eventName"] == "GetSecretValue"]
    assert len(reads) == 2 + 4  # preload (two names) + four injected reads, each recorded
    assert "sk_test_fastapi" not in log.read_text()


def test_start_up_fails_naming_every_missing_secret(store: Path) -> None:
    adapter = AsyncSecretsAdapter("local", path=store, prefix=PREFIX)
    app = _app(adapter, ["stripe-api-key", "sendgrid-api-key", "oauth-client-secret"])
    with pytest.raises(SecretNotFoundError) as failure, TestClient(app):
        pass
    assert "sendgrid-api-key" in str(failure.value)
    assert "oauth-client-secret" in str(failure.value)


def test_without_the_lifespan_the_dependency_says_what_to_do() -> None:
    app = FastAPI()

    @app.get("/charge")
    async def charge(stripe_key: StripeKey) -> dict[str, str]:
        return {"key": stripe_key}

    with (
        TestClient(app) as client,
        pytest.raises(Exception, match=r"lifespan=secrets_lifespan"),
    ):
        client.get("/charge")


def test_the_lifespan_builds_its_adapter_from_the_environment(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRETS_BACKEND", "local")
    monkeypatch.setenv("SECRETS_ADAPTER_PATH", str(store))
    monkeypatch.setenv("SECRETS_MANAGER_PREFIX", PREFIX)
    monkeypatch.setenv("ENVIRONMENT", "development")
    app = FastAPI(lifespan=secrets_lifespan(preload=["stripe-api-key"]))

    @app.get("/charge")
    async def charge(stripe_key: StripeKey) -> dict[str, str]:
        return {"key": stripe_key}

    with TestClient(app) as client:
        assert client.get("/charge").json() == {"key": "sk_test_fastapi-first"}
