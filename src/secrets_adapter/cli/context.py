"""What every command shares: the global options, the adapter they open, one-line errors.

Exit codes (documented in README): 0 success; 1 a secret/provider error (not found, denied,
unavailable, conflict, integrity); 2 bad usage or invalid input; 3 configuration error;
4 verification found a mismatch (migrate verify, audit verify); 130 interrupted.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Set
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import IO, Any, ParamSpec, TypeVar

import click

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.config import load_settings
from secrets_adapter.errors import (
    ConfigurationError,
    SecretsAdapterError,
    ValidationError,
)
from secrets_adapter.providers.aws_client import MissingRegionError

__all__ = [
    "EXIT_CONFIG",
    "EXIT_ERROR",
    "EXIT_MISMATCH",
    "EXIT_USAGE",
    "CliContext",
    "UserError",
    "handle_errors",
    "iso_duration",
    "json_text",
    "pass_cli",
    "user_error",
]

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_MISMATCH = 4

P = ParamSpec("P")
R = TypeVar("R")


class UserError(click.ClickException):
    """A one-line error for the user; no traceback, a specific exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it a ClassVar

    def format_message(self) -> str:
        return self.message

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"secrets-adapter: {self.message}", file=file or sys.stderr)


@dataclass(slots=True)
class CliContext:
    """Global options; the adapter is opened on first use and closed at exit."""

    backend: str | None = None
    path: Path | None = None
    prefix: str | None = None
    env_file: Path | None = None
    region: str | None = None
    _adapter: SecretsAdapter | None = field(default=None, repr=False)

    def adapter(self) -> SecretsAdapter:
        """The adapter for the global options. ``--backend`` counts as choosing the backend
        explicitly (so ``ENVIRONMENT=production`` accepts it); with neither ``--backend`` nor
        ``SECRETS_BACKEND`` the CLI manages the embedded store, wherever it runs."""
        if self._adapter is None:
            environ = dict(os.environ)
            if self.backend is not None:
                environ["SECRETS_BACKEND"] = self.backend
            elif not environ.get("SECRETS_BACKEND", "").strip():
                environ["SECRETS_BACKEND"] = "local"
            if self.region is not None:
                environ["AWS_REGION"] = self.region
            settings = load_settings(environ)
            del environ  # frames: it holds the environment's keys (locals get printed)
            try:
                self._adapter = SecretsAdapter(
                    self.backend,
                    settings=settings,
                    prefix=self.prefix,
                    path=self.path,
                    env_file=self.env_file,
                )
            except MissingRegionError:
                raise ConfigurationError(
                    "No AWS region for the aws backend: pass --region (e.g. --region us-east-1) "
                    "or set AWS_REGION."
                ) from None
        return self._adapter

    def close(self) -> None:
        if self._adapter is not None:
            self._adapter.close()
            self._adapter = None


pass_cli = click.make_pass_decorator(CliContext, ensure=True)


def user_error(exc: SecretsAdapterError) -> UserError:
    """Our error as the one line and exit code the CLI shows (its message never holds a value)."""
    if isinstance(exc, ConfigurationError):
        return UserError(f"configuration: {exc.message}", EXIT_CONFIG)
    if isinstance(exc, ValidationError):
        return UserError(exc.message, EXIT_USAGE)
    return UserError(exc.message, EXIT_ERROR)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn our errors (and OS errors on a path the user gave) into one line on stderr and an
    exit code. Messages never hold values: an ``OSError`` shows only its reason and file name."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except SecretsAdapterError as exc:
            raise user_error(exc) from None
        except OSError as exc:  # a file or folder the user named: one line, not a traceback
            where = f" ({exc.filename})" if exc.filename else ""
            raise UserError(f"{exc.strerror or type(exc).__name__}{where}.", EXIT_ERROR) from None

    return wrapper


def json_text(data: object, *, indent: int | None = 2) -> str:
    """``data`` as JSON with JSON values, never Python reprs: datetimes in ISO 8601
    (``2026-12-04T01:58:50+00:00``), durations as ISO 8601 durations (``P1D``, ``PT5M``), enums
    as their value, sets as sorted lists, dataclasses as objects of their fields."""
    return json.dumps(data, default=_json_value, indent=indent, ensure_ascii=False)


def _json_value(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return iso_duration(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Set):
        return sorted(value, key=str)
    if isinstance(value, Path):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: getattr(value, item.name) for item in fields(value)}
    raise TypeError(f"{type(value).__name__} has no JSON form")


def iso_duration(duration: timedelta) -> str:
    """``timedelta(days=1)`` → ``P1D``, ``timedelta(minutes=5)`` → ``PT5M`` (ISO 8601)."""
    sign = "-" if duration < timedelta(0) else ""
    total = abs(duration)
    days, rest = total.days, total.seconds
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    fraction = (
        f"{seconds + total.microseconds / 1_000_000:g}" if total.microseconds else str(seconds)
    )
    time = "".join(
        f"{amount}{unit}"
        for amount, unit in ((hours, "H"), (minutes, "M"), (fraction, "S"))
        if amount not in (0, "0")
    )
    text = (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return f"{sign}P{text or 'T0S'}"
