"""``SecretsAgent``: the AWS Secrets Manager Agent's HTTP API over any backend, on loopback.

Built on the standard library's ``ThreadingHTTPServer`` (HTTP/1.1 keep-alive, one thread per
connection): no dependency, and at the scale of one host's processes a thread per connection is
enough — the bound on connections (AWS's ``max_conn``, default 800) keeps it so. Every read goes
through a ``SecretsAdapter`` of the principal whose token was presented: the policy decides and
the audit trail records, exactly as for an in-process read.

What differs from AWS's agent: a write or rotation through the adapters given here invalidates
the cached secret at once, and (with ``watch_interval``) a version changed by any other process
is noticed at the next check instead of after the TTL.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.agent.auth import SSRF_HEADERS, TokenTable
from secrets_adapter.agent.protocol import (
    PATH_PREFIX,
    AgentReply,
    QueryError,
    error_reply,
    name_from_secret_id,
    parse_request_target,
    plain_reply,
    secret_reply,
    stage_for_label,
)
from secrets_adapter.agent.transport import AgentHTTPServer
from secrets_adapter.errors import ConfigurationError
from secrets_adapter.events import Event
from secrets_adapter.models import Stage
from secrets_adapter.watch import VersionWatch, written_secret

__all__ = ["DEFAULT_PORT", "SecretsAgent", "is_loopback"]

DEFAULT_PORT = 2773
_log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SecretsAgent:
    """Serves ``readers[principal].get(...)`` over HTTP to whoever presents that principal's token.

    ``readers`` maps each principal in ``tokens`` to its adapter (the caller opens and closes
    them); ``watch_interval`` (seconds, None = off) checks served versions against the backend.
    """

    def __init__(
        self,
        readers: Mapping[str, SecretsAdapter],
        tokens: TokenTable,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        max_connections: int = 800,
        allow_remote: bool = False,
        idle_timeout: float = 30.0,
        watch_interval: float | None = None,
        path_prefix: str = PATH_PREFIX,
        ssrf_headers: tuple[str, ...] = SSRF_HEADERS,
    ) -> None:
        missing = [p for p in tokens.names if p not in readers]
        if missing:
            raise ConfigurationError(f"No adapter for principal(s) {', '.join(missing)}.")
        if not allow_remote and not is_loopback(host):
            raise ConfigurationError(
                f"The agent listens on loopback only; {host!r} is not a loopback address. "
                "Listen on 127.0.0.1, or pass --allow-remote if something else (a firewall, a "
                "network namespace) keeps other hosts out."
            )
        if max_connections < 1:
            raise ConfigurationError("max_connections must be at least 1.")
        self._readers = dict(readers)
        self._tokens = tokens
        self._max_connections = max_connections
        self._idle_timeout = idle_timeout
        self._path_prefix = path_prefix
        self._ssrf_headers = ssrf_headers
        self._watch_interval = watch_interval
        self._lock = threading.Condition()
        self._connections: dict[socket.socket, bool] = {}  # socket → busy with a request
        self._in_flight = 0
        self._stopping = False
        self._started = time.monotonic()
        self._statuses: Counter[int] = Counter()
        self._rejected = 0
        self._invalidations = 0
        self._watches = {principal: VersionWatch(a) for principal, a in self._readers.items()}
        self._stop_watching = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server = AgentHTTPServer((host, port), self)

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Serve in background threads; ``stop`` ends it."""
        for adapter in self._distinct_adapters():
            adapter.events.subscribe(self._on_event)
        serving = threading.Thread(target=self._server.serve_forever, name="agent-accept")
        serving.start()
        self._threads.append(serving)
        if self._watch_interval:
            watching = threading.Thread(target=self._watch_loop, name="agent-watch", daemon=True)
            watching.start()
            self._threads.append(watching)
        _log.info("listening on http://%s:%d", *self.address)

    def stop(self, grace: float = 10.0) -> None:
        """Stop accepting, let requests under way finish (at most ``grace`` seconds), close."""
        with self._lock:
            self._stopping = True
            idle = [sock for sock, busy in self._connections.items() if not busy]
            _log.info("stopping: %d request(s) under way", self._in_flight)
        self._server.shutdown()
        self._server.server_close()  # new connections are refused from here on
        self._stop_watching.set()
        for sock in idle:  # a keep-alive connection waiting for its next request
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + grace
        with self._lock:
            while self._in_flight and time.monotonic() < deadline:
                self._lock.wait(max(0.0, deadline - time.monotonic()))
            left = list(self._connections)
        for sock in left:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=grace)
        for adapter in self._distinct_adapters():
            adapter.events.unsubscribe(self._on_event)
        _log.info("stopped")

    def __enter__(self) -> SecretsAgent:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- requests ----------------------------------------------------------------------------

    def answer(self, method: str, target: str, headers: Mapping[str, str]) -> AgentReply:
        """The reply to one request (checks in AWS's order: token, method, path)."""
        reply = self._answer(method, target, headers)
        with self._lock:
            self._statuses[reply.status] += 1
        return reply

    def _answer(self, method: str, target: str, headers: Mapping[str, str]) -> AgentReply:
        path = urlsplit(target).path
        if path == "/ping":  # AWS's health check: no token, says nothing but "healthy"
            return (
                plain_reply(200, "healthy") if method == "GET" else plain_reply(405, "Not allowed")
            )
        if headers.get("X-Forwarded-For") is not None:
            _log.warning("refused a request with X-Forwarded-For")
            return plain_reply(400, "Forwarded")
        principal = self._principal(headers)
        if principal is None:
            _log.warning("refused a request with a missing or wrong token")
            return plain_reply(403, "Bad Token")
        if method != "GET":
            return plain_reply(405, "Not allowed")
        if path == "/health":
            return self._health()
        if path == "/metrics":
            return AgentReply(
                status=200, body=self.metrics_text().encode(), content_type="text/plain"
            )
        try:
            query = parse_request_target(target, path_prefix=self._path_prefix)
        except QueryError as exc:
            return plain_reply(400, exc.message)
        if query is None:
            return plain_reply(404, "Not found")
        adapter = self._readers[principal]
        name = name_from_secret_id(query.secret_id)
        try:
            stage = stage_for_label(query.version_stage)
            secret = adapter.get(
                name, version=query.version_id, stage=stage, refresh=query.refresh_now
            )
        except Exception as exc:  # noqa: BLE001 - every failure becomes AWS's error shape
            _log.warning("read of %s for %s failed: %s", name, principal, type(exc).__name__)
            return error_reply(exc)
        if query.version_id is None and stage is Stage.CURRENT:
            self._watches[principal].note(secret.name, secret.version_id)
        return secret_reply(secret, provider=adapter.settings.backend)

    def _principal(self, headers: Mapping[str, str]) -> str | None:
        for header in self._ssrf_headers:
            principal = self._tokens.principal_for(headers.get(header))
            if principal is not None:
                return principal
        return None

    def _health(self) -> AgentReply:
        with self._lock:
            connections, in_flight = len(self._connections), self._in_flight
        body = {
            "status": "stopping" if self._stopping else "ok",
            "backends": sorted({a.settings.backend for a in self._readers.values()}),
            "principals": sorted(self._readers),
            "connections": connections,
            "in_flight": in_flight,
            "uptime_s": round(time.monotonic() - self._started, 3),
        }
        return AgentReply(status=200, body=json.dumps(body).encode())

    def metrics_text(self) -> str:
        """Prometheus text exposition of the agent's own counters (never names or values)."""
        with self._lock:
            statuses = sorted(self._statuses.items())
            lines = [
                "# HELP secrets_agent_requests_total Requests answered, by HTTP status.",
                "# TYPE secrets_agent_requests_total counter",
                *(f'secrets_agent_requests_total{{status="{s}"}} {n}' for s, n in statuses),
                "# HELP secrets_agent_connections Open client connections.",
                "# TYPE secrets_agent_connections gauge",
                f"secrets_agent_connections {len(self._connections)}",
                "# HELP secrets_agent_connections_rejected_total Connections over the bound.",
                "# TYPE secrets_agent_connections_rejected_total counter",
                f"secrets_agent_connections_rejected_total {self._rejected}",
                "# HELP secrets_agent_invalidations_total Cached secrets dropped after a change.",
                "# TYPE secrets_agent_invalidations_total counter",
                f"secrets_agent_invalidations_total {self._invalidations}",
                "# HELP secrets_agent_uptime_seconds Seconds since the agent started.",
                "# TYPE secrets_agent_uptime_seconds gauge",
                f"secrets_agent_uptime_seconds {time.monotonic() - self._started:.3f}",
            ]
        return "\n".join(lines) + "\n"

    # --- freshness ---------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        name = written_secret(event)
        if name is not None:
            self.invalidate(name)

    def invalidate(self, name: str) -> None:
        """Drop ``name`` from every principal's cache: the next request reads the backend."""
        for adapter in self._distinct_adapters():
            adapter.invalidate(name)
        for watch in self._watches.values():
            watch.forget(name)
        with self._lock:
            self._invalidations += 1

    def check_versions(self) -> list[str]:
        """Invalidate the served secrets whose current version moved; return their names."""
        moved: set[str] = set()
        for watch in self._watches.values():
            moved.update(watch.changed())
        for name in sorted(moved):
            _log.info("%s changed in the backend; dropped from the cache", name)
            self.invalidate(name)
        return sorted(moved)

    def _watch_loop(self) -> None:
        interval = self._watch_interval or 0.0
        while not self._stop_watching.wait(interval):
            try:
                self.check_versions()
            except Exception as exc:  # noqa: BLE001 - the poller must outlive one bad check
                _log.warning("version check failed: %s", type(exc).__name__)

    def _distinct_adapters(self) -> list[SecretsAdapter]:
        return list({id(a): a for a in self._readers.values()}.values())

    # --- connection accounting (for the transport: agent/transport.py) -----------------------

    def admit(self, sock: socket.socket) -> bool:
        with self._lock:
            if self._stopping or len(self._connections) >= self._max_connections:
                self._rejected += 1
                return False
            self._connections[sock] = False
            return True

    def release(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections.pop(sock, None)

    @contextlib.contextmanager
    def request_scope(self, sock: socket.socket) -> Iterator[bool]:
        """Mark ``sock`` busy for one request; yields whether the agent is stopping."""
        with self._lock:
            self._in_flight += 1
            if sock in self._connections:
                self._connections[sock] = True
            stopping = self._stopping
        try:
            yield stopping
        finally:
            with self._lock:
                self._in_flight -= 1
                if sock in self._connections:
                    self._connections[sock] = False
                self._lock.notify_all()

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def idle_timeout(self) -> float:
        return self._idle_timeout
