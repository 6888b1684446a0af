"""The local agent: AWS's Secrets Manager Agent HTTP API, served from this library's adapters.

Any process on the host (Node.js, a shell script, a Go service) reads secrets over loopback with
the calls it would make to AWS's agent; each read is policy-checked and audited as the principal
its token stands for. ``secrets-adapter agent`` runs it; ``SecretsAgent`` embeds it.
"""

from secrets_adapter.agent.auth import (
    SSRF_ENV_VARIABLES,
    SSRF_HEADERS,
    TokenTable,
    load_tokens_file,
    token_from_environment,
)
from secrets_adapter.agent.server import DEFAULT_PORT, SecretsAgent, is_loopback

__all__ = [
    "DEFAULT_PORT",
    "SSRF_ENV_VARIABLES",
    "SSRF_HEADERS",
    "SecretsAgent",
    "TokenTable",
    "is_loopback",
    "load_tokens_file",
    "token_from_environment",
]
