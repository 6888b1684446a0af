"""Keyed fingerprints of values: "was this leaked value ever read?" without storing the value.

A plain SHA-256 of a short secret can be brute-forced from the log; an HMAC under a key kept
outside the log cannot. ``secrets-adapter audit hash`` computes the same fingerprint.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path

from secrets_adapter.errors import ConfigurationError

__all__ = [
    "CHECKPOINT_KEY_ENV",
    "CHECKPOINT_KEY_FILE_ENV",
    "FINGERPRINT_PREFIX",
    "KEY_ENV",
    "KEY_FILE_ENV",
    "fingerprint",
    "load_checkpoint_key",
    "load_key",
]

FINGERPRINT_PREFIX = "hmac-sha256:"
KEY_ENV = "SECRETS_ADAPTER_AUDIT_KEY"
KEY_FILE_ENV = "SECRETS_ADAPTER_AUDIT_KEY_FILE"
CHECKPOINT_KEY_ENV = "SECRETS_ADAPTER_AUDIT_CHECKPOINT_KEY"
CHECKPOINT_KEY_FILE_ENV = "SECRETS_ADAPTER_AUDIT_CHECKPOINT_KEY_FILE"
MIN_KEY_BYTES = 16


def fingerprint(key: bytes, value: bytes) -> str:
    """``hmac-sha256:<hex>`` of ``value`` under ``key``."""
    return FINGERPRINT_PREFIX + hmac.new(key, value, hashlib.sha256).hexdigest()


def load_key(
    key_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> bytes | None:
    """The fingerprint key: ``key_file``, else ``$SECRETS_ADAPTER_AUDIT_KEY_FILE``, else
    ``$SECRETS_ADAPTER_AUDIT_KEY``; None when none is set. The key is the text, stripped."""
    return _load(key_file, environ, KEY_FILE_ENV, KEY_ENV, "fingerprint", private=False)


def load_checkpoint_key(
    key_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> bytes | None:
    """The key checkpoints are signed with: ``key_file``, else
    ``$SECRETS_ADAPTER_AUDIT_CHECKPOINT_KEY_FILE`` (a file only its owner can read), else
    ``$SECRETS_ADAPTER_AUDIT_CHECKPOINT_KEY``; None when none is set."""
    return _load(
        key_file, environ, CHECKPOINT_KEY_FILE_ENV, CHECKPOINT_KEY_ENV, "checkpoint", private=True
    )


def _load(
    key_file: str | os.PathLike[str] | None,
    environ: Mapping[str, str] | None,
    file_env: str,
    text_env: str,
    purpose: str,
    *,
    private: bool,
) -> bytes | None:
    env = os.environ if environ is None else environ
    path = key_file or env.get(file_env) or None
    if path is not None:
        try:
            if private and os.stat(path).st_mode & 0o077:
                raise ConfigurationError(
                    f"The audit {purpose} key file {str(path)!r} can be read by group or "
                    f"others: run 'chmod 600 {path}'."
                )
            key = Path(path).read_bytes().strip()
        except OSError as exc:
            raise ConfigurationError(
                f"Cannot read the audit {purpose} key file {str(path)!r}: {exc.strerror}."
            ) from None
        source = f"the key file {str(path)!r}"
    else:
        raw = env.get(text_env, "")
        if not raw:
            return None
        key = raw.strip().encode("utf-8")
        source = f"${text_env}"
    if len(key) < MIN_KEY_BYTES:
        raise ConfigurationError(
            f"The audit {purpose} key in {source} is shorter than {MIN_KEY_BYTES} bytes; "
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'."
        )
    return key
