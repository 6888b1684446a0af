"""``secrets-adapter audit``: verify the hash chain, checkpoint it, query it, fingerprint a value.

Verification failures exit 4 (``EXIT_MISMATCH``) so a cron job or CI step can alert on them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from secrets_adapter.audit import (
    Checkpoint,
    fingerprint,
    iter_log_lines,
    load_checkpoint_key,
    load_key,
    verify_log,
)
from secrets_adapter.audit.fingerprint import CHECKPOINT_KEY_ENV, CHECKPOINT_KEY_FILE_ENV
from secrets_adapter.audit.query import RecordFilter, parse_moment
from secrets_adapter.audit.records import format_time
from secrets_adapter.audit.sinks import write_checkpoint
from secrets_adapter.cli.context import (
    EXIT_CONFIG,
    EXIT_MISMATCH,
    EXIT_USAGE,
    UserError,
    handle_errors,
    json_text,
)
from secrets_adapter.clock import utcnow
from secrets_adapter.errors import ConfigurationError

__all__ = ["audit_group"]

_LOG = click.Path(path_type=Path, dir_okay=False)


def _read_checkpoint(path: Path) -> Checkpoint:
    try:
        return Checkpoint.from_json(path.read_text(encoding="ascii"))
    except OSError as exc:
        raise UserError(
            f"Cannot read the checkpoint {str(path)!r}: {exc.strerror}.", EXIT_CONFIG
        ) from None
    except (ValueError, KeyError, TypeError):
        raise UserError(
            f"The checkpoint {str(path)!r} is not a checkpoint file.", EXIT_CONFIG
        ) from None


def _checkpoint_key(key_file: Path | None) -> bytes:
    key = load_checkpoint_key(key_file)
    if key is None:
        raise ConfigurationError(
            "Checkpoints are signed: pass --checkpoint-key-file or set "
            f"{CHECKPOINT_KEY_FILE_ENV} (a 0600 file) or {CHECKPOINT_KEY_ENV}, kept where "
            "whoever can write the log cannot read it."
        )
    return key


_CHECKPOINT_KEY_FILE = click.option(
    "--checkpoint-key-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help=f"The key checkpoints are signed with (default: ${CHECKPOINT_KEY_FILE_ENV} or "
    f"${CHECKPOINT_KEY_ENV}).",
)


@click.group("audit")
def audit_group() -> None:
    """Check and search the audit log of secret accesses."""


@audit_group.command("verify")
@click.argument("log", type=_LOG)
@click.option(
    "--checkpoint",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A signed checkpoint file (from 'audit checkpoint'): also detects a truncated log.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_CHECKPOINT_KEY_FILE
@handle_errors
def verify_command(
    log: Path, checkpoint: Path | None, checkpoint_key_file: Path | None, as_json: bool
) -> None:
    """Walk the chain of LOG (and its rotated segments); exit 4 at the first bad record, or
    when the checkpoint is not signed with the checkpoint key."""
    if not log.exists() and not list(log.parent.glob(log.name + ".*")):
        raise UserError(
            f"No audit log at {str(log)!r} (nor rotated segments beside it): give the file "
            "SECRETS_ADAPTER_AUDIT_LOG names.",
            EXIT_USAGE,
        )
    seen = _read_checkpoint(checkpoint) if checkpoint is not None else None
    key = _checkpoint_key(checkpoint_key_file) if seen is not None else None
    report = verify_log(log, checkpoint=seen, checkpoint_key=key)
    if as_json:
        problem = report.problem
        click.echo(
            json_text(
                {
                    "ok": problem is None,
                    "records": report.head.count,
                    "head": report.head.hash,
                    "problem": None
                    if problem is None
                    else {
                        "record": problem.index,
                        "source": problem.source,
                        "reason": problem.reason,
                    },
                }
            )
        )
    if report.problem is not None:
        where = f" ({report.problem.source})" if report.problem.source is not None else ""
        raise UserError(
            f"audit log BROKEN at record {report.problem.index}{where}: {report.problem.reason}.",
            EXIT_MISMATCH,
        )
    if not as_json:
        click.echo(f"audit log OK: {report.head.count} records, head {report.head.hash}")


@audit_group.command("checkpoint")
@click.argument("log", type=_LOG)
@click.argument("output", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the checkpoint as JSON.")
@_CHECKPOINT_KEY_FILE
@handle_errors
def checkpoint_command(
    log: Path, output: Path, checkpoint_key_file: Path | None, as_json: bool
) -> None:
    """Verify LOG, then write its head (hash, count, time), signed, to OUTPUT; keep OUTPUT
    elsewhere."""
    key = _checkpoint_key(checkpoint_key_file)
    report = verify_log(log)
    if report.problem is not None:
        raise UserError(
            f"audit log BROKEN at record {report.problem.index}: {report.problem.reason}; "
            "no checkpoint written.",
            EXIT_MISMATCH,
        )
    head = report.head
    seen = Checkpoint(count=head.count, head_hash=head.hash, time=format_time(utcnow()))
    write_checkpoint(output, seen.signed(key))
    if as_json:
        payload = {"file": str(output), "records": seen.count, "head": seen.head_hash}
        click.echo(json_text(payload | {"time": seen.time}))
        return
    click.echo(f"checkpoint written: {seen.count} records, head {seen.head_hash}")


@audit_group.command("query")
@click.argument("log", type=_LOG)
@click.option("--secret", default=None, help="Secret name; '*' wildcards allowed.")
@click.option("--principal", default=None, help="Principal; '*' wildcards allowed.")
@click.option("--event", default=None, help="GetSecretValue, PutSecretValue, ... or get, put, ...")
@click.option("--since", default=None, help="ISO time or a duration ago: 15m, 2h, 7d.")
@click.option("--until", default=None, help="ISO time or a duration ago.")
@click.option("--outcome", type=click.Choice(["success", "error", "denied"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print matching records as JSON lines.")
@handle_errors
def query_command(
    log: Path,
    secret: str | None,
    principal: str | None,
    event: str | None,
    since: str | None,
    until: str | None,
    outcome: str | None,
    as_json: bool,
) -> None:
    """Print the records of LOG that match every filter given."""
    now = utcnow()
    wanted = RecordFilter(
        since=parse_moment(since, now=now) if since else None,
        until=parse_moment(until, now=now) if until else None,
        secret=secret,
        principal=principal,
        event=event,
        outcome=outcome,
    )
    for source, line in iter_log_lines(log):
        try:
            record = json.loads(line)
        except ValueError:
            click.echo(f"skipping {source}: not JSON (run 'audit verify')", err=True)
            continue
        if not wanted.matches(record):
            continue
        if as_json:
            click.echo(line.rstrip("\n"))
            continue
        parameters = record.get("requestParameters") or {}
        identity = record.get("userIdentity") or {}
        fields = [
            str(record.get("eventTime")),
            str(identity.get("principalId")),
            str(record.get("eventName")),
            str(parameters.get("secretId")),
            str(record.get("outcome", "success")),
            f"cache={record.get('cache') or '-'}",
            f"version={record.get('versionId') or '-'}",
        ]
        if record.get("errorCode"):
            fields.append(f"error={record['errorCode']}")
        click.echo("  ".join(fields))


@audit_group.command("hash")
@click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="The fingerprint key (default: $SECRETS_ADAPTER_AUDIT_KEY_FILE or "
    "$SECRETS_ADAPTER_AUDIT_KEY).",
)
@click.option(
    "--strip-newline/--keep-newline",
    default=True,
    help="Drop one trailing newline from stdin (echo adds one). Default: strip.",
)
@handle_errors
def hash_command(key_file: Path | None, strip_newline: bool) -> None:
    """Print the keyed fingerprint of the value on stdin, as the audit log's valueHmac holds it.

    Then: secrets-adapter audit query LOG --json | grep <fingerprint>
    """
    key = load_key(key_file)
    if key is None:
        raise ConfigurationError(
            "No fingerprint key: pass --key-file or set SECRETS_ADAPTER_AUDIT_KEY_FILE."
        )
    value = sys.stdin.buffer.read()
    if strip_newline and value.endswith(b"\n"):
        value = value[:-2] if value.endswith(b"\r\n") else value[:-1]
    click.echo(fingerprint(key, value))
