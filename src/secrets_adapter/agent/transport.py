"""The HTTP plumbing under ``SecretsAgent``: the standard library's threading server, bounded.

One thread per connection (HTTP/1.1 keep-alive); a connection over the agent's bound is answered
429 and closed before any thread starts; replies leave with an IP TTL of 1. What a request means
is decided by ``SecretsAgent.answer``: this module only moves bytes.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from secrets_adapter.agent.server import SecretsAgent

__all__ = ["AgentHTTPServer"]

_log = logging.getLogger("secrets_adapter.agent.server")
_TOO_MANY = (
    b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 25\r\nConnection: close\r\n\r\nConnection limit exceeded"
)


class AgentHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], agent: SecretsAgent) -> None:
        self.agent = agent
        host = address[0].strip("[]")
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, address[1]), _AgentHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        _limit_hops(request)
        if not self.agent.admit(request):
            with contextlib.suppress(OSError):
                request.sendall(_TOO_MANY)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that failed (a client gone mid-reply): its type only, no traceback that
        could carry a value."""
        error = sys.exc_info()[1]
        _log.debug("connection ended: %s", type(error).__name__)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.agent.release(request)


def _limit_hops(sock: socket.socket) -> None:
    """Replies die after one hop, as AWS's agent does (``set_ttl(1)``): no routing them out."""
    with contextlib.suppress(OSError, AttributeError):
        if sock.family == socket.AF_INET:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1)
        elif sock.family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 1)


class _AgentHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: AgentHTTPServer
    # one buffered write per response (headers and body), sent at once: no Nagle/delayed-ACK stall
    wbufsize = -1
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return "secrets-adapter-agent"

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.agent.idle_timeout)  # idle keep-alive ends

    def _serve(self) -> None:
        agent = self.server.agent
        with agent.request_scope(self.connection) as stopping:
            if self.command != "GET":
                self.close_connection = True  # a body we do not read must not be parsed next
            reply = agent.answer(self.command, self.path, self.headers)  # type: ignore[arg-type]
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            if stopping or self.close_connection:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()

    # every method reaches answer(), which refuses all but GET as AWS's agent does (405)
    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve  # noqa: N815

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        _log.debug("%s %s -> %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("agent: " + format, *args)
