"""A literal ``.env`` parser and a writer whose output it reads back byte-exact.

Why not python-dotenv's parser: it lets a duplicate key win silently, keeps going past a line it
cannot parse (logging a warning), reads ``\\'`` escapes inside single quotes and leaves a BOM in the
first key. Migration and rollback need a file that means one thing.

The format, as parsed here:

- ``KEY=VALUE`` per line, optionally ``export KEY=VALUE``; a key is ``[A-Za-z_][A-Za-z0-9_.-]*``;
  blank lines and ``# comments`` are skipped; CRLF line ends and a UTF-8 BOM are accepted.
- ``'single quotes'`` are literal: no escapes, no interpolation; they may span lines.
- ``"double quotes"`` understand ``\\\\ \\" \\' \\n \\r \\t \\$`` (any other backslash stays as
  it is); they may span lines.
- Unquoted values run to the end of the line; `` #`` (whitespace then ``#``) starts a comment;
  surrounding blanks are dropped.
- ``${NAME}`` and ``${NAME:-default}`` are expanded only with ``interpolate=True``, only in
  unquoted and double-quoted values, from the environment given and then earlier keys; an undefined
  name is an error.
- A duplicate key is an error naming the key and both lines. Every error names the file and the
  line, never a value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from secrets_adapter.errors import ConfigurationError
from secrets_adapter.private_files import write_private_file

__all__ = [
    "DotenvEntry",
    "DotenvSyntaxError",
    "entries_as_dict",
    "format_assignment",
    "format_dotenv",
    "parse_dotenv",
    "quote_value",
    "read_dotenv_file",
    "write_private_file",
]

KEY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_ASSIGNMENT = re.compile(r"[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=([ \t]*)")
_AFTER_QUOTE = re.compile(r"[ \t]*(?:#[^\n]*)?(?:\n|\Z)")
_INLINE_COMMENT = re.compile(r"[ \t]+#")
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_DOUBLE_QUOTE_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "r": "\r", "t": "\t", "$": "$"}


class DotenvSyntaxError(ConfigurationError):
    """The ``.env`` file cannot be read as written; ``.source`` and ``.line`` say where."""

    def __init__(self, message: str, *, source: str, line: int) -> None:
        super().__init__(f"{source}, line {line}: {message}")
        self.source = source
        self.line = line


@dataclass(frozen=True, slots=True, kw_only=True)
class DotenvEntry:
    """One ``KEY=VALUE`` of a file; the value stays out of ``repr``."""

    key: str
    value: str = field(repr=False)
    line: int


def entries_as_dict(entries: Iterable[DotenvEntry]) -> dict[str, str]:
    """``{key: value}`` in file order."""
    return {entry.key: entry.value for entry in entries}


def read_dotenv_file(
    path: str | os.PathLike[str],
    *,
    interpolate: bool = False,
    environ: Mapping[str, str] | None = None,
) -> tuple[DotenvEntry, ...]:
    """Parse the file at ``path`` (see the module docstring for the rules)."""
    data = Path(path).read_bytes()
    return parse_dotenv(data, source=str(path), interpolate=interpolate, environ=environ)


def parse_dotenv(
    data: str | bytes,
    *,
    source: str = "<string>",
    interpolate: bool = False,
    environ: Mapping[str, str] | None = None,
) -> tuple[DotenvEntry, ...]:
    """Parse ``.env`` text; ``DotenvSyntaxError`` (never holding a value) if it is malformed."""
    if isinstance(data, bytes):
        bad_at: int | None = None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad_at = exc.start
        if bad_at is not None:  # raised out here: the UnicodeDecodeError holds the whole file
            line = data[:bad_at].count(b"\n") + 1
            raise DotenvSyntaxError("not valid UTF-8", source=source, line=line)
    else:
        text = data
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    parser = _Parser(text, source, interpolate=interpolate, environ=environ or {})
    return parser.parse()


class _Parser:
    """A cursor over the text; one method per kind of value."""

    def __init__(
        self, text: str, source: str, *, interpolate: bool, environ: Mapping[str, str]
    ) -> None:
        self.text = text
        self.source = source
        self.interpolate = interpolate
        self.environ = environ
        self.pos = 0
        self.line = 1
        self.seen: dict[str, DotenvEntry] = {}

    def error(self, message: str, line: int | None = None) -> DotenvSyntaxError:
        return DotenvSyntaxError(message, source=self.source, line=line or self.line)

    def advance_to(self, end: int) -> None:
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def parse(self) -> tuple[DotenvEntry, ...]:
        text = self.text
        while self.pos < len(text):
            end_of_line = text.find("\n", self.pos)
            end_of_line = len(text) if end_of_line < 0 else end_of_line
            stripped = text[self.pos : end_of_line].strip(" \t")
            if not stripped or stripped.startswith("#"):
                self.advance_to(min(end_of_line + 1, len(text)))
                continue
            match = _ASSIGNMENT.match(text, self.pos)
            if match is None:
                raise self.error("expected KEY=VALUE (a key is letters, digits and _ . -)")
            key, line = match.group(1), self.line
            self.pos = match.end()
            value = self.value(key, line, blank_before=bool(match.group(2)))
            first = self.seen.get(key)
            if first is not None:
                raise self.error(
                    f"duplicate key {key}: set on line {first.line} and again on line {line}", line
                )
            self.seen[key] = DotenvEntry(key=key, value=value, line=line)
        return tuple(self.seen.values())

    def value(self, key: str, line: int, *, blank_before: bool) -> str:
        opener = self.text[self.pos : self.pos + 1]
        if opener == "'":
            value = self.single_quoted(key, line)
        elif opener == '"':
            value = self.double_quoted(key, line)
        else:
            return self.unquoted(key, line, blank_before=blank_before)
        tail = _AFTER_QUOTE.match(self.text, self.pos)
        if tail is None:
            raise self.error(f"unexpected text after the closing quote of {key}")
        self.advance_to(tail.end())
        return value

    def single_quoted(self, key: str, line: int) -> str:
        close = self.text.find("'", self.pos + 1)
        if close < 0:
            raise self.error(f"the single quote opened for {key} is never closed", line)
        value = self.text[self.pos + 1 : close]
        self.advance_to(close + 1)
        return value

    def double_quoted(self, key: str, line: int) -> str:
        text, chars = self.text, list[str]()
        index = self.pos + 1
        while index < len(text):
            char = text[index]
            if char == '"':
                self.advance_to(index + 1)
                return "".join(chars)
            if char == "\\" and index + 1 < len(text):
                following = text[index + 1]
                chars.append(_DOUBLE_QUOTE_ESCAPES.get(following, "\\" + following))
                index += 2
                continue
            if char == "$" and self.interpolate:
                reference = _REFERENCE.match(text, index)
                if reference is not None:
                    chars.append(self.resolve(reference, key, line))
                    index = reference.end()
                    continue
            chars.append(char)
            index += 1
        raise self.error(f"the double quote opened for {key} is never closed", line)

    def unquoted(self, key: str, line: int, *, blank_before: bool) -> str:
        end_of_line = self.text.find("\n", self.pos)
        end_of_line = len(self.text) if end_of_line < 0 else end_of_line
        raw = self.text[self.pos : end_of_line]
        self.advance_to(min(end_of_line + 1, len(self.text)))
        if blank_before and raw.startswith("#"):
            return ""
        comment = _INLINE_COMMENT.search(raw)
        if comment is not None:
            raw = raw[: comment.start()]
        raw = raw.rstrip(" \t")
        if self.interpolate:
            return _REFERENCE.sub(lambda match: self.resolve(match, key, line), raw)
        return raw

    def resolve(self, reference: re.Match[str], key: str, line: int) -> str:
        name, default = reference.group(1), reference.group(2)
        earlier = self.seen.get(name)
        found = self.environ.get(name, earlier.value if earlier is not None else None)
        if default is not None and not found:
            return default
        if found is None:
            raise self.error(f"{key} refers to ${{{name}}}, which is not defined", line)
        return found


def quote_value(value: str) -> str:
    """``value`` quoted so that ``parse_dotenv`` reads it back exactly.

    Single quotes (literal everywhere, also for python-dotenv and docker compose) unless the value
    holds a quote, a backslash or a line break; then double quotes with escapes, ``$`` included,
    so that no reader interpolates it.
    """
    if not any(char in value for char in "'\\\n\r"):
        return f"'{value}'"
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("$", "\\$")
    )
    return f'"{escaped}"'


def format_assignment(key: str, value: str) -> str:
    """One ``KEY='value'`` line (without its line break)."""
    if KEY_PATTERN.fullmatch(key) is None:
        raise ValueError(f"{key!r} is not a .env key: letters, digits and _ . - only.")
    return f"{key}={quote_value(value)}"


def format_dotenv(
    items: Mapping[str, str] | Iterable[tuple[str, str]], *, header: Iterable[str] = ()
) -> str:
    """A whole file: optional ``# header`` lines, then one assignment per item, LF line ends."""
    pairs = items.items() if isinstance(items, Mapping) else items
    lines = [f"# {line}".rstrip() for line in header]
    lines.extend(format_assignment(key, value) for key, value in pairs)
    return "".join(line + "\n" for line in lines)
