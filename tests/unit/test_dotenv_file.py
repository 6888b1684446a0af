"""The .env reader against python-dotenv itself, its refusals, and the writer's round trips."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from dotenv import dotenv_values
from hypothesis import given
from hypothesis import strategies as st

from secrets_adapter.dotenv_file import (
    DotenvSyntaxError,
    entries_as_dict,
    format_assignment,
    format_dotenv,
    interpolated_keys,
    parse_dotenv,
    quote_value,
    read_dotenv_file,
    write_private_file,
)
from secrets_adapter.errors import ConfigurationError
from tests.sentinel import SENTINEL
from tests.unit.dotenv_corpus import CORPUS

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


def _python_dotenv(path: Path, *, interpolate: bool = False) -> dict[str, str | None]:
    return dict(dotenv_values(path, interpolate=interpolate))


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_dotenv_corpus(case: str, tmp_path: Path) -> None:
    """Every value we read is the value python-dotenv reads from the same file."""
    env_file = tmp_path / ".env"
    env_file.write_bytes(CORPUS[case])
    ours = entries_as_dict(read_dotenv_file(env_file))
    assert ours == _python_dotenv(env_file)


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 70


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # issue 14: each was read differently from python-dotenv, with no error
        (b"a='b\\\\c'\n", {"a": "b\\c"}),
        (b"a='b\\' # c'\n", {"a": "b' # c"}),
        (b'a="b\\$c"\n', {"a": "b\\$c"}),
        (b"a=b\rc=d\r", {"a": "b", "c": "d"}),
    ],
)
def test_issue_14_cases_read_as_python_dotenv_reads_them(
    data: bytes, expected: dict[str, str], tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(data)
    assert entries_as_dict(read_dotenv_file(env_file)) == expected == _python_dotenv(env_file)


def test_line_numbers_count_every_kind_of_line_end() -> None:
    entries = parse_dotenv("# c\r\nA='one\ntwo'\rB=\"x\"\r\n\n  C=3\n")
    assert [(entry.key, entry.line) for entry in entries] == [("A", 2), ("B", 4), ("C", 6)]


def test_interpolation_is_python_dotenvs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SA_TEST_E", "env")
    monkeypatch.setenv("SA_TEST_EMPTY", "")
    text = (
        "A=x\nB=${A}/y\nC=\"${A}-${SA_TEST_E}\\${A}\"\nD='${A}'\nF=${MISSING:-fallback}\n"
        "G=${SA_TEST_EMPTY:-unused}\nH=$A {A} ${SA_TEST_E}\n"
    )
    env_file = tmp_path / ".env"
    env_file.write_text(text, encoding="utf-8")
    ours = entries_as_dict(read_dotenv_file(env_file, interpolate=True))
    assert ours == _python_dotenv(env_file, interpolate=True)
    assert ours["D"] == "x"  # python-dotenv expands inside single quotes too
    assert ours["G"] == ""  # defined but empty: no default, unlike a shell


def test_no_interpolation_keeps_references() -> None:
    text = 'A=x\nB=${A}/y\nC="${A}"\n'
    assert _values(text) == {"A": "x", "B": "${A}/y", "C": "${A}"}


def test_undecided_interpolation_refuses_references() -> None:
    with pytest.raises(DotenvSyntaxError, match=r"line 2: B holds a \$\{\.\.\.\} reference"):
        parse_dotenv("A=1\nB=${A}\n", interpolate=None)
    assert _values("A=$1 {x}\n", interpolate=None) == {"A": "$1 {x}"}


def test_undefined_reference_is_an_error_naming_it() -> None:
    with pytest.raises(DotenvSyntaxError, match=r"line 2: B refers to \$\{NOPE\}"):
        parse_dotenv("A=1\nB=${NOPE}\n", interpolate=True, environ={})


def test_reference_both_key_and_environment_is_refused() -> None:
    with pytest.raises(DotenvSyntaxError, match=r"line 2: B refers to .*both a key on line 1"):
        parse_dotenv("A=file\nB=${A}\n", interpolate=True, environ={"A": "env"})
    same = _values("A=v\nB=${A}\n", interpolate=True, environ={"A": "v"})
    assert same == {"A": "v", "B": "v"}


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
        (f"A=1\nB='{SENTINEL}\n", 2, "python-dotenv cannot parse this line"),
        (f'A=1\n\nB="{SENTINEL}\\"\n', 3, "python-dotenv cannot parse this line"),
        (f"A='{SENTINEL}' trailing{SENTINEL}\n", 1, "python-dotenv cannot parse this line"),
        (f"A=1\n{SENTINEL}\n", 2, "with no '='"),
        (f"A=1\nB C={SENTINEL}\n", 2, "python-dotenv cannot parse this line"),
        (f"A=1\n={SENTINEL}\n", 2, "python-dotenv cannot parse this line"),
        (f"A=1\n9A={SENTINEL}\n", 2, "the key is not a variable name"),
        (f"A=1\n{SENTINEL}:x={SENTINEL}\n", 2, "the key is not a variable name"),
        (f"\ufeffA={SENTINEL}\n", 1, "byte-order mark"),
        (f"A=1\nB='{SENTINEL}\\\\'\nC='x'\n", 2, "ends in an escaped backslash"),
        (f'B="{SENTINEL}\\\\" # c\n', 1, "ends in an escaped backslash"),
        (f"A=1\nB= # {SENTINEL}\n", 2, "followed by a blank and '#'"),
    ],
)
def test_refusals_name_file_and_line_never_the_value(text: str, line: int, fragment: str) -> None:
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
        parse_dotenv(b"A=1\rB=2\r\nC=\xff\xfe\n")


def test_reads_a_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"A='1'\n")
    assert entries_as_dict(read_dotenv_file(env_file)) == {"A": "1"}


def test_entry_repr_holds_no_value() -> None:
    (entry,) = parse_dotenv(f"A={SENTINEL}")
    assert SENTINEL not in repr(entry)


NASTY = [
    *AWKWARD,
    "ends in a backslash\\",
    "C:\\path\\",
    "quote then backslash '\\",
    "\\'",
    '\\"',
    "a\\\\b",
    "tab\tinside and \x0b vertical",
    "#starts with a hash",
    "ends with a hash #",
    " ",
]


@pytest.mark.parametrize("value", NASTY)
def test_writer_round_trips_through_python_dotenv(value: str, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(format_dotenv({"KEY": value, "OTHER": "after"}), encoding="utf-8")
    expected = {"KEY": value, "OTHER": "after"}
    assert _python_dotenv(env_file) == expected
    assert entries_as_dict(read_dotenv_file(env_file)) == expected


def test_writer_quoting() -> None:
    assert quote_value("${X} # y") == "'${X} # y'"
    assert quote_value("it's ${X}") == '"it\'s ${X}"'
    assert quote_value("a\\b") == '"a\\\\b"'
    assert quote_value("ends\\") == "ends\\"
    assert format_assignment("A", "a\nb") == 'A="a\\nb"'
    header = ["made by rollback", ""]
    assert format_dotenv({"A": "1"}, header=header) == "# made by rollback\n#\nA='1'\n"


def test_writer_refuses_what_no_quoting_reads_back() -> None:
    with pytest.raises(ValueError, match="ending in a backslash"):
        quote_value(" padded\\")
    with pytest.raises(ValueError, match="ending in a backslash"):
        quote_value("two\nlines\\")


def test_interpolated_keys_are_the_ones_python_dotenv_would_expand() -> None:
    items = {"A": "${HOME}", "B": "$HOME {x}", "C": "x${Y:-d}y", "D": "${"}
    assert interpolated_keys(items) == ["A", "C"]


def test_writer_refuses_a_bad_key() -> None:
    with pytest.raises(ValueError, match=r"not a \.env key"):
        format_assignment("BAD KEY", "v")


def _readable(value: str) -> bool:
    try:
        quote_value(value)
    except ValueError:
        return False
    return True


@given(
    items=st.dictionaries(
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,20}", fullmatch=True),
        st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40).filter(_readable),
        max_size=6,
    )
)
def test_writer_round_trips_any_text(items: dict[str, str]) -> None:
    text = format_dotenv(items)
    assert _values(text.encode("utf-8")) == items
    assert dict(dotenv_values(stream=io.StringIO(text), interpolate=False)) == items


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
