"""``secrets-adapter exec [--prefix P] -- COMMAND ...``: run a program with its secrets.

The secrets go into the child's environment, never its command line (process lists are
world-readable): ``gaara/prod/database-url`` becomes ``DATABASE_URL`` with ``--prefix
gaara/prod``. A variable already set in our environment is kept, as the env provider and
python-dotenv's ``load_dotenv`` keep it (an IRSA pod's ``AWS_ACCESS_KEY_ID`` must not be replaced
by a stored static key); ``--override`` replaces it. Environment values of the form
``secret://NAME[#key]`` are resolved first. The
child's exit code is ours (a child killed by signal N gives 128+N, as in a shell), and SIGTERM,
SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH sent to us are passed on to it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from types import FrameType

import click

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.aws_key_pair import expand_pair, pair_variables
from secrets_adapter.cli.context import CliContext, UserError, handle_errors, pass_cli
from secrets_adapter.env_names import name_to_key, normalize_prefix
from secrets_adapter.rotation.app_value import app_value

__all__ = ["child_environment", "exec_command", "run_forwarding_signals"]

FORWARDED_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH")
    if hasattr(signal, name)
)


def child_environment(
    adapter: SecretsAdapter,
    environ: Mapping[str, str],
    *,
    prefix: str,
    names: Sequence[str] = (),
    override: bool = False,
) -> tuple[dict[str, str], list[str], list[str]]:
    """``environ`` with references resolved and the secrets added; also the names skipped
    (binary, or no variable) and the variables kept because ``environ`` sets them already
    (unless ``override``: those secrets are not even read)."""
    scope = normalize_prefix(prefix)
    listed = scope + "/" if scope else ""
    chosen = [adapter.qualify(n) for n in names] or adapter.list_secrets(listed)
    keys = {name: name_to_key(name, scope) for name in chosen}
    # a variable the caller set wins; the AWS pair's two variables are kept or replaced together
    produced = {key: pair_variables(key) or (key,) for key in keys.values() if key is not None}
    kept_keys = {key for key, made in produced.items() if any(v in environ for v in made)}
    kept = sorted(v for key in kept_keys for v in produced[key] if v in environ)
    if not override:
        keys = {name: key for name, key in keys.items() if key not in kept_keys}
    else:
        kept = []
    wanted = [name for name, key in keys.items() if key is not None]  # no variable: not read
    secrets = adapter.get_many(wanted) if wanted else {}  # one backend call where batches exist
    env = adapter.resolve_env(environ)  # frames: after the reads that can fail (locals get printed)
    skipped: list[str] = []
    for name, key in keys.items():
        value = app_value(secrets[name].value) if key is not None else None  # a key set: its key
        if key is None or value is None or value.is_binary or "\x00" in value.reveal_text():
            skipped.append(name)
            continue
        # the AWS key pair …/aws-access-key gives AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
        env.update(expand_pair(key, value) or [(key, value.reveal_text())])
    return env, skipped, kept


def run_forwarding_signals(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``argv``, pass our signals on to it, and return its exit code (128+N on signal N)."""
    child: list[subprocess.Popen[bytes]] = []
    pending: list[int] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        if not child:
            pending.append(signum)
            return
        with contextlib.suppress(ProcessLookupError):
            child[0].send_signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in FORWARDED_SIGNALS}
    try:
        refused: UserError | None = None
        try:
            child.append(subprocess.Popen(list(argv), env=dict(env)))  # noqa: S603
        except FileNotFoundError:
            refused = UserError(f"Command not found: {argv[0]}", 127)
        except PermissionError:
            refused = UserError(f"Command not executable: {argv[0]}", 126)
        if refused is not None:  # frames: raised unchained (Popen's locals hold env) without env
            del env
            raise refused
        for signum in pending:
            child[0].send_signal(signum)
        code = child[0].wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code if code >= 0 else 128 - code


@click.command(
    "exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
@click.option("--prefix", default=None, help="Secrets under this prefix (default: global).")
@click.option("--name", "names", multiple=True, help="Only this secret. Repeatable.")
@click.option(
    "--override",
    is_flag=True,
    help="Replace variables already set in this environment with the stored secrets "
    "(by default a variable that is set is kept, and its secret not read).",
)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@pass_cli
@handle_errors
def exec_command(
    state: CliContext,
    prefix: str | None,
    names: tuple[str, ...],
    override: bool,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND with the secrets in its environment: exec [--prefix P] -- COMMAND ...

    A variable already set in the environment is never replaced (as with python-dotenv's
    load_dotenv and the env backend: the environment wins), unless --override.
    """
    if prefix is not None:
        state.prefix = prefix
    adapter = state.adapter()
    env, skipped, kept = child_environment(
        adapter, os.environ, prefix=adapter.prefix, names=names, override=override
    )
    for name in skipped:
        click.echo(f"secrets-adapter: skipped {name} (binary or not a variable)", err=True)
    for key in kept:
        click.echo(
            f"secrets-adapter: kept {key} from the environment (--override replaces it)", err=True
        )
    state.close()
    try:
        code = run_forwarding_signals(command, env)
    finally:
        del env  # frames: the child's environment holds the secrets (locals get printed)
    if code:
        raise click.exceptions.Exit(code)
