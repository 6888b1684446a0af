"""The literal .env parser and its writer: every rule, every error, and byte-exact round trips."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secrets_adapter.dotenv_file import (
    DotenvSyntaxError,
    entries_as_dict,
    format_assignment,
    format_dotenv,
    parse_dotenv,
    quote_value,
    read_dotenv_file,
    write_private_file,
)
from secrets_adapter.errors import ConfigurationError
from tests.sentinel import SENTINEL

AWKWARD = [
    "plain",
    "it's",
    'say "hi"',
    "a # not a comment",
    "k=v=w",
    "line one\nline two",
    "crlf\r\nend",
    "lone\rreturn",
    "back\\slash\\",
    "${HOME} and $HOME",
    "\\${X}",
    "  padded  ",
    "\ttab",
    "unicode ✓ 日本 é",
    "'",
    '"',
    "#",
    "",
    "mixed 'single' \"double\" \\ $ # = \n",
]


def _values(text: str | bytes, **kwargs: object) -> dict[str, str]:
    return entries_as_dict(parse_dotenv(text, **kwargs))  # type: ignore[arg-type]


def test_comments_blank_lines_and_export() -> None:
    text = "# a comment\n\n   \nexport A=1\n  # indented comment\nB = two words  # note\n"
    assert _values(text) == {"A": "1", "B": "two words"}


def test_unquoted_hash_without_blank_before_is_part_of_the_value() -> None:
    assert _values("A=abc#def\nB=#x\nC= #only a comment\n") == {"A": "abc#def", "B": "#x", "C": ""}


def test_key_named_export_is_a_key() -> None:
    assert _values("export=1\n") == {"export": "1"}


def test_single_quotes_are_literal() -> None:
    assert _values(r"A='\n ${HOME} \\ # x'") == {"A": r"\n ${HOME} \\ # x"}


def test_double_quotes_understand_escapes() -> None:
    text = r'A="q\" b\\ n\n r\r t\t d\$ s\' other\x"'
    assert _values(text) == {"A": "q\" b\\ n\n r\r t\t d$ s' other\\x"}


def test_multi_line_quoted_values_and_line_numbers() -> None:
    entries = parse_dotenv("A='one\ntwo'\nB=\"three\nfour\" # c\nC=5\n")
    assert entries_as_dict(entries) == {"A": "one\ntwo", "B": "three\nfour", "C": "5"}
    assert [entry.line for entry in entries] == [1, 3, 5]


def test_crlf_and_bom() -> None:
    data = "\ufeffA=1\r\nB='x\r\ny'\r\nC=3 # c\r\n".encode()
    assert _values(data) == {"A": "1", "B": "x\ny", "C": "3"}


def test_no_interpolation_unless_asked() -> None:
    text = 'A=x\nB=${A}/y\nC="${A}"\n'
    assert _values(text) == {"A": "x", "B": "${A}/y", "C": "${A}"}


def test_interpolation_when_asked() -> None:
    text = "A=x\nB=${A}/y\nC=\"${A}-${E}\\${A}\"\nD='${A}'\nF=${MISSING:-fallback}\n"
    values = _values(text, interpolate=True, environ={"E": "env"})
    assert values == {"A": "x", "B": "x/y", "C": "x-env${A}", "D": "${A}", "F": "fallback"}


def test_interpolation_prefers_the_environment() -> None:
    assert _values("A=file\nB=${A}\n", interpolate=True, environ={"A": "env"})["B"] == "env"


def test_undefined_reference_is_an_error_naming_it() -> None:
    with pytest.raises(DotenvSyntaxError, match=r"line 2: B refers to \$\{NOPE\}"):
        parse_dotenv("A=1\nB=${NOPE}\n", interpolate=True)


def test_duplicate_key_names_the_key_and_both_lines() -> None:
    with pytest.raises(DotenvSyntaxError) as info:
        parse_dotenv(f"A=1\nB={SENTINEL}\n\nexport B='{SENTINEL}'\n", source="app.env")
    message = str(info.value)
    assert "app.env, line 4" in message
    assert "duplicate key B" in message
    assert "line 2" in message
    assert SENTINEL not in message
    assert info.value.line == 4
    assert isinstance(info.value, ConfigurationError)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (f"A=1\nB='{SENTINEL}\n", 2, "single quote opened for B is never closed"),
        (f'A=1\n\nB="{SENTINEL}\\"\n', 3, "double quote opened for B is never closed"),
        (f"A='{SENTINEL}' trailing{SENTINEL}\n", 1, "unexpected text after the closing quote"),
        (f"A=1\n{SENTINEL}\n", 2, "expected KEY=VALUE"),
        (f"export {SENTINEL}\n", 1, "expected KEY=VALUE"),
        (f"A=1\nB C={SENTINEL}\n", 2, "expected KEY=VALUE"),
    ],
)
def test_errors_name_file_and_line_never_the_value(text: str, line: int, fragment: str) -> None:
    with pytest.raises(DotenvSyntaxError) as info:
        parse_dotenv(text, source="/srv/app/.env")
    message = str(info.value)
    assert message.startswith(f"/srv/app/.env, line {line}: ")
    assert fragment in message
    assert SENTINEL not in message
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


def test_invalid_utf8_names_its_line() -> None:
    with pytest.raises(DotenvSyntaxError, match="line 3: not valid UTF-8"):
        parse_dotenv(b"A=1\nB=2\nC=\xff\xfe\n")


def test_reads_a_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"A='1'\n")
    assert entries_as_dict(read_dotenv_file(env_file)) == {"A": "1"}


def test_entry_repr_holds_no_value() -> None:
    (entry,) = parse_dotenv(f"A={SENTINEL}")
    assert SENTINEL not in repr(entry)


@pytest.mark.parametrize("value", AWKWARD)
def test_writer_round_trips_awkward_values(value: str) -> None:
    text = format_dotenv({"KEY": value, "OTHER": "after"})
    assert _values(text) == {"KEY": value, "OTHER": "after"}
    # the same file also means the same thing when read with interpolation on
    assert _values(text, interpolate=True) == {"KEY": value, "OTHER": "after"}


def test_writer_prefers_single_quotes_and_escapes_dollars_in_double_quotes() -> None:
    assert quote_value("${X} # y") == "'${X} # y'"
    assert quote_value("it's ${X}") == '"it\'s \\${X}"'
    assert format_assignment("A", "a\nb") == 'A="a\\nb"'
    header = ["made by rollback", ""]
    assert format_dotenv({"A": "1"}, header=header) == "# made by rollback\n#\nA='1'\n"


def test_writer_refuses_a_bad_key() -> None:
    with pytest.raises(ValueError, match=r"not a \.env key"):
        format_assignment("BAD KEY", "v")


@given(
    items=st.dictionaries(
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,20}", fullmatch=True),
        st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40),
        max_size=6,
    )
)
def test_writer_round_trips_any_text(items: dict[str, str]) -> None:
    text = format_dotenv(items)
    assert _values(text.encode("utf-8")) == items
    assert _values(text, interpolate=True) == items


def test_private_file_is_0600_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "out.env"
    write_private_file(target, b"A='1'\n", overwrite=False)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError, match="exists already"):
        write_private_file(target, SENTINEL.encode(), overwrite=False)
    assert target.read_bytes() == b"A='1'\n"
    assert os.listdir(tmp_path) == ["out.env"]


def test_private_file_overwrite_replaces_with_0600(tmp_path: Path) -> None:
    target = tmp_path / "out.env"
    target.write_bytes(b"old")
    target.chmod(0o644)
    write_private_file(target, b"new", overwrite=True)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["out.env"]


def test_private_file_leaves_nothing_when_the_write_fails(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "out.env"
    with pytest.raises(FileNotFoundError):
        write_private_file(target, b"x", overwrite=True)
    assert os.listdir(tmp_path) == []


def test_private_file_failure_mid_write_leaves_no_plaintext(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_private_file(tmp_path / "out.env", SENTINEL.encode(), overwrite=True)
    assert os.listdir(tmp_path) == []
