"""A stand-alone ``/metrics`` endpoint: a WSGI app and a small server for it (stdlib only).

The page names every secret and how old it is, so it is not for anyone on the host: requests
must carry ``Authorization: Bearer <token>`` (compared in constant time) unless the operator
turned auth off for a loopback address, and a request that came through a proxy
(``X-Forwarded-For``) is refused, since behind a proxy every client looks local.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from secrets_adapter.models import SecretValue
from secrets_adapter.monitoring.metrics import SecretsMetrics

__all__ = ["bearer_refusal", "make_metrics_app", "make_metrics_server"]

_log = logging.getLogger(__name__)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def bearer_refusal(
    token: SecretValue | None, authorization: str | None, forwarded_for: str | None
) -> tuple[str, str] | None:
    """Why a request is refused, as (HTTP status, message), or None when it may be served.
    ``token`` None means auth is off (loopback only, by the operator's choice)."""
    if forwarded_for is not None:
        return "403 Forbidden", "requests through a proxy (X-Forwarded-For) are refused\n"
    if token is None:
        return None
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.reveal_bytes()
    ):
        return "401 Unauthorized", "a bearer token is required (Authorization: Bearer ...)\n"
    return None


def make_metrics_app(
    metrics: SecretsMetrics,
    *,
    token: SecretValue | None,
    before_scrape: Callable[[], None] | None = None,
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """GET /metrics renders ``metrics`` for a caller holding ``token`` (None: no auth);
    ``before_scrape`` refreshes gauges first (its failure is logged by type and the page is
    still served)."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        refusal = bearer_refusal(
            token, environ.get("HTTP_AUTHORIZATION"), environ.get("HTTP_X_FORWARDED_FOR")
        )
        if refusal is not None:
            status, message = refusal
            headers = [("Content-Type", "text/plain")]
            if status.startswith("401"):
                headers.append(("WWW-Authenticate", 'Bearer realm="secrets-adapter metrics"'))
            start_response(status, headers)
            return [message.encode()]
        if environ.get("PATH_INFO") != "/metrics" or environ.get("REQUEST_METHOD") != "GET":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        if before_scrape is not None:
            try:
                before_scrape()
            except Exception as exc:  # noqa: BLE001 - a failed refresh still serves the page
                _log.warning("metrics refresh failed: %s", type(exc).__name__)
        body, content_type = metrics.render()
        start_response("200 OK", [("Content-Type", content_type)])
        return [body]

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("metrics request: " + format, *args)


def make_metrics_server(
    metrics: SecretsMetrics,
    *,
    token: SecretValue | None,
    host: str = "127.0.0.1",
    port: int = 9464,
    before_scrape: Callable[[], None] | None = None,
) -> WSGIServer:
    """A server bound to ``host:port`` (port 0 picks a free one: read ``server.server_port``)."""
    app = make_metrics_app(metrics, token=token, before_scrape=before_scrape)
    return make_server(host, port, app, handler_class=_QuietHandler)
