"""The webhook sink against real HTTP servers on 127.0.0.1: a working, a slow and a failing one."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from secrets_adapter import SecretNotFoundError, SecretsAdapter
from secrets_adapter.monitoring import (
    AlertEngine,
    AlertNotification,
    AlertStatus,
    BackgroundSink,
    Severity,
    WebhookDeliveryError,
    WebhookSink,
    default_rules,
)
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL
from tests.unit.monitoring.events import T0


@dataclass
class Behaviour:
    """What the server does next: a list of status codes to answer in turn (last one repeats)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    hold: threading.Event | None = None  # when set, requests wait for it (a slow server)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@dataclass
class Server:
    url: str
    behaviour: Behaviour


@pytest.fixture
def server() -> Iterator[Server]:
    behaviour = Behaviour()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            behaviour.bodies.append(body)
            if behaviour.hold is not None:
                behaviour.hold.wait(timeout=10)
            status = behaviour.next_status()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Server(url=f"http://127.0.0.1:{httpd.server_port}/T0KEN", behaviour=behaviour)
    finally:
        if behaviour.hold is not None:
            behaviour.hold.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def note() -> AlertNotification:
    return AlertNotification(
        rule_id="unauthorized-use",
        status=AlertStatus.FIRING,
        severity=Severity.CRITICAL,
        description="Unauthorized secret or key use.",
        key="*",
        at=T0,
        started_at=T0,
        count=1,
        secrets=("gaara/prod/jwt-secret-key",),
    )


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_posts_slack_compatible_json(server: Server) -> None:
    WebhookSink(url=server.url)(note())
    [body] = server.behaviour.bodies
    assert body["text"].startswith(":rotating_light: CRITICAL firing: unauthorized-use")
    assert body["alert"]["rule"] == "unauthorized-use"
    assert body["alert"]["secrets"] == ["gaara/prod/jwt-secret-key"]


def test_retries_5xx_with_backoff_then_succeeds(server: Server) -> None:
    server.behaviour.statuses = [503, 500, 200]
    sleeps = Sleeps()
    sink = WebhookSink(url=server.url, retries=2, backoff=timedelta(seconds=1), sleep=sleeps)
    sink(note())
    assert len(server.behaviour.bodies) == 3
    assert sleeps.waits == [1.0, 2.0]


def test_gives_up_after_retries_on_a_failing_server(server: Server) -> None:
    server.behaviour.statuses = [500]
    sink = WebhookSink(url=server.url, retries=2, sleep=Sleeps())
    with pytest.raises(WebhookDeliveryError, match="HTTP 500") as caught:
        sink(note())
    assert len(server.behaviour.bodies) == 3
    assert "T0KEN" not in str(caught.value), "only the host is named: webhook paths hold tokens"


def test_a_client_error_is_not_retried(server: Server) -> None:
    server.behaviour.statuses = [404]
    with pytest.raises(WebhookDeliveryError, match="HTTP 404"):
        WebhookSink(url=server.url, retries=3, sleep=Sleeps())(note())
    assert len(server.behaviour.bodies) == 1


def test_a_slow_server_times_out_each_attempt(server: Server) -> None:
    server.behaviour.hold = threading.Event()
    sink = WebhookSink(
        url=server.url, timeout=timedelta(milliseconds=200), retries=1, sleep=Sleeps()
    )
    with pytest.raises(WebhookDeliveryError, match=r"Timeout|timed out|URLError"):
        sink(note())
    assert len(server.behaviour.bodies) == 2


def test_nothing_listens_is_a_delivery_error() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = WebhookSink(url=f"http://127.0.0.1:{port}/", retries=1, sleep=Sleeps())
    with pytest.raises(WebhookDeliveryError):
        sink(note())


def test_only_http_urls() -> None:
    with pytest.raises(ValueError, match="http"):
        WebhookSink(url="file:///etc/passwd")


def make_adapter(sink: Any) -> tuple[SecretsAdapter, AlertEngine]:
    engine = AlertEngine(default_rules(), [sink])
    provider = InMemoryProvider({"gaara/prod/jwt-secret-key": SENTINEL})
    return SecretsAdapter(provider=provider, listeners=[engine]), engine


def test_a_failing_webhook_never_breaks_a_read(server: Server) -> None:
    server.behaviour.statuses = [500]
    adapter, engine = make_adapter(WebhookSink(url=server.url, retries=0))
    for _ in range(11):
        with pytest.raises(SecretNotFoundError):
            adapter.get_secret_value("gaara/prod/missing")
    assert engine.firing() == [("failed-retrievals", "*")]
    assert engine.sink_failures == 1
    assert adapter.get_secret_value("gaara/prod/jwt-secret-key") == SENTINEL
    assert all(SENTINEL not in json.dumps(body) for body in server.behaviour.bodies)


def test_a_slow_webhook_behind_a_background_sink_does_not_hold_up_reads(server: Server) -> None:
    hold = threading.Event()
    server.behaviour.hold = hold
    background = BackgroundSink(WebhookSink(url=server.url, timeout=timedelta(seconds=5)))
    adapter, engine = make_adapter(background)
    for _ in range(11):
        with pytest.raises(SecretNotFoundError):
            adapter.get_secret_value("gaara/prod/missing")
    # The alert fired and the reads returned while the server is still holding the request.
    assert engine.firing() == [("failed-retrievals", "*")]
    assert not hold.is_set()
    hold.set()
    background.flush()
    assert [body["alert"]["rule"] for body in server.behaviour.bodies] == ["failed-retrievals"]
