"""Secrets as the text another tool reads: a ``.env`` file, JSON, shell, a docker env-file, a
Kubernetes ``Secret``. Pure functions over ``(KEY, value)`` pairs; ``export_pairs`` reads them.

Each format is written for its consumer's rules, and refuses (naming the key, never the value)
what that consumer cannot carry exactly:

- ``dotenv``: python-dotenv reads it back to the same values (``format_rollback_file``);
- ``json``: one object ``{"KEY": "value"}``;
- ``shell``: ``export KEY='value'`` lines, safe to ``eval`` or ``source`` in bash/sh (single
  quotes take everything literally; a ``'`` is written ``'\\''``);
- ``docker-env``: ``KEY=value`` for ``docker run --env-file``, which takes the rest of the line
  literally (no quotes, no escapes, trailing blanks kept): a value with a line break is refused.
  (Compose's ``env_file`` is another format: it parses quotes and ``${}``.)
- ``k8s-secret``: a ``v1`` ``Secret`` manifest with the values base64-encoded under ``data``
  (binary values too).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.env_names import name_to_key, normalize_prefix
from secrets_adapter.errors import MigrationError
from secrets_adapter.migrate.rollback import format_rollback_file
from secrets_adapter.models import SecretValue

__all__ = ["EXPORT_FORMATS", "export_pairs", "format_export", "kubernetes_name"]

EXPORT_FORMATS = ("dotenv", "json", "shell", "docker-env", "k8s-secret")
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


def export_pairs(
    adapter: SecretsAdapter, *, prefix: str, names: Sequence[str] = ()
) -> list[tuple[str, SecretValue]]:
    """``(KEY, value)`` for ``names`` (default: every secret under ``prefix``), read in one
    ``get_many`` (policy-checked and audited like any read), sorted by key."""
    scope = normalize_prefix(prefix)
    chosen = [adapter.qualify(n) for n in names] or adapter.list_secrets(
        f"{scope}/" if scope else ""
    )
    keys = {name: name_to_key(name, scope) for name in chosen}
    outside = sorted(name for name, key in keys.items() if key is None)
    if outside:
        raise MigrationError(
            f"No variable name for {', '.join(outside)}: outside the prefix {scope!r}. "
            "Pass --prefix to export them."
        )
    secrets = adapter.get_many(list(keys)) if keys else {}
    return sorted((str(keys[name]), secret.value) for name, secret in secrets.items())


def format_export(
    pairs: Sequence[tuple[str, SecretValue]],
    output_format: str,
    *,
    name: str = "secrets",
    interpolating: bool = True,
) -> str:
    """The text of ``pairs`` in ``output_format`` (one of ``EXPORT_FORMATS``)."""
    try:
        return _format(pairs, output_format, name=name, interpolating=interpolating)
    except MigrationError as exc:
        error = exc
    # frames: the formatters' locals hold the values as text, and error reporters print them:
    # raised without those frames, or the suppressed error behind it
    error.__context__ = None if error.__suppress_context__ else error.__context__
    raise error.with_traceback(None)


def _format(
    pairs: Sequence[tuple[str, SecretValue]], output_format: str, *, name: str, interpolating: bool
) -> str:
    if output_format == "k8s-secret":
        return _kubernetes_secret(pairs, name)
    texts = _texts(pairs, output_format)
    if output_format == "dotenv":
        header = "Written by `secrets-adapter export`: secret values, keep it 0600."
        return format_rollback_file(texts, interpolating=interpolating, header=header)
    if output_format == "json":
        return json.dumps(dict(texts), indent=2, ensure_ascii=False) + "\n"
    if output_format == "shell":
        return "".join(_shell_line(key, value) for key, value in texts)
    if output_format == "docker-env":
        return "".join(_docker_line(key, value) for key, value in texts)
    raise MigrationError(f"Unknown format {output_format!r}: one of {', '.join(EXPORT_FORMATS)}.")


def _texts(pairs: Sequence[tuple[str, SecretValue]], output_format: str) -> list[tuple[str, str]]:
    unusable = [key for key, value in pairs if value.is_binary or "\x00" in value.reveal_text()]
    if unusable:
        raise MigrationError(
            f"{', '.join(unusable)}: binary or holding a NUL byte, which {output_format} cannot "
            "carry; export them with --format k8s-secret, or leave them out."
        )
    return [(key, value.reveal_text()) for key, value in pairs]


def _shell_line(key: str, value: str) -> str:
    if _SHELL_NAME.fullmatch(key) is None:
        raise MigrationError(f"{key} is not a shell variable name (letters, digits and _).")
    quoted = "'" + value.replace("'", "'\\''") + "'"
    return f"export {key}={quoted}\n"


def _docker_line(key: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise MigrationError(
            f"{key} holds a line break, which a docker env-file cannot carry (one line per "
            "variable, read literally): use --format dotenv with compose, or k8s-secret."
        )
    return f"{key}={value}\n"


def kubernetes_name(prefix: str) -> str:
    """A ``metadata.name`` from the prefix: ``gaara/prod`` → ``gaara-prod``."""
    candidate = re.sub(r"[^a-z0-9.-]+", "-", normalize_prefix(prefix).lower()).strip("-.")
    return candidate or "secrets"


def _kubernetes_secret(pairs: Sequence[tuple[str, SecretValue]], name: str) -> str:
    if len(name) > 253 or _DNS_SUBDOMAIN.fullmatch(name) is None:
        raise MigrationError(
            f"{name!r} is not a Kubernetes object name (lower-case letters, digits, - and ., "
            "starting and ending with a letter or digit): pass --name."
        )
    lines = [
        "apiVersion: v1",
        "kind: Secret",
        "metadata:",
        f"  name: {json.dumps(name)}",
        "type: Opaque",
        "data:" if pairs else "data: {}",
    ]
    for key, value in pairs:
        encoded = base64.b64encode(value.reveal_bytes()).decode("ascii")
        lines.append(f"  {json.dumps(key)}: {json.dumps(encoded)}")  # quoted: ON, NO stay keys
    return "\n".join(lines) + "\n"
