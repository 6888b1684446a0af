"""PostgreSQL password rotation against a real throwaway cluster: both strategies, a failure at
each step, concurrent rotations, and the load test (queries keep running while passwords rotate).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager as contextlib_contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.errors import RotationError
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.rotation.connections import (
    CredentialSource,
    RotatingConnector,
    database_credentials,
    rotating_sqlalchemy_engine,
)
from secrets_adapter.rotation.engine import RotationEngine
from secrets_adapter.rotation.rotator import RotationContext
from secrets_adapter.rotation.rotators.postgres import DatabaseCredentials, PostgresRotator
from secrets_adapter.rotation.schedule import rotation_config_tags
from tests.fixtures.postgres import PostgresServer
from tests.unit.rotation.helpers import FlakyProvider, Ticker

pytestmark = pytest.mark.slow

APP = "db/app"
MASTER = "db/master"
_roles = itertools.count(1)


@dataclass
class App:
    """An application's database login kept in a secret, and the table it reads."""

    server: PostgresServer
    provider: FlakyProvider
    adapter: SecretsAdapter
    role: str
    table: str

    def credentials(self) -> DatabaseCredentials:
        """The login as the app reads it: through the adapter (and its cache)."""
        return DatabaseCredentials.from_value(self.adapter.get(APP).value, name=APP)

    def query(self, login: DatabaseCredentials) -> int:
        """One query on a fresh connection (a new login each time: the rotation-sensitive path)."""
        with psycopg.connect(**login.connect_kwargs(), connect_timeout=5) as conn:
            return _count(conn, self.table)


def _count(conn: psycopg.Connection[Any], table: str) -> int:
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    assert row is not None
    return int(row[0])


def _admin(server: PostgresServer) -> psycopg.Connection[Any]:
    return psycopg.connect(**server.connect_kwargs(), autocommit=True)


def _make_app(server: PostgresServer, strategy: str) -> App:
    role = f"app_{next(_roles)}"
    table = f"items_{role}"
    password = f"initial-{role}-password-0001"
    with _admin(server) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} WITH LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
        conn.execute(sql.SQL("CREATE TABLE {} (id int)").format(sql.Identifier(table)))
        conn.execute(sql.SQL("INSERT INTO {} VALUES (1), (2), (3)").format(sql.Identifier(table)))
        conn.execute(
            sql.SQL("ALTER TABLE {} OWNER TO {}").format(
                sql.Identifier(table), sql.Identifier(role)
            )
        )
    login = DatabaseCredentials(
        host=server.host,
        port=server.port,
        username=role,
        password=SecretValue(password),
        dbname=server.dbname,
    )
    master = login.with_login(server.superuser, SecretValue(server.password))
    provider = FlakyProvider()
    provider.put(APP, login.to_value())
    provider.put(MASTER, master.to_value())
    options = {"strategy": strategy, "master-secret": MASTER} if strategy == "alternating" else {}
    tags = rotation_config_tags(rotator="postgres", every=timedelta(days=30), options=options)
    provider.set_tags(APP, tags)
    return App(
        server=server,
        provider=provider,
        adapter=SecretsAdapter(provider=provider),
        role=role,
        table=table,
    )


@pytest.fixture(params=["single", "alternating"])
def app(request: pytest.FixtureRequest, postgres_server: PostgresServer) -> App:
    return _make_app(postgres_server, request.param)


def _refused(login: DatabaseCredentials, app: App) -> bool:
    try:
        app.query(login)
    except psycopg.OperationalError:
        return True
    return False


def test_single_user_rotation_changes_the_password_and_yields_a_database_url(
    postgres_server: PostgresServer,
) -> None:
    app = _make_app(postgres_server, "single")
    old = app.credentials()
    app.adapter.rotate_secret(APP)
    new = app.credentials()
    assert new.username == old.username == app.role
    assert new.password != old.password
    assert app.query(new) == 3
    assert _refused(old, app)
    with psycopg.connect(new.database_url().reveal_text(), connect_timeout=5) as conn:
        assert _count(conn, app.table) == 3


def test_alternating_users_keep_the_previous_login_valid(postgres_server: PostgresServer) -> None:
    app = _make_app(postgres_server, "alternating")
    first = app.credentials()
    app.adapter.rotate_secret(APP)
    second = app.credentials()
    assert second.username == f"{app.role}_clone"
    assert app.query(second) == 3 and app.query(first) == 3  # both valid now
    app.adapter.rotate_secret(APP)
    third = app.credentials()
    assert third.username == app.role and third.password != first.password
    assert app.query(third) == 3 and app.query(second) == 3
    assert _refused(first, app)  # two rotations old: its role has a new password


class FailingOnce(PostgresRotator):
    """Fails once at a step — after doing its work, the harder case for set and test."""

    def __init__(self, step: str) -> None:
        self.step: str | None = step

    def _maybe_fail(self, step: str) -> None:
        if self.step == step:
            self.step = None
            raise RuntimeError(f"injected failure after {step}")

    def create(self, context: RotationContext) -> SecretValue:
        value = super().create(context)
        self._maybe_fail("create")
        return value

    def set(self, context: RotationContext, pending: SecretValue) -> None:
        super().set(context, pending)
        self._maybe_fail("set")

    def test(self, context: RotationContext, pending: SecretValue) -> None:
        super().test(context, pending)
        self._maybe_fail("test")


@pytest.mark.parametrize("step", ["create", "set", "test", "finish"])
def test_a_failure_at_any_step_leaves_the_app_working_and_a_rerun_completes(
    app: App, step: str
) -> None:
    # The rotation runs elsewhere (another process, a Lambda): the app's adapter is not told.
    rotator = FailingOnce(step)
    engine = RotationEngine(app.provider, {"postgres": rotator})
    ticker = Ticker()
    app.adapter = SecretsAdapter(provider=app.provider, monotonic_clock=ticker)
    source = CredentialSource(database_credentials(app.adapter, APP), min_interval=timedelta(0))
    connector = RotatingConnector(source, connect_timeout=5)
    before = app.provider.get(APP)
    if step == "finish":
        app.provider.fail_move = Stage.CURRENT
    with pytest.raises(RotationError) as caught:
        engine.rotate(APP)
    assert caught.value.step == step
    assert app.provider.get(APP).version_id == before.version_id  # current untouched
    ticker.now += 2  # past the cache's minimum refresh interval
    with connector.connect() as conn:  # the app keeps working (single user: via pending)
        assert _count(conn, app.table) == 3

    engine.rotate(APP)
    ticker.now += 2
    after = DatabaseCredentials.from_value(app.provider.get(APP).value, name=APP)
    assert app.provider.get(APP).version_id != before.version_id
    assert app.query(after) == 3
    with connector.connect() as conn:
        assert _count(conn, app.table) == 3


def test_concurrent_rotations_of_one_secret_never_overlap(app: App) -> None:
    contenders = 4
    start = threading.Barrier(contenders)
    results: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        start.wait()
        try:
            app.adapter.rotate_secret(APP)
            outcome = "rotated"
        except RotationError as exc:
            assert "in progress" in str(exc)
            outcome = "refused"
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    rotated = results.count("rotated")
    assert len(results) == contenders and rotated >= 1 and "refused" in results
    metadata = app.provider.describe(APP)
    assert len(metadata.versions) == 1 + rotated
    assert metadata.version_for(Stage.PENDING) is None
    assert app.query(app.credentials()) == 3  # the database agrees with the secret


@dataclass
class Load:
    """Reader threads that query until stopped, counting successes and failures."""

    query: Callable[[], int]
    threads: int = 3
    stop: threading.Event = field(default_factory=threading.Event)
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                assert self.query() == 3
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                with self.lock:
                    self.failures.append(f"{type(exc).__name__}: {str(exc)[:160]}")
            else:
                with self.lock:
                    self.ok += 1

    def wait_for(self, queries: int) -> None:
        """Block until ``queries`` more have succeeded (progress, not time)."""
        with self.lock:
            target = self.ok + queries
        while not self.stop.wait(0.005):
            with self.lock:
                if self.ok >= target or len(self.failures) > 50:
                    return

    @contextlib_contextmanager
    def running(self) -> Iterator[Load]:
        workers = [threading.Thread(target=self._run) for _ in range(self.threads)]
        for worker in workers:
            worker.start()
        try:
            yield self
        finally:
            self.stop.set()
            for worker in workers:
                worker.join(timeout=30)


def test_load_alternating_users_zero_failed_queries(postgres_server: PostgresServer) -> None:
    app = _make_app(postgres_server, "alternating")
    load = Load(query=lambda: app.query(app.credentials()))
    with load.running():
        load.wait_for(10)
        for _ in range(4):
            app.adapter.rotate_secret(APP)
            load.wait_for(15)
    assert load.failures == []
    assert load.ok >= 60
    assert len(app.provider.describe(APP).versions) == 5


def test_load_single_user_every_failure_is_recovered_by_the_helper(
    postgres_server: PostgresServer,
) -> None:
    app = _make_app(postgres_server, "single")
    source = CredentialSource(
        database_credentials(app.adapter, APP), min_interval=timedelta(milliseconds=5)
    )
    connector = RotatingConnector(source, connect_timeout=5)

    def query() -> int:
        with connector.connect() as conn:
            return _count(conn, app.table)

    load = Load(query=query)
    with load.running():
        load.wait_for(10)
        for _ in range(4):
            app.adapter.rotate_secret(APP)
            load.wait_for(15)
    assert load.failures == []
    assert connector.recovered >= 1  # the rotations did break logins, and each was recovered
    assert load.ok >= 60


def test_sqlalchemy_pool_recycles_connections_after_a_credential_refresh(
    postgres_server: PostgresServer,
) -> None:
    import sqlalchemy

    app = _make_app(postgres_server, "single")
    source = CredentialSource(database_credentials(app.adapter, APP), min_interval=timedelta(0))
    connector = RotatingConnector(source, connect_timeout=5)
    engine = rotating_sqlalchemy_engine(connector, pool_size=1, max_overflow=0)
    query = sql.SQL("SELECT count(*), pg_backend_pid() FROM {}").format(sql.Identifier(app.table))
    statement = sqlalchemy.text(query.as_string())
    try:
        with engine.connect() as conn:
            count, first_pid = conn.execute(statement).one()
        assert count == 3
        app.adapter.rotate_secret(APP)
        with engine.connect() as conn:  # the pooled session outlives ALTER ROLE
            assert conn.execute(statement).one()[1] == first_pid
        source.refresh(source.generation)  # what an authentication failure triggers
        with engine.connect() as conn:
            count, pid = conn.execute(statement).one()
        assert count == 3 and pid != first_pid  # recycled, reopened with the new password
    finally:
        engine.dispose()
