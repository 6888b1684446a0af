"""Audit: one structured, hash-chained record per access; never a value.

``open_trail`` builds the adapter's ``AuditTrail`` at start-up (sinks are chosen then, never
changed at run time); ``chain`` holds the pure hash-chain functions, ``sinks`` the file and
stream writers, ``logfiles`` the reading side, ``query`` the filters of ``audit query``.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

from secrets_adapter.audit.chain import (
    ChainHead,
    ChainProblem,
    Checkpoint,
    VerifyReport,
)
from secrets_adapter.audit.fingerprint import fingerprint, load_checkpoint_key, load_key
from secrets_adapter.audit.logfiles import iter_log_byte_lines, iter_log_lines
from secrets_adapter.audit.sinks import (
    AuditSink,
    JsonlFileSink,
    StreamSink,
    SyslogSink,
    write_checkpoint,
)
from secrets_adapter.audit.trail import AuditMode, AuditTrail, HitFields, HitRecorder
from secrets_adapter.audit.verification import verify_byte_lines
from secrets_adapter.errors import ConfigurationError

__all__ = [
    "AuditMode",
    "AuditSink",
    "AuditTrail",
    "ChainHead",
    "Checkpoint",
    "HitFields",
    "HitRecorder",
    "JsonlFileSink",
    "StreamSink",
    "SyslogSink",
    "VerifyReport",
    "fingerprint",
    "iter_log_lines",
    "load_checkpoint_key",
    "load_key",
    "open_trail",
    "sink_for",
    "verify_log",
    "write_checkpoint",
]


def open_trail(
    log: str | os.PathLike[str] | AuditTrail,
    *,
    mode: str = "durable",
    fail_open: bool = False,
    production: bool = False,
    timeout: timedelta = timedelta(seconds=2),
) -> AuditTrail:
    """The trail for ``log``, chosen once at start-up: ``"-"`` or ``"stdout"`` (JSON lines on
    stdout), ``"syslog"`` (``/dev/log``), ``"syslog://host:port"`` (UDP), else a file path (a
    ``JsonlFileSink``); an ``AuditTrail`` is used as it is.

    Fail-open is a development convenience: a production adapter refuses it.
    """
    if fail_open and production:
        raise ConfigurationError(
            "Audit fail-open is not allowed in production: an access that cannot be recorded "
            "must be refused. Unset SECRETS_ADAPTER_AUDIT_FAIL_OPEN."
        )
    if isinstance(log, AuditTrail):
        return log
    return AuditTrail(
        sink_for(log),
        mode=mode,
        fail_open=fail_open,
        timeout=timeout,
        fingerprint_key=load_key(),
    )


def sink_for(log: str | os.PathLike[str]) -> AuditSink:
    """The sink a ``SECRETS_ADAPTER_AUDIT_LOG`` value names (see ``open_trail``)."""
    text = os.fspath(log)
    if text in ("-", "stdout"):
        return StreamSink(sys.stdout)
    if text == "syslog":
        return SyslogSink("/dev/log")
    if text.startswith("syslog://"):
        host, _, port = text.removeprefix("syslog://").rpartition(":")
        if not host or not port.isdigit():
            raise ConfigurationError(
                f"Audit log {text!r}: a remote syslog is syslog://host:port, e.g. "
                "syslog://127.0.0.1:514."
            )
        return SyslogSink((host, int(port)))
    return JsonlFileSink(text)


def verify_log(
    log: str | os.PathLike[str],
    *,
    checkpoint: Checkpoint | None = None,
    checkpoint_key: bytes | None = None,
) -> VerifyReport:
    """Verify the whole chain of a file log (every rotated segment, then the active file).

    With ``checkpoint_key``, a checkpoint not signed with that key is a problem in itself: a
    log cut short and a checkpoint rewritten to match it do not pass.
    """
    forged = (
        checkpoint is not None
        and checkpoint_key is not None
        and not checkpoint.signature_ok(checkpoint_key)
    )
    if forged:
        return VerifyReport(
            head=ChainHead(),
            problem=ChainProblem(
                index=0,
                source=None,
                reason=(
                    "the checkpoint's signature does not match the checkpoint key: it was "
                    "forged or edited (or another key was given)"
                ),
            ),
        )
    return verify_byte_lines(iter_log_byte_lines(Path(log)), checkpoint=checkpoint)
