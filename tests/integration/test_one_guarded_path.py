"""One guarded path: every CLI command and every public method of ``SecretsAdapter`` and of
``AsyncSecretsAdapter`` that touches a value or a version goes through the policy and the audit
log.

Two explicit tables say, for each command and each public attribute, which audit event it leaves
(or why it touches no secret). The tables must cover exactly what exists: adding a command or a
method without classifying it here fails ``test_*_table_covers_*``. Each audited row then runs
on a real local store under a deny-all policy (refused, and a denial record with its event) and
under an allow-all policy (done, and a success record with its event).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from secrets_adapter import (
    AsyncSecretsAdapter,
    PolicyDeniedError,
    SecretsAdapter,
    SecretsAdapterError,
    sign_token,
)
from secrets_adapter.cli.main import cli
from tests.sentinel import SENTINEL

DENY_ALL = """
[[statement]]
effect = "deny"
principals = ["*"]
actions = ["*"]
secrets = ["*"]
"""

ALLOW_ALL = """
[[statement]]
effect = "allow"
principals = ["tester"]
actions = ["*"]
secrets = ["*"]
"""

NOT_A_SECRET_ACCESS = {
    "audit checkpoint": "reads the audit log, not the store",
    "audit hash": "fingerprints the value given on stdin; opens no store",
    "audit query": "reads the audit log, not the store",
    "audit verify": "reads the audit log, not the store",
    "aws bootstrap": "provisions AWS with the operator's credentials (CloudTrail records it); "
    "the adapter's in-process policy is the application principal's, not the operator's",
    "cost": "arithmetic over a price list; opens no store",
    "init": "creates an empty store; there is no secret yet",
    "monitoring cloudwatch": "renders alarm definitions; opens no store",
    "monitoring rules": "prints the alert rules; opens no store",
    "policy aws": "renders a policy document; opens no store",
    "policy check": "checks a policy document; opens no store",
    "policy vault": "renders a policy document; opens no store",
    "rotate-master-key": "re-wraps data keys with the master key itself (which no in-process "
    "policy can withhold from its holder); reads and writes no value",
}


@dataclass(frozen=True, slots=True)
class Run:
    """One audited way to run a command: its arguments, stdin, and the record it must leave."""

    args: tuple[str, ...]
    event: str
    stdin: str | None = None
    done: int = 0
    """The exit code when allowed (4: diff and verify report the drift they find)."""


AUDITED_COMMANDS: dict[str, list[Run]] = {
    "agent": [Run(("agent", "--listen", "127.0.0.1:0", "--watch-interval", "0"), "GetSecretValue")],
    "render": [Run(("render", "app.tmpl", "--out", "app.conf"), "GetSecretValue")],
    "copy": [Run(("copy", "--from", "local", "--to", "local", "--to-path", "copy"), "ListSecrets")],
    "delete": [
        Run(("delete", "app/db"), "DeleteSecret"),
        Run(("delete", "app/db", "--force", "--yes"), "DeleteSecret"),
    ],
    "describe": [Run(("describe", "app/db"), "DescribeSecret")],
    "diff": [Run(("diff", "--from", "app.env"), "ListSecrets", done=4)],
    "exec": [Run(("exec", "--", sys.executable, "-c", "pass"), "ListSecrets")],
    "export": [Run(("export", "--format", "json"), "ListSecrets")],
    "get": [Run(("get", "app/db"), "GetSecretValue")],
    "list": [Run(("list",), "ListSecrets")],
    "metrics serve": [
        Run(("metrics", "serve", "--no-auth", "--port", "0", "--requests", "1"), "ListSecrets")
    ],
    "migrate apply": [Run(("migrate", "apply", "--from", "app.env"), "GetSecretValue")],
    "migrate plan": [Run(("migrate", "plan", "--from", "app.env"), "GetSecretValue")],
    "migrate verify": [Run(("migrate", "verify", "--from", "app.env"), "GetSecretValue", done=4)],
    "put": [Run(("put", "app/db"), "PutSecretValue", stdin=SENTINEL)],
    "restore": [Run(("restore", "app/gone"), "RestoreSecret")],
    "rollback": [Run(("rollback", "--to", "back.env"), "ListSecrets")],
    "rotate": [
        Run(("rotate", "app/key"), "RotateSecret"),
        Run(("rotate", "app/key", "--restart"), "RotateSecret"),
        Run(("rotate", "--due"), "ListSecrets"),
    ],
    "rotation configure": [
        Run(("rotation", "configure", "app/key", "--rotator", "random"), "TagResource")
    ],
    "rotation status": [Run(("rotation", "status", "app/key"), "DescribeSecret")],
    # an unknown key id: read (and recorded), then refused by the key ring itself (exit 2)
    "rotation retire": [
        Run(("rotation", "retire", "app/ring", "no-such-key", "--force"), "GetSecretValue", done=2)
    ],
    "status": [Run(("status",), "ListSecrets")],
    "versions": [Run(("versions", "app/db"), "DescribeSecret")],
}


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[str]:
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield " ".join((*path, name))


def test_the_command_table_covers_every_command() -> None:
    every = set(_commands(cli))
    classified = AUDITED_COMMANDS.keys() | NOT_A_SECRET_ACCESS.keys()
    assert every - classified == set(), "classify the new command in this module's tables"
    assert classified - every == set(), "a classified command no longer exists"
    assert not AUDITED_COMMANDS.keys() & NOT_A_SECRET_ACCESS.keys()


# --- the store each row runs against ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Workplace:
    root: Path
    log: Path
    policies: dict[str, Path]


def _records(log: Path) -> list[tuple[str, str]]:
    if not log.exists():
        return []
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    return [(row["eventName"], row.get("outcome", "success")) for row in rows]


@pytest.fixture
def workplace(
    cli_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Workplace]:
    """A local store holding app/db, app/key (rotation configured) and app/gone (scheduled for
    deletion), a .env for migrate and diff, a second store for copy, and two policy files."""
    with SecretsAdapter("local", path=cli_store, cache=False) as admin:
        admin.put_secret("app/db", {"user": "u", "password": "p" * 16})
        admin.put_secret("app/db-password", "in-the-store-" + "x" * 8)
        admin.put_secret("app/key", "key:" + "k" * 28)  # not base64: random may replace it
        admin.configure_rotation("app/key", rotator="random")
        admin.put_secret("app/ring", base64.b64encode(b"r" * 32).decode())  # a data key
        admin.configure_rotation("app/ring", rotator="keyring")
        admin.rotate_secret("app/ring")  # a ring of two: the first key may be retired
        admin.put_secret("app/gone", "g" * 16)
        admin.delete_secret("app/gone")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.env").write_text(f"DB_PASSWORD={SENTINEL}\n")
    (tmp_path / "app.tmpl").write_text('{{ secret("db", "password") }}\n')
    copy = CliRunner().invoke(cli, ["--path", str(tmp_path / "copy"), "init"])
    assert copy.exit_code == 0, copy.output
    policies = {"deny": tmp_path / "deny.toml", "allow": tmp_path / "allow.toml"}
    policies["deny"].write_text(DENY_ALL)
    policies["allow"].write_text(ALLOW_ALL)
    log = tmp_path / "audit" / "access.jsonl"
    monkeypatch.setenv("SECRETS_ADAPTER_AUDIT_LOG", str(log))
    monkeypatch.setenv("SECRETS_ADAPTER_PRINCIPAL", "tester")
    monkeypatch.setenv("SECRETS_MANAGER_PREFIX", "app")
    yield Workplace(root=tmp_path, log=log, policies=policies)


def _run_cli(run: Run) -> int:
    if run.args[:2] == ("metrics", "serve"):
        return _serve_one_scrape(run.args)
    if run.args[0] == "agent":
        return _agent_one_read(run.args)
    return CliRunner().invoke(cli, list(run.args), input=run.stdin).exit_code


def _serve_one_scrape(args: tuple[str, ...]) -> int:
    """``metrics serve`` in its own process, scraped once (its refresh reads the store)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "secrets_adapter", *args],
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    watchdog = threading.Timer(60, server.kill)  # a server that never says its port fails
    watchdog.start()
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        port = int(line.rsplit(":", 1)[1].split("/", 1)[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as page:
            page.read()
        return server.wait(timeout=10)
    finally:
        watchdog.cancel()
        if server.poll() is None:
            server.kill()
            server.wait()


def _agent_one_read(args: tuple[str, ...]) -> int:
    """``agent`` in its own process, asked for one secret, then stopped with SIGTERM: its exit
    code, or 1 when the read was refused (the agent itself keeps serving)."""
    token = "guarded-path-token-0123456789"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"AWS_TOKEN": token}
    server = subprocess.Popen(
        [sys.executable, "-m", "secrets_adapter", *args], stderr=subprocess.PIPE, text=True, env=env
    )
    watchdog = threading.Timer(60, server.kill)
    watchdog.start()
    try:
        assert server.stderr is not None
        line = server.stderr.readline()  # "secrets-adapter agent: listening on http://HOST:PORT"
        port = int(line.rsplit(":", 1)[1])
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/db", headers={"X-Aws-Parameters-Secrets-Token": token}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as page:  # noqa: S310
                page.read()
            refused = False
        except urllib.error.HTTPError:
            refused = True
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=20)
        return 1 if refused else code
    finally:
        watchdog.cancel()
        if server.poll() is None:
            server.kill()
            server.wait()


CLI_ROWS = [
    pytest.param(run, id=" ".join(run.args[:3]))
    for runs in AUDITED_COMMANDS.values()
    for run in runs
]


@pytest.mark.parametrize("run", CLI_ROWS)
def test_each_command_is_refused_and_logged_under_a_deny_all_policy(
    run: Run, workplace: Workplace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRETS_ADAPTER_POLICY", str(workplace.policies["deny"]))
    code = _run_cli(run)
    records = _records(workplace.log)
    assert (run.event, "denied") in records, records
    assert all(outcome != "success" for _, outcome in records), records
    if run.args[:2] != ("metrics", "serve"):  # the server keeps serving; its scrape is empty
        assert code != 0


@pytest.mark.parametrize("run", CLI_ROWS)
def test_each_command_is_done_and_logged_under_an_allowing_policy(
    run: Run, workplace: Workplace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRETS_ADAPTER_POLICY", str(workplace.policies["allow"]))
    assert _run_cli(run) == run.done
    records = _records(workplace.log)
    assert (run.event, "success") in records, records
    assert all(outcome != "denied" for _, outcome in records), records


# --- the public methods ------------------------------------------------------------------------

NO_VALUE_NO_VERSION = {
    "backend": "the backend's kind, a word",
    "close": "releases connections",
    "events": "subscribes listeners to events, which never hold a value",
    "from_env": "a constructor",
    "invalidate": "forgets a cached entry; the next read is checked and recorded",
    "prefix": "configuration",
    "qualify": "a name, not a secret",
    "redaction_filter": "masks values already served (and recorded)",
    "served_values": "the values already served (and recorded), for the redaction filter",
    "settings": "configuration (a master key or token in it is a SecretValue, masked)",
}

Call = Callable[[SecretsAdapter], Any]

AUDITED_METHODS: dict[str, list[tuple[Call, str]]] = {
    "configure_rotation": [
        (lambda a: a.configure_rotation("app/key", rotator="random"), "TagResource")
    ],
    "delete_secret": [
        (lambda a: a.delete_secret("app/db"), "DeleteSecret"),
        (lambda a: a.delete_secret("app/db", force=True), "DeleteSecret"),
    ],
    "describe_secret": [(lambda a: a.describe_secret("app/db"), "DescribeSecret")],
    "get": [(lambda a: a.get("app/db"), "GetSecretValue")],
    "get_many": [
        (lambda a: a.get_many(["app/db"]), "GetSecretValue"),
        (lambda a: _raise_any(a.get_many(["app/db"], errors="return")), "GetSecretValue"),
    ],
    "get_secret": [(lambda a: a.get_secret("app/db"), "GetSecretValue")],
    "get_secret_value": [(lambda a: a.get_secret_value("app/db", "user"), "GetSecretValue")],
    "list_secrets": [(lambda a: a.list_secrets(), "ListSecrets")],
    "load_snapshot": [(lambda a: a.load_snapshot(_snapshot_of_db()), "PutSecretValue")],
    "preload": [(lambda a: a.preload(["app/db"]), "GetSecretValue")],
    "put_secret": [(lambda a: a.put_secret("app/db", "new-value"), "PutSecretValue")],
    "put_many": [
        (lambda a: a.put_many({"app/db": "new-value"}), "PutSecretValue"),
        (lambda a: _raise_any(a.put_many({"app/db": "v"}, errors="return")), "PutSecretValue"),
    ],
    "resolve_env": [(lambda a: a.resolve_env({"DB": "secret://app/db#user"}), "GetSecretValue")],
    "restore_secret": [(lambda a: a.restore_secret("app/gone"), "RestoreSecret")],
    "keyring": [(lambda a: a.keyring("app/ring").encrypt(b"order"), "GetSecretValue")],
    "jwt_keys": [(lambda a: a.jwt_keys("app/key"), "GetSecretValue")],
    "jwt_verifier": [
        (
            lambda a: a.jwt_verifier("app/key").verify(
                sign_token(a.jwt_keys("app/key"), {"sub": "1"})
            ),
            "GetSecretValue",
        )
    ],
    "retire_key": [
        (
            lambda a: a.retire_key("app/ring", a.get_secret("app/ring")["keys"][0]["id"]),
            "GetSecretValue",
        )
    ],
    "rotate_secret": [
        (lambda a: a.rotate_secret("app/key"), "RotateSecret"),
        (lambda a: a.rotate_secret("app/key", restart=True), "RotateSecret"),
    ],
    "snapshot_secret": [(lambda a: a.snapshot_secret("app/db"), "GetSecretValue")],
}


def _raise_any(outcome: dict[str, Any]) -> None:
    for item in outcome.values():
        if isinstance(item, SecretsAdapterError):
            raise item


def _snapshot_of_db() -> Any:
    """A snapshot read from a second, unguarded adapter over the same store (set by the
    fixture), to be loaded by the adapter under test."""
    return _SNAPSHOT[0]


_SNAPSHOT: list[Any] = []


def test_the_method_table_covers_every_public_attribute() -> None:
    public = {name for name in dir(SecretsAdapter) if not name.startswith("_")}
    classified = AUDITED_METHODS.keys() | NO_VALUE_NO_VERSION.keys()
    assert public - classified == set(), "classify the new public method in this module's tables"
    assert classified - public == set(), "a classified method no longer exists"


METHOD_ROWS = [
    pytest.param(call, event, id=f"{name}-{index}")
    for name, calls in AUDITED_METHODS.items()
    for index, (call, event) in enumerate(calls)
]


def _adapter(workplace: Workplace, policy: str, store: Path) -> SecretsAdapter:
    with SecretsAdapter("local", path=store, cache=False) as unguarded:
        _SNAPSHOT[:] = [unguarded.snapshot_secret("app/db")]
    return SecretsAdapter(
        "local",
        path=store,
        principal="tester",
        policy=workplace.policies[policy],
        audit_log=workplace.log,
    )


@pytest.mark.parametrize(("call", "event"), METHOD_ROWS)
def test_each_method_is_refused_and_logged_under_a_deny_all_policy(
    call: Call, event: str, workplace: Workplace, cli_store: Path
) -> None:
    with _adapter(workplace, "deny", cli_store) as adapter, pytest.raises(PolicyDeniedError):
        call(adapter)
    records = _records(workplace.log)
    assert (event, "denied") in records, records
    assert all(outcome != "success" for _, outcome in records), records


@pytest.mark.parametrize(("call", "event"), METHOD_ROWS)
def test_each_method_is_done_and_logged_under_an_allowing_policy(
    call: Call, event: str, workplace: Workplace, cli_store: Path
) -> None:
    with _adapter(workplace, "allow", cli_store) as adapter:
        call(adapter)
    records = _records(workplace.log)
    assert (event, "success") in records, records
    assert all(outcome != "denied" for _, outcome in records), records


# --- the asynchronous face -----------------------------------------------------------------------

ASYNC_NO_VALUE_NO_VERSION = {
    **{name: why for name, why in NO_VALUE_NO_VERSION.items() if name != "close"},
    "aclose": "releases connections and the thread pool",
}

AsyncCall = Callable[[AsyncSecretsAdapter], Awaitable[Any]]


async def _async_raise_any(pending: Awaitable[dict[str, Any]]) -> None:
    _raise_any(await pending)


ASYNC_AUDITED_METHODS: dict[str, list[tuple[AsyncCall, str]]] = {
    "configure_rotation": [
        (lambda a: a.configure_rotation("app/key", rotator="random"), "TagResource")
    ],
    "delete_secret": [
        (lambda a: a.delete_secret("app/db"), "DeleteSecret"),
        (lambda a: a.delete_secret("app/db", force=True), "DeleteSecret"),
    ],
    "describe_secret": [(lambda a: a.describe_secret("app/db"), "DescribeSecret")],
    "get": [(lambda a: a.get("app/db"), "GetSecretValue")],
    "get_many": [
        (lambda a: a.get_many(["app/db"]), "GetSecretValue"),
        (lambda a: _async_raise_any(a.get_many(["app/db"], errors="return")), "GetSecretValue"),
    ],
    "get_secret": [(lambda a: a.get_secret("app/db"), "GetSecretValue")],
    "get_secret_value": [(lambda a: a.get_secret_value("app/db", "user"), "GetSecretValue")],
    "list_secrets": [(lambda a: a.list_secrets(), "ListSecrets")],
    "preload": [(lambda a: a.preload(["app/db"]), "GetSecretValue")],
    "put_secret": [(lambda a: a.put_secret("app/db", "new-value"), "PutSecretValue")],
    "restore_secret": [(lambda a: a.restore_secret("app/gone"), "RestoreSecret")],
    "rotate_secret": [
        (lambda a: a.rotate_secret("app/key"), "RotateSecret"),
        (lambda a: a.rotate_secret("app/key", restart=True), "RotateSecret"),
    ],
}


def test_the_async_method_table_covers_every_public_attribute() -> None:
    public = {name for name in dir(AsyncSecretsAdapter) if not name.startswith("_")}
    classified = ASYNC_AUDITED_METHODS.keys() | ASYNC_NO_VALUE_NO_VERSION.keys()
    assert public - classified == set(), "classify the new public method in this module's tables"
    assert classified - public == set(), "a classified method no longer exists"


ASYNC_METHOD_ROWS = [
    pytest.param(call, event, id=f"async-{name}-{index}")
    for name, calls in ASYNC_AUDITED_METHODS.items()
    for index, (call, event) in enumerate(calls)
]


def _run_async(workplace: Workplace, policy: str, store: Path, call: AsyncCall) -> None:
    async def main() -> None:
        async with AsyncSecretsAdapter(
            "local",
            path=store,
            principal="tester",
            policy=workplace.policies[policy],
            audit_log=workplace.log,
        ) as adapter:
            await call(adapter)

    asyncio.run(main())


@pytest.mark.parametrize(("call", "event"), ASYNC_METHOD_ROWS)
def test_each_async_method_is_refused_and_logged_under_a_deny_all_policy(
    call: AsyncCall, event: str, workplace: Workplace, cli_store: Path
) -> None:
    with pytest.raises(PolicyDeniedError):
        _run_async(workplace, "deny", cli_store, call)
    records = _records(workplace.log)
    assert (event, "denied") in records, records
    assert all(outcome != "success" for _, outcome in records), records


@pytest.mark.parametrize(("call", "event"), ASYNC_METHOD_ROWS)
def test_each_async_method_is_done_and_logged_under_an_allowing_policy(
    call: AsyncCall, event: str, workplace: Workplace, cli_store: Path
) -> None:
    _run_async(workplace, "allow", cli_store, call)
    records = _records(workplace.log)
    assert (event, "success") in records, records
    assert all(outcome != "denied" for _, outcome in records), records
