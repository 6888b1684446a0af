"""A stand-alone ``/metrics`` endpoint: a WSGI app and a small server for it (stdlib only)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from secrets_adapter.monitoring.metrics import SecretsMetrics

__all__ = ["make_metrics_app", "make_metrics_server"]

_log = logging.getLogger(__name__)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def make_metrics_app(
    metrics: SecretsMetrics, *, before_scrape: Callable[[], None] | None = None
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """GET /metrics renders ``metrics``; ``before_scrape`` refreshes gauges first (its failure is
    logged by type and the page is still served)."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
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
    host: str = "127.0.0.1",
    port: int = 9464,
    before_scrape: Callable[[], None] | None = None,
) -> WSGIServer:
    """A server bound to ``host:port`` (port 0 picks a free one: read ``server.server_port``)."""
    app = make_metrics_app(metrics, before_scrape=before_scrape)
    return make_server(host, port, app, handler_class=_QuietHandler)
