"""``init`` and ``rotate-master-key``: create the embedded store and change its master key.

Key material never goes on the command line (process lists are world-readable): a key comes from
``SECRETS_ADAPTER_MASTER_KEY``, a file, stdin, or is generated into a new 0600 file; a passphrase
is prompted for, or read from stdin when stdin is not a terminal.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from secrets_adapter.cli.context import (
    EXIT_CONFIG,
    EXIT_USAGE,
    CliContext,
    UserError,
    handle_errors,
    pass_cli,
)
from secrets_adapter.config import LocalSettings, load_local_settings
from secrets_adapter.localstore import (
    KEY_FILE,
    KeySource,
    PassphraseKey,
    RawKey,
    generate_master_key,
    init_store,
    key_source_from_settings,
    parse_master_key,
    read_key_file,
    rotate_master_key,
    write_key_file,
)
from secrets_adapter.models import SecretValue

__all__ = ["init_command", "rotate_master_key_command"]


def _local_settings(state: CliContext) -> LocalSettings:
    """The local store's settings from --path and the SECRETS_ADAPTER_* variables."""
    settings = load_local_settings(os.environ)
    return settings if state.path is None else replace(settings, path=state.path)


def _read_passphrase(prompt: str) -> SecretValue:
    """Prompt twice on a terminal; otherwise read one line from stdin."""
    if sys.stdin.isatty():
        text = click.prompt(prompt, hide_input=True, confirmation_prompt=True, err=True)
    else:
        text = sys.stdin.readline().rstrip("\r\n")
    if not text:
        raise UserError("Invalid input: the passphrase is empty.", EXIT_USAGE)
    return SecretValue(text)


def _read_stdin_key() -> RawKey:
    if sys.stdin.isatty():
        raise UserError(
            "Invalid input: --new-key-stdin reads the base64 key from a pipe, e.g. "
            "`secrets-adapter rotate-master-key --new-key-stdin < new.key`.",
            EXIT_USAGE,
        )
    return RawKey(parse_master_key(sys.stdin.read()))


@click.command("init")
@click.option(
    "--passphrase",
    "use_passphrase",
    is_flag=True,
    help="Derive the master key from a passphrase (scrypt); prompted, or one line of stdin.",
)
@click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Use the base64 key in this 0600 file instead of generating one.",
)
@pass_cli
@handle_errors
def init_command(state: CliContext, use_passphrase: bool, key_file: Path | None) -> None:
    """Create an encrypted store (folder 0700, database 0600).

    Without a key it generates one into <store>/master.key (0600). It uses
    SECRETS_ADAPTER_MASTER_KEY or SECRETS_ADAPTER_PASSPHRASE when they are set. An existing
    store is never re-initialised.
    """
    settings = _local_settings(state)
    if use_passphrase and key_file is not None:
        raise UserError("Invalid input: give --passphrase or --key-file, not both.", EXIT_USAGE)
    master_key: SecretValue | None = None
    passphrase: SecretValue | None = None
    if use_passphrase:
        passphrase = _read_passphrase("Passphrase for the new store")
    elif key_file is not None:
        master_key = SecretValue(read_key_file(key_file).encoded())
    elif settings.master_key is not None:
        master_key = settings.master_key
    elif settings.master_key_file is not None:
        master_key = SecretValue(read_key_file(settings.master_key_file).encoded())
    elif settings.passphrase is not None:
        passphrase = settings.passphrase
    result = init_store(settings.path, master_key=master_key, passphrase=passphrase)
    click.echo(f"Created an encrypted store in {result.folder} (database {result.database}).")
    if result.key_file is not None:
        click.echo(
            f"Generated its master key into {result.key_file} (mode 0600). Back it up apart "
            "from the store and keep it out of version control: without it the secrets are lost."
        )
    else:
        click.echo(f"Its master key is your {result.key_kind} key; it was not written to disk.")


def _new_key_source(
    new_key_file: Path | None,
    new_key_stdin: bool,
    generate_into: Path | None,
    new_passphrase: bool,
) -> KeySource:
    chosen = [
        new_key_file is not None,
        new_key_stdin,
        generate_into is not None,
        new_passphrase,
    ]
    if sum(chosen) != 1:
        raise UserError(
            "Invalid input: give exactly one of --new-key-file, --new-key-stdin, "
            "--generate-into or --new-passphrase.",
            EXIT_USAGE,
        )
    if new_key_file is not None:
        return RawKey(read_key_file(new_key_file))
    if new_key_stdin:
        return _read_stdin_key()
    if generate_into is not None:
        key = generate_master_key()
        write_key_file(generate_into, key)
        return RawKey(key)
    return PassphraseKey(_read_passphrase("New passphrase"))


@click.command("rotate-master-key")
@click.option(
    "--new-key-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="The new base64 master key is in this 0600 file.",
)
@click.option("--new-key-stdin", is_flag=True, help="Read the new base64 master key from stdin.")
@click.option(
    "--generate-into",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Generate a new master key into this new file (created 0600, never overwritten).",
)
@click.option(
    "--new-passphrase", is_flag=True, help="Derive the new master key from a new passphrase."
)
@click.option(
    "--old-key-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="The current key's file (default: SECRETS_ADAPTER_MASTER_KEY[_FILE], "
    "SECRETS_ADAPTER_PASSPHRASE or <store>/master.key).",
)
@pass_cli
@handle_errors
def rotate_master_key_command(
    state: CliContext,
    *,
    new_key_file: Path | None,
    new_key_stdin: bool,
    generate_into: Path | None,
    new_passphrase: bool,
    old_key_file: Path | None,
) -> None:
    """Re-wrap every data key under a new master key, in one transaction.

    Values are not re-encrypted; if anything fails nothing changes. Afterwards only the new
    key opens the store: update SECRETS_ADAPTER_MASTER_KEY or the key file everywhere.
    """
    settings = _local_settings(state)
    old = (
        RawKey(read_key_file(old_key_file))
        if old_key_file is not None
        else key_source_from_settings(settings)
    )
    if old is None:
        raise UserError(
            f"Configuration error: no current master key for {settings.path}: set "
            "SECRETS_ADAPTER_MASTER_KEY, SECRETS_ADAPTER_MASTER_KEY_FILE, "
            "SECRETS_ADAPTER_PASSPHRASE or pass --old-key-file.",
            EXIT_CONFIG,
        )
    new = _new_key_source(new_key_file, new_key_stdin, generate_into, new_passphrase)
    try:
        count = rotate_master_key(settings.path, old=old, new=new)
    except BaseException:
        if generate_into is not None:
            generate_into.unlink(missing_ok=True)  # a key that never sealed anything
        raise
    click.echo(
        f"Re-wrapped {count} data key(s) of {settings.path} under the new master key; "
        "values were not re-encrypted. The old key no longer opens the store."
    )
    default_key_file = settings.path / KEY_FILE
    used_default_file = old_key_file is None and not (
        settings.master_key or settings.master_key_file or settings.passphrase
    )
    if used_default_file and isinstance(new, RawKey):
        source = generate_into or new_key_file or "the new key"
        click.echo(f"Now replace {default_key_file} with {source} (it holds the old key).")
    elif used_default_file:
        click.echo(f"{default_key_file} holds the old key: remove it.")
