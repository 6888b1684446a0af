"""``.env`` files read exactly as python-dotenv reads them, with strictness on top; and written so
that python-dotenv reads them back exactly.

Why python-dotenv itself: it is the loader Flask and most applications use, so a migration must
store what the application saw, escape for escape. ``parse_dotenv`` runs python-dotenv's own parser
(``dotenv.parser.parse_stream``) on the text as ``dotenv_values(path)`` opens it (UTF-8, universal
newlines: CRLF and a lone CR end a line), and then refuses, naming the line and never a value,
what python-dotenv would let pass silently or what the application may have read differently:

- a line python-dotenv cannot parse (it skips it with a warning and goes on);
- a key without ``=`` (``dotenv_values`` gives None, ``load_dotenv`` skips it);
- a key that is not ``[A-Za-z_][A-Za-z0-9_.-]*``;
- a duplicate key (python-dotenv lets the last one win);
- what python-dotenv versions read differently: a UTF-8 byte-order mark (before 1.2.3 it became
  part of the first key), a quoted value ending in an escaped backslash (``'a\\\\'``: before 1.2.3
  the quote ran on to the next one in the file), ``KEY= # comment`` (older versions read the
  comment as the value);
- ``${NAME}`` references when nobody said whether the application interpolates
  (``interpolate=None``): python-dotenv expands them by default, and not with
  ``interpolate=False``;
- with ``interpolate=True``, a reference to a name defined nowhere (python-dotenv silently puts an
  empty string) and a name that is both an earlier key and an environment variable with another
  value (``dotenv_values`` takes the key, ``load_dotenv`` the environment).

The writer (``quote_value``, ``format_dotenv``) produces text this reader, and so python-dotenv,
reads back exactly; ``interpolated_keys`` says which values an interpolating reader would change.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv.parser import parse_stream
from dotenv.variables import Variable, parse_variables

from secrets_adapter.errors import ConfigurationError
from secrets_adapter.private_files import write_private_file

__all__ = [
    "DotenvEntry",
    "DotenvSyntaxError",
    "entries_as_dict",
    "format_assignment",
    "format_dotenv",
    "interpolated_keys",
    "parse_dotenv",
    "quote_value",
    "read_dotenv_file",
    "write_private_file",
]

KEY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# the start of a binding up to its value: blanks, ``export``, the key, ``=`` and the blanks after it
_BINDING_HEAD = re.compile(
    r"\s*(?:export[^\S\r\n]+)?(?:'[^']+'|[^=#\s]+)[^\S\r\n]*=([^\S\r\n]*)", re.UNICODE
)
_LEADING_BLANKS = re.compile(r"\s*", re.UNICODE)


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
    interpolate: bool | None = False,
    environ: Mapping[str, str] | None = None,
) -> tuple[DotenvEntry, ...]:
    """Read the file at ``path`` as ``dotenv_values(path, interpolate=...)`` does, strictly."""
    try:  # the file's bytes never in a local: an error reporter prints this frame's locals
        return parse_dotenv(
            Path(path).read_bytes(), source=str(path), interpolate=interpolate, environ=environ
        )
    except DotenvSyntaxError:
        del environ  # frames: as above
        raise


def parse_dotenv(
    data: str | bytes,
    *,
    source: str = "<string>",
    interpolate: bool | None = False,
    environ: Mapping[str, str] | None = None,
) -> tuple[DotenvEntry, ...]:
    """Read ``.env`` text as python-dotenv does; ``DotenvSyntaxError`` (never holding a value)
    for every line it would skip or another reader could read differently.

    ``interpolate``: False reads ``${X}`` literally (``dotenv_values(interpolate=False)``), True
    expands it from ``environ`` (default ``os.environ``) and earlier keys, None refuses it.
    """
    try:
        return _parse(data, source=source, interpolate=interpolate, environ=environ)
    except DotenvSyntaxError as exc:
        error = exc
    # frames: the parser's frames hold the text (an error reporter prints every frame's locals):
    # raise without them, and with none of the text in this frame
    del data, environ
    raise error.with_traceback(None)


def _parse(
    data: str | bytes,
    *,
    source: str,
    interpolate: bool | None,
    environ: Mapping[str, str] | None,
) -> tuple[DotenvEntry, ...]:
    if isinstance(data, bytes):
        bad_at: int | None = None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad_at = exc.start
        if bad_at is not None:  # raised out here: the UnicodeDecodeError holds the whole file
            line = len(re.findall(rb"\r\n|\r|\n", data[:bad_at])) + 1
            raise DotenvSyntaxError("not valid UTF-8", source=source, line=line)
    else:
        text = data
    if text.startswith("\ufeff"):
        raise DotenvSyntaxError(
            "the file starts with a UTF-8 byte-order mark, which python-dotenv before 1.2.3 reads "
            "as part of the first key (so the application never saw that variable): save the "
            "file without it",
            source=source,
            line=1,
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # what open() in text mode gives dotenv
    reader = _StrictReader(
        source, interpolate=interpolate, environ=os.environ if environ is None else environ
    )
    return reader.read(text)


class _StrictReader:
    """python-dotenv's bindings, checked one by one."""

    def __init__(
        self, source: str, *, interpolate: bool | None, environ: Mapping[str, str]
    ) -> None:
        self.source = source
        self.interpolate = interpolate
        self.environ = environ
        self.seen: dict[str, DotenvEntry] = {}

    def error(self, message: str, line: int) -> DotenvSyntaxError:
        return DotenvSyntaxError(message, source=self.source, line=line)

    def read(self, text: str) -> tuple[DotenvEntry, ...]:
        lines_before = 0  # python-dotenv's bindings cover the text end to end, in order
        for binding in parse_stream(io.StringIO(text)):
            raw = binding.original.string
            blanks = _LEADING_BLANKS.match(raw)
            line = lines_before + raw.count("\n", 0, blanks.end() if blanks else 0) + 1
            lines_before += raw.count("\n")
            if binding.error:
                raise self.error(
                    "python-dotenv cannot parse this line and would skip it: expected KEY=VALUE "
                    "(a key is letters, digits and _ . -; a quoted value needs its closing quote "
                    "and nothing but a # comment after it)",
                    line,
                )
            if binding.key is None:
                continue  # a blank line or a comment
            key = binding.key
            if KEY_PATTERN.fullmatch(key) is None:
                raise self.error(
                    "the key is not a variable name (letters, digits and _ . -, not starting "
                    "with a digit)",
                    line,
                )
            if binding.value is None:
                raise self.error(
                    "a word with no '=' (not shown: it may be a value pasted alone): python-dotenv "
                    "reads it as a key with no value at all, which load_dotenv skips; write KEY= "
                    "for an empty value, or remove the line",
                    line,
                )
            self.check_version_differences(key, raw, line)
            first = self.seen.get(key)
            if first is not None:
                raise self.error(
                    f"duplicate key {key}: set on line {first.line} and again on line {line} "
                    "(python-dotenv would silently keep the last)",
                    line,
                )
            value = self.resolve(key, binding.value, line)
            self.seen[key] = DotenvEntry(key=key, value=value, line=line)
        return tuple(self.seen.values())

    def check_version_differences(self, key: str, raw: str, line: int) -> None:
        head = _BINDING_HEAD.match(raw)
        if head is None:
            return
        rest = raw[head.end() :]
        if head.group(1) and rest.startswith("#"):
            raise self.error(
                f"{key}= is followed by a blank and '#': python-dotenv 1.2.3 and later read an "
                "empty value, older versions read the comment as the value; write the comment on "
                "its own line",
                line,
            )
        if rest[:1] in ("'", '"') and _ends_in_escaped_backslash(rest):
            raise self.error(
                f"the quoted value of {key} ends in an escaped backslash, which python-dotenv "
                "before 1.2.3 reads as an escaped quote (running on to the next quote in the "
                "file); write the value without quotes, or without the trailing backslash",
                line,
            )

    def resolve(self, key: str, value: str, line: int) -> str:
        atoms = list(parse_variables(value))
        references = [atom for atom in atoms if isinstance(atom, Variable)]
        if not references or self.interpolate is False:
            return value
        if self.interpolate is None:
            raise self.error(
                f"{key} holds a ${{...}} reference, which python-dotenv expands by default "
                "(load_dotenv, dotenv_values) and keeps with interpolate=False: say which the "
                "application does (--interpolate or --no-interpolate; interpolate=True/False)",
                line,
            )
        env: dict[str, str] = dict(self.environ)
        for reference in references:
            earlier = self.seen.get(reference.name)
            in_environ = self.environ.get(reference.name)
            if earlier is not None and in_environ is not None and earlier.value != in_environ:
                raise self.error(
                    f"{key} refers to ${{{reference.name}}}, which is both a key on line "
                    f"{earlier.line} and an environment variable with another value "
                    "(dotenv_values takes the key, load_dotenv the environment): unset one",
                    line,
                )
            if earlier is None and in_environ is None and reference.default is None:
                raise self.error(
                    f"{key} refers to ${{{reference.name}}}, which is not defined (python-dotenv "
                    "would put an empty string)",
                    line,
                )
        env.update(entries_as_dict(self.seen.values()))
        return "".join(atom.resolve(env) for atom in atoms)


def _ends_in_escaped_backslash(quoted: str) -> bool:
    """Whether the quoted value at the start of ``quoted`` (python-dotenv 1.2.3+: a backslash
    always pairs with the next character) closes right after an escaped backslash."""
    quote, index = quoted[0], 1
    while index < len(quoted):
        char = quoted[index]
        if char == "\\":
            index += 2
            continue
        if char == quote:
            return quoted[index - 1] == "\\" and index > 1
        index += 1
    return False


def quote_value(value: str) -> str:
    """``value`` written so that python-dotenv (and so ``parse_dotenv``) reads it back exactly,
    with ``interpolate=False``; see ``interpolated_keys`` for readers that interpolate.

    Single quotes when the value holds no quote, backslash or line break (literal for every
    reader: python-dotenv, docker compose, a shell); else double quotes with ``\\\\ \\" \\n \\r``
    escapes. A value ending in a backslash is written unquoted (inside quotes python-dotenv before
    1.2.3 reads it as an escaped quote); if it cannot be, ``ValueError``.
    """
    if value.endswith("\\"):
        if _unquoted_reads_back(value):
            return value
        raise ValueError(
            "a value ending in a backslash can only be written unquoted, and this one has a line "
            "break, a quote or blank at its start, blanks at its end or ' #' in it"
        )
    if not any(char in value for char in "'\\\n\r"):
        return f"'{value}'"
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"'


def _unquoted_reads_back(value: str) -> bool:
    return (
        value == value.strip()
        and not any(char in value for char in "\n\r")
        and value[:1] not in ("'", '"', "#")
        and re.search(r"\s#", value) is None
    )


def interpolated_keys(items: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[str]:
    """The keys whose values hold ``${...}``, which python-dotenv's default reading
    (``load_dotenv()``, interpolation on) would expand: no quoting or escape prevents it."""
    pairs = items.items() if isinstance(items, Mapping) else items
    return [
        key
        for key, value in pairs
        if any(isinstance(atom, Variable) for atom in parse_variables(value))
    ]


def format_assignment(key: str, value: str) -> str:
    """One ``KEY='value'`` line (without its line break)."""
    if KEY_PATTERN.fullmatch(key) is None:
        raise ValueError(f"{key!r} is not a .env key: letters, digits and _ . - only.")
    try:
        return f"{key}={quote_value(value)}"
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from None


def format_dotenv(
    items: Mapping[str, str] | Iterable[tuple[str, str]], *, header: Iterable[str] = ()
) -> str:
    """A whole file: optional ``# header`` lines, then one assignment per item, LF line ends."""
    pairs = items.items() if isinstance(items, Mapping) else items
    lines = [f"# {line}".rstrip() for line in header]
    lines.extend(format_assignment(key, value) for key, value in pairs)
    return "".join(line + "\n" for line in lines)
