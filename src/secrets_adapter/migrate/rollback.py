"""Rollback: write a ``.env`` file from the store so the application can run without it.

``rollback_entries`` reads the secrets through the adapter and turns names back into variables
(``gaara/prod/database-url`` → ``DATABASE_URL``; a group secret ``…/database`` back into its
``DATABASE_*`` keys; the AWS key pair ``…/aws-access-key`` into ``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY``). ``write_rollback_file`` writes them 0600, all or nothing, with no
plaintext temporary file left behind, and never overwrites an existing file unless told to.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.aws_key_pair import expand_pair
from secrets_adapter.dotenv_file import (
    KEY_PATTERN,
    format_dotenv,
    interpolated_keys,
    write_private_file,
)
from secrets_adapter.env_names import name_to_key, normalize_prefix
from secrets_adapter.errors import MigrationError, SecretFormatError
from secrets_adapter.migrate.apply import read_fresh
from secrets_adapter.migrate.plan import group_name
from secrets_adapter.models import SecretValue
from secrets_adapter.rotation.app_value import app_value

__all__ = ["format_rollback_file", "rollback_entries", "write_rollback_file"]


def rollback_entries(
    adapter: SecretsAdapter,
    *,
    names: Sequence[str] | None = None,
    prefix: str | None = None,
    groups: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """``(KEY, value)`` pairs for ``names`` (default: every secret under ``prefix``)."""
    scope = normalize_prefix(adapter.prefix if prefix is None else prefix)
    folder = f"{scope}/" if scope else ""
    chosen = [adapter.qualify(n) for n in names] if names else adapter.list_secrets(folder)
    by_group_name = {group_name(group, scope): group for group in groups}
    pairs: list[tuple[str, str]] = []
    unusable: list[str] = []
    for name in sorted(chosen):
        value = app_value(read_fresh(adapter, name).value)  # a key set: its current key
        if value.is_binary:
            unusable.append(f"{name} (binary)")
            continue
        group = by_group_name.get(name)
        if group is not None:
            pairs.extend(_expand_group(name, group, value))
            continue
        key = name_to_key(name, scope)
        if key is None:
            unusable.append(f"{name} (outside the prefix {scope!r})")
            continue
        pairs.extend(expand_pair(key, value) or [(key, value.reveal_text())])
    if unusable:
        raise MigrationError(
            "These secrets cannot be written to a .env file: " + ", ".join(unusable) + "."
        )
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise MigrationError(f"Two secrets map to the same variable: {', '.join(duplicates)}.")
    return pairs


def _expand_group(name: str, group: str, value: SecretValue) -> list[tuple[str, str]]:
    try:
        fields = value.json()  # its error holds no parser error (``JSONDecodeError.doc``)
    except SecretFormatError:
        fields = None
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        raise SecretFormatError(
            f"Group secret {name!r} is not a JSON object of strings.", secret_name=name
        )
    pairs = []
    for field_name, field_value in fields.items():
        key = f"{group}_{field_name.upper()}"
        if KEY_PATTERN.fullmatch(key) is None:
            raise SecretFormatError(
                f"Group secret {name!r} has a field {field_name!r} that is no variable name.",
                secret_name=name,
            )
        pairs.append((key, field_value))
    return pairs


def format_rollback_file(
    pairs: Sequence[tuple[str, str]],
    *,
    interpolating: bool = True,
    header: str = "Written by `secrets-adapter rollback`: secret values, keep it 0600.",
) -> str:
    """The ``.env`` text for ``pairs``, which python-dotenv reads back to the same values.

    ``interpolating``: the application reads the file with python-dotenv's default (``${X}``
    expanded, and no quoting prevents it), so a value holding ``${...}`` is refused; pass False
    when it reads with ``interpolate=False``.
    """
    if interpolating:
        expanded = interpolated_keys(pairs)
        if expanded:
            raise MigrationError(
                f"{', '.join(expanded)} hold ${{...}}, which python-dotenv's load_dotenv() "
                "expands by default whatever the quoting: pass --no-interpolate if the "
                "application reads the file with interpolate=False, or change those values."
            )
    try:
        return format_dotenv(pairs, header=[header])
    except ValueError as exc:
        raise MigrationError(f"Cannot write a .env that reads back exactly: {exc}.") from None


def write_rollback_file(
    path: str | os.PathLike[str],
    pairs: Sequence[tuple[str, str]],
    *,
    force: bool = False,
    interpolating: bool = True,
) -> None:
    """Write ``pairs`` as a ``.env`` file (0600); an existing file needs ``force``."""
    text = format_rollback_file(pairs, interpolating=interpolating)
    try:
        write_private_file(path, text.encode("utf-8"), overwrite=force)
    except FileExistsError:
        raise MigrationError(
            f"{os.fspath(path)} exists already: pass --force to replace it."
        ) from None
