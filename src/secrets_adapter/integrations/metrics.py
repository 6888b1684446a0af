"""``/metrics`` as a Flask blueprint: ``app.register_blueprint(metrics_blueprint(metrics))``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from secrets_adapter.monitoring.metrics import SecretsMetrics

if TYPE_CHECKING:
    from flask import Blueprint

__all__ = ["metrics_blueprint"]


def metrics_blueprint(
    metrics: SecretsMetrics, *, path: str = "/metrics", name: str = "secrets_adapter_metrics"
) -> Blueprint:
    """A blueprint serving ``metrics`` (its own registry) on ``path``."""
    try:
        from flask import Blueprint, Response
    except ImportError:  # pragma: no cover - the extra is part of the test install
        from secrets_adapter.errors import ConfigurationError

        raise ConfigurationError(
            "The metrics blueprint needs Flask: pip install 'secrets-adapter[flask,metrics]'."
        ) from None
    blueprint = Blueprint(name, __name__)

    @blueprint.get(path)
    def serve_metrics() -> Response:
        body, content_type = metrics.render()
        return Response(body, content_type=content_type)

    return blueprint
