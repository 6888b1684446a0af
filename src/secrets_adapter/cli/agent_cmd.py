"""``secrets-adapter agent``: serve secrets to every process on the host over loopback HTTP.

Speaks the AWS Secrets Manager Agent's API (``/secretsmanager/get?secretId=…``, ``/v1/NAME``,
the ``X-Aws-Parameters-Secrets-Token`` header), so clients written for AWS's agent work unchanged,
on any backend. One adapter per principal, all writing to one audit trail.
SIGTERM or SIGINT: stop accepting, finish the requests under way, exit 0.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

import click

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.agent import (
    DEFAULT_PORT,
    SSRF_ENV_VARIABLES,
    SecretsAgent,
    TokenTable,
    is_loopback,
    load_tokens_file,
    token_from_environment,
)
from secrets_adapter.audit import AuditTrail, open_trail
from secrets_adapter.cli.context import EXIT_USAGE, CliContext, UserError, handle_errors, pass_cli
from secrets_adapter.config import Settings, load_settings

__all__ = ["agent_command", "open_readers", "parse_listen"]


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) → host and port."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host or int(port) > 65535:
        raise UserError(f"--listen {text!r}: use HOST:PORT, e.g. 127.0.0.1:{DEFAULT_PORT}.", 2)
    return host.strip("[]"), int(port)


def _settings(state: CliContext) -> Settings:
    environ = dict(os.environ)
    if state.backend is not None:
        environ["SECRETS_BACKEND"] = state.backend
    elif not environ.get("SECRETS_BACKEND", "").strip():
        environ["SECRETS_BACKEND"] = "local"
    return load_settings(environ)


def open_readers(
    state: CliContext, principals: list[str]
) -> tuple[dict[str, SecretsAdapter], AuditTrail | None]:
    """One adapter per principal (each with its own backend connection and cache), all writing
    to one audit trail, so the log stays one hash chain."""
    settings = _settings(state)
    audit = settings.audit
    trail = (
        open_trail(
            audit.log,
            mode=audit.mode,
            fail_open=audit.fail_open,
            production=settings.is_production,
        )
        if audit.log is not None
        else None
    )
    readers: dict[str, SecretsAdapter] = {}
    try:
        for principal in principals:
            readers[principal] = SecretsAdapter(
                state.backend,
                settings=settings,
                prefix=state.prefix,
                path=state.path,
                env_file=state.env_file,
                principal=principal,
                audit_log=trail,
            )
    except BaseException:
        for opened in readers.values():
            opened.close()
        if trail is not None:
            trail.close()
        raise
    return readers, trail


@click.command("agent")
@click.option(
    "--listen",
    default=f"127.0.0.1:{DEFAULT_PORT}",
    show_default=True,
    help="Address to serve on (loopback only unless --allow-remote).",
)
@click.option(
    "--allow-remote", is_flag=True, help="Allow a non-loopback --listen address (not advised)."
)
@click.option(
    "--tokens-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Lines 'PRINCIPAL TOKEN-FILE': each token reads as its own principal.",
)
@click.option(
    "--principal",
    default=None,
    help="Principal of the $AWS_TOKEN token (default: $SECRETS_ADAPTER_PRINCIPAL, else 'app').",
)
@click.option("--max-connections", type=click.IntRange(1, 100_000), default=800, show_default=True)
@click.option(
    "--watch-interval",
    type=click.FloatRange(0),
    default=30.0,
    show_default=True,
    help="Seconds between checks of served secrets' versions (0: off; cache TTL only).",
)
@click.option(
    "--grace", type=click.FloatRange(0), default=10.0, show_default=True, help="Seconds to finish."
)
@pass_cli
@handle_errors
def agent_command(
    state: CliContext,
    listen: str,
    allow_remote: bool,
    tokens_file: Path | None,
    principal: str | None,
    max_connections: int,
    watch_interval: float,
    grace: float,
) -> None:
    """Serve secrets over loopback HTTP with the AWS Secrets Manager Agent's API.

    The token comes from $AWS_TOKEN (or $AWS_SESSION_TOKEN; 'file:///path' reads a file), and/or
    from --tokens-file for one token per principal. Requests send it in
    X-Aws-Parameters-Secrets-Token.
    """
    host, port = parse_listen(listen)
    if not allow_remote and not is_loopback(host):  # refused before any store is opened
        raise UserError(
            f"--listen {listen}: {host!r} is not a loopback address; the agent serves this host "
            "only. Use 127.0.0.1, or add --allow-remote if a firewall or network namespace keeps "
            "other hosts out.",
            EXIT_USAGE,
        )
    tokens = load_tokens_file(tokens_file) if tokens_file is not None else {}
    default_token = token_from_environment(os.environ)
    if default_token is not None:
        owner = principal or os.environ.get("SECRETS_ADAPTER_PRINCIPAL", "").strip() or "app"
        if owner in tokens:
            raise UserError(f"{owner!r} has a token in both $AWS_TOKEN and --tokens-file.", 2)
        tokens = {owner: default_token, **tokens}
    if not tokens:
        raise UserError(
            "The agent needs a token: set AWS_TOKEN (or AWS_TOKEN=file:///path/to/token) or "
            f"give --tokens-file. Looked in: {', '.join(SSRF_ENV_VARIABLES)}.",
            EXIT_USAGE,
        )
    table = TokenTable.of(tokens)
    readers, trail = open_readers(state, list(tokens))
    try:
        agent = SecretsAgent(
            readers,
            table,
            host=host,
            port=port,
            max_connections=max_connections,
            allow_remote=allow_remote,
            watch_interval=watch_interval or None,
        )
        logging.basicConfig(level=logging.INFO, format="secrets-adapter agent: %(message)s")
        _serve_until_signalled(agent, grace)
    finally:
        for adapter in reversed(list(readers.values())):
            adapter.close()
        if trail is not None:
            trail.close()


def _serve_until_signalled(agent: SecretsAgent, grace: float) -> None:
    stop = threading.Event()

    def request_stop(_signum: int, _frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        agent.start()
        while not stop.wait(1.0):
            pass
        agent.stop(grace)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
