"""``postgres`` rotation of a ``DATABASE_URL`` as ``migrate`` stores it from the demo's ``.env``:
on the real initdb cluster, through the CLI, both strategies; the app logs in with the new URL."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
import pytest
import sqlalchemy
from click.testing import CliRunner, Result
from psycopg import sql

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.cli.main import cli
from secrets_adapter.rotation.connections import (
    CredentialSource,
    RotatingConnector,
    database_credentials,
)
from tests.fixtures.postgres import PostgresServer

pytestmark = pytest.mark.slow

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gaara_store" / ".env.example"
NAME = "gaara/prod/database-url"
ADMIN = "gaara/prod/database-admin-url"
DEMO_PASSWORD = "demo-Pa55word"  # what the demo's .env holds
_roles = itertools.count(1)


def sa(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def _demo_url() -> str:
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.startswith("DATABASE_URL="):
            return line.removeprefix("DATABASE_URL=")
    raise AssertionError("the demo's .env has no DATABASE_URL")


def _gaara_database(server: PostgresServer, role: str) -> None:
    """The demo's database and a login role with the demo's password (unique per test)."""
    with psycopg.connect(**server.connect_kwargs(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'gaara_store'")
        if exists.fetchone() is None:
            conn.execute("CREATE DATABASE gaara_store")
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(DEMO_PASSWORD)
            )
        )
    with psycopg.connect(**server.connect_kwargs(dbname="gaara_store"), autocommit=True) as conn:
        table = sql.Identifier(f"orders_{role}")
        conn.execute(sql.SQL("CREATE TABLE {} (id int)").format(table))
        conn.execute(sql.SQL("INSERT INTO {} VALUES (1), (2)").format(table))
        conn.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(table, sql.Identifier(role)))


def _migrated_url(
    tmp_path: Path, server: PostgresServer, role: str, scheme: str, query: str
) -> str:
    """Migrate the demo's .env (its DATABASE_URL pointed at this cluster) and read the URL back."""
    demo = urlsplit(_demo_url())
    assert demo.password == DEMO_PASSWORD and demo.path == "/gaara_store"
    url = f"{scheme}://{role}:{demo.password}@{server.host}:{server.port}{demo.path}{query}"
    text = ENV_EXAMPLE.read_text().replace(_demo_url(), url)
    env_file = tmp_path / ".env"
    env_file.write_text(text)
    applied = sa(
        "migrate", "apply", "--no-interpolate", "--from", str(env_file), "--prefix", "gaara/prod"
    )
    assert applied.exit_code == 0, applied.output
    stored = sa("get", NAME)
    assert stored.exit_code == 0 and stored.stdout.strip() == url
    return url


def _count(url: str, role: str) -> int:
    """The app logging in with ``url``: libpq for plain URLs, SQLAlchemy for ``+driver`` ones."""
    table = f"orders_{role}"
    if "+" in urlsplit(url).scheme:
        engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
        orders = sqlalchemy.table(table)
        try:
            with engine.connect() as conn:
                query = sqlalchemy.select(sqlalchemy.func.count()).select_from(orders)
                return int(conn.execute(query).scalar_one())
        finally:
            engine.dispose()
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        return int(row.fetchone()[0])  # type: ignore[index]


def _same_but_login(before: str, after: str) -> None:
    old, new = urlsplit(before), urlsplit(after)
    assert (new.scheme, new.hostname, new.port, new.path, new.query) == (
        old.scheme, old.hostname, old.port, old.path, old.query,
    )  # fmt: skip
    assert new.password is not None and unquote(new.password) != unquote(old.password or "")


URL_FORMS = [
    pytest.param("postgresql", "", id="demo-url"),
    pytest.param(
        "postgresql+psycopg", "?sslmode=disable&application_name=gaara-store", id="driver-query"
    ),
]


@pytest.mark.parametrize(("scheme", "query"), URL_FORMS)
def test_single_user_rotation_of_the_migrated_url(
    cli_store: Path, tmp_path: Path, postgres_server: PostgresServer, scheme: str, query: str
) -> None:
    role = f"gaara_url_{next(_roles)}"
    _gaara_database(postgres_server, role)
    before = _migrated_url(tmp_path, postgres_server, role, scheme, query)
    assert _count(before, role) == 2
    assert sa("rotation", "configure", NAME, "--rotator", "postgres").exit_code == 0
    rotated = sa("rotate", NAME)
    assert rotated.exit_code == 0, rotated.output
    after = sa("get", NAME).stdout.strip()
    _same_but_login(before, after)
    assert urlsplit(after).username == role
    assert _count(after, role) == 2, "the app logs in with the new URL"
    with pytest.raises((psycopg.OperationalError, sqlalchemy.exc.OperationalError)):
        _count(before, role)
    assert DEMO_PASSWORD not in rotated.output


@pytest.mark.parametrize(("scheme", "query"), URL_FORMS)
def test_alternating_rotation_of_the_migrated_url(
    cli_store: Path, tmp_path: Path, postgres_server: PostgresServer, scheme: str, query: str
) -> None:
    role = f"gaara_alt_{next(_roles)}"
    _gaara_database(postgres_server, role)
    first = _migrated_url(tmp_path, postgres_server, role, scheme, query)
    server = postgres_server
    admin = (
        f"postgresql://{server.superuser}:{server.password}@{server.host}:{server.port}/postgres"
    )
    assert sa("put", ADMIN, stdin=admin).exit_code == 0
    configured = sa(
        "rotation", "configure", NAME, "--rotator", "postgres",
        "--strategy", "alternating", "--master-secret", ADMIN,
    )  # fmt: skip
    assert configured.exit_code == 0, configured.output
    assert sa("rotate", NAME).exit_code == 0
    second = sa("get", NAME).stdout.strip()
    _same_but_login(first, second)
    assert urlsplit(second).username == f"{role}_clone"
    assert _count(second, role) == 2 and _count(first, role) == 2, "both logins valid"
    assert sa("rotate", NAME).exit_code == 0
    third = sa("get", NAME).stdout.strip()
    _same_but_login(second, third)
    assert urlsplit(third).username == role and _count(third, role) == 2
    with pytest.raises((psycopg.OperationalError, sqlalchemy.exc.OperationalError)):
        _count(first, role)  # the base role's password changed on the second rotation


def test_a_url_that_is_not_postgres_fails_at_create_and_keeps_current(cli_store: Path) -> None:
    url = "mysql://gaara:secret-pass@127.0.0.1:3306/gaara_store"
    assert sa("put", NAME, stdin=url).exit_code == 0
    assert sa("rotation", "configure", NAME, "--rotator", "postgres").exit_code == 0
    rotated = sa("rotate", NAME)
    assert rotated.exit_code != 0
    assert "is not a PostgreSQL URL: its scheme 'mysql'" in rotated.output
    assert sa("get", NAME).stdout.strip() == url
    assert "secret-pass" not in rotated.output


def test_a_rotating_connector_follows_the_url_and_keeps_its_parameters(
    cli_store: Path, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    role = f"gaara_conn_{next(_roles)}"
    _gaara_database(postgres_server, role)
    query = "?sslmode=disable&application_name=gaara-store"
    _migrated_url(tmp_path, postgres_server, role, "postgresql+psycopg", query)
    app = SecretsAdapter(backend="local", path=cli_store, cache=False)
    source = CredentialSource(database_credentials(app, NAME), min_interval=timedelta(0))
    connector = RotatingConnector(source, connect_timeout=5)
    with connector.connect() as conn:
        assert conn.execute("SHOW application_name").fetchone() == ("gaara-store",)
    assert sa("rotation", "configure", NAME, "--rotator", "postgres").exit_code == 0
    assert sa("rotate", NAME).exit_code == 0  # another process: the app's login is now stale
    with connector.connect() as conn:
        assert conn.execute("SELECT current_user").fetchone() == (role,)
        assert conn.execute("SHOW application_name").fetchone() == ("gaara-store",)
    assert connector.recovered == 1
    app.close()
