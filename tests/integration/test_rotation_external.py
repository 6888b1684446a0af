"""The ``external`` rotator end to end: a real hook script, a real local HTTP server standing in for
the issuer (Stripe, SendGrid…), the CLI on a real local store. Without a hook, ``rotate`` refuses
with the manual procedure; either way the overdue alert fires when the interval passes."""

from __future__ import annotations

import json
import secrets
import stat
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from secrets_adapter import SecretsAdapter, SecretValue
from secrets_adapter.cli.context import CliContext
from secrets_adapter.cli.main import cli
from secrets_adapter.clock import utcnow
from secrets_adapter.monitoring import AlertEngine, default_rules
from secrets_adapter.rotation.schedule import rotation_schedule
from secrets_adapter.testing import InMemoryProvider
from tests.unit.rotation.helpers import FakeClock, Recorder

NAME = "gaara/prod/stripe-api-key"

HOOK = r'''#!{python}
"""A rotation hook as an operator would write it: talks to the issuer over HTTP."""
import json, os, sys, time, urllib.request

if len(sys.argv) != 1:
    sys.exit(9)  # the protocol passes nothing on the command line
if "VAULT_TOKEN" in os.environ:
    sys.exit(8)  # nor the store's own credentials
request = json.load(sys.stdin)
step = os.environ["SECRETS_ADAPTER_ROTATION_STEP"]
assert step == request["step"] and os.environ["SECRETS_ADAPTER_SECRET_NAME"] == request["secret"]
if os.environ.get("HOOK_SLEEP_AT") == step:
    time.sleep(30)
issuer = os.environ["ISSUER_URL"]


def call(method, path, body=None, key=None):
    req = urllib.request.Request(issuer + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    req.add_header("Idempotency-Key", request["token"])
    try:
        with urllib.request.urlopen(req, timeout=5) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


if step == "create":
    if os.environ.get("HOOK_GARBAGE"):
        print("not json at all")
        sys.exit(0)
    status, made = call("POST", "/keys", key=request["current"])
    if status != 201:
        sys.exit(2)
    print(json.dumps({{"value": made["key"]}}))
elif step == "test":
    status, _ = call("GET", "/me", key=request["pending"])
    sys.exit(0 if status == 200 else 3)
elif step == "finish":
    if request["previous"]:
        status, _ = call("POST", "/revoke", {{"key": request["previous"]}}, key=request["pending"])
        sys.exit(0 if status == 200 else 4)
'''


@dataclass
class Issuer:
    """The third party: issues keys, answers /me for a valid key, revokes keys."""

    adapter_path: Path | None = None
    active: set[str] = field(default_factory=set)
    revoked: set[str] = field(default_factory=set)
    by_token: dict[str, str] = field(default_factory=dict)
    created: int = 0
    reject_new_keys: bool = False
    current_at_revoke: list[str] = field(default_factory=list)

    def issue(self, token: str | None = None) -> str:
        if token is not None and token in self.by_token:
            return self.by_token[token]  # idempotent, as Stripe's Idempotency-Key
        key = "sk_test_" + secrets.token_urlsafe(24)
        self.created += 1
        self.active.add(key)
        if token is not None:
            self.by_token[token] = key
        return key


def _handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            """No request log."""

        def _key(self) -> str:
            return self.headers.get("Authorization", "").removeprefix("Bearer ")

        def _reply(self, status: int, body: Any = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            ok = self.path == "/me" and self._key() in issuer.active
            ok = ok and not issuer.reject_new_keys
            self._reply(200 if ok else 401, {"ok": ok})

        def do_POST(self) -> None:
            if self._key() not in issuer.active:
                self._reply(401)
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            if self.path == "/keys":
                key = issuer.issue(self.headers.get("Idempotency-Key"))
                self._reply(201, {"key": key})
            elif self.path == "/revoke":
                if issuer.adapter_path is not None:  # what the store served at that moment
                    reader = SecretsAdapter(backend="local", path=issuer.adapter_path, cache=False)
                    issuer.current_at_revoke.append(reader.get_secret_value(NAME))
                    reader.close()
                issuer.active.discard(body["key"])
                issuer.revoked.add(body["key"])
                self._reply(200, {})
            else:
                self._reply(404)

    return Handler


@pytest.fixture
def issuer(monkeypatch: pytest.MonkeyPatch) -> Iterator[Issuer]:
    state = Issuer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("ISSUER_URL", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def hook(tmp_path: Path) -> Path:
    path = tmp_path / "stripe-rotation-hook"
    path.write_text(HOOK.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def sa(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def _value(stage: str = "current") -> str:
    return sa("get", NAME, "--stage", stage).stdout.strip()


def _configured(hook: Path, *extra: str) -> None:
    done = sa(
        "rotation", "configure", NAME, "--rotator", "external", "--hook", str(hook),
        "--every", "30d", *extra,
    )  # fmt: skip
    assert done.exit_code == 0, done.output


def test_the_hook_rotates_the_key_at_the_issuer(
    cli_store: Path, issuer: Issuer, hook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAULT_TOKEN", "the-store-credential-no-hook-may-see")
    issuer.adapter_path = cli_store
    old = issuer.issue()
    assert sa("put", NAME, stdin=old).exit_code == 0
    _configured(hook)
    rotated = sa("rotate", NAME)
    assert rotated.exit_code == 0, rotated.output
    new = _value()
    assert new != old and new in issuer.active and new.startswith("sk_test_")
    assert _value("previous") == old
    assert old in issuer.revoked, "finish told the issuer to revoke the old key"
    assert issuer.current_at_revoke == [new], "…only once the new key was current"
    assert issuer.created == 2
    assert old not in rotated.output and new not in rotated.output


def test_a_failed_test_keeps_current_serving_and_resumes(
    cli_store: Path, issuer: Issuer, hook: Path
) -> None:
    old = issuer.issue()
    sa("put", NAME, stdin=old)
    _configured(hook)
    issuer.reject_new_keys = True  # the issuer does not accept the key yet
    failed = sa("rotate", NAME)
    assert failed.exit_code != 0
    assert "at step 'test'" in failed.output and "exited with code 3" in failed.output
    assert _value() == old and old in issuer.active and not issuer.revoked
    assert "failed at step test" in sa("rotation", "status", NAME).stdout
    issuer.reject_new_keys = False
    resumed = sa("rotate", NAME)
    assert resumed.exit_code == 0, resumed.output
    assert _value() != old and issuer.revoked == {old}
    assert issuer.created == 2, "the retry did not mint a second key"


@pytest.mark.parametrize(
    ("env", "option", "message"),
    [
        ({"HOOK_GARBAGE": "1"}, (), 'printed no {"value"'),
        ({"HOOK_SLEEP_AT": "create"}, ("--option", "hook-timeout=1"), "did not finish within 1 s"),
    ],
)
def test_bad_output_or_a_timeout_fails_at_create(
    cli_store: Path,
    issuer: Issuer,
    hook: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    option: tuple[str, ...],
    message: str,
) -> None:
    old = issuer.issue()
    sa("put", NAME, stdin=old)
    _configured(hook, *option)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    failed = sa("rotate", NAME)
    assert failed.exit_code != 0 and "at step 'create'" in failed.output
    assert message in failed.output
    assert _value() == old and not issuer.revoked


def test_without_a_hook_rotate_refuses_with_what_to_do_by_hand(cli_store: Path) -> None:
    assert sa("put", NAME, stdin="sk_test_old_key_value").exit_code == 0
    assert sa("rotation", "configure", NAME, "--rotator", "external").exit_code == 0
    refused = sa("rotate", NAME)
    assert refused.exit_code != 0
    text = " ".join(refused.output.split())
    assert "create a new key in the provider's console" in text
    assert f"'secrets-adapter put {NAME}'" in text and "stays 'previous'" in text
    assert "sk_test_old_key_value" not in refused.output
    assert _value() == "sk_test_old_key_value"
    assert "unfinished" not in sa("rotation", "status", NAME).stdout, "a refusal, not a failure"
    assert sa("put", NAME, stdin="sk_test_new_key_value").exit_code == 0  # the manual rotation
    assert (_value(), _value("previous")) == ("sk_test_new_key_value", "sk_test_old_key_value")


@pytest.mark.parametrize("with_hook", [True, False], ids=["hook", "by-hand"])
def test_the_overdue_alert_fires_when_the_interval_passes(
    issuer: Issuer, hook: Path, with_hook: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    now = utcnow()
    clock = FakeClock(now=now - timedelta(days=31))
    alerts = AlertEngine(default_rules(rotation_max_age=timedelta(days=30)), clock=clock)
    events = Recorder()
    provider = InMemoryProvider(clock=clock)
    adapter = SecretsAdapter(provider=provider, clock=clock, listeners=[alerts, events])
    adapter.put_secret(NAME, SecretValue(issuer.issue()))
    options = {"hook": str(hook)} if with_hook else {}
    adapter.configure_rotation(NAME, rotator="external", every=timedelta(days=30), options=options)
    if with_hook:
        adapter.rotate_secret(NAME)
        assert events.statuses()[-1] == "finished"
    schedule = rotation_schedule(adapter.describe_secret(NAME))
    assert schedule.last_rotated == clock.now
    assert schedule.next_rotation is not None and schedule.next_rotation < now
    alerts.note_rotation(NAME, schedule.last_rotated)
    firing = alerts.evaluate(now)
    assert [(note.rule_id, note.secrets) for note in firing] == [("rotation-overdue", (NAME,))]
    cli.main(
        args=["status", "--json"],
        prog_name="secrets-adapter",
        obj=CliContext(_adapter=adapter),
        standalone_mode=False,
    )
    (row,) = json.loads(capsys.readouterr().out)
    assert row["problem"] == "rotation overdue"
