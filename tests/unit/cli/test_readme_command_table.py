"""The README's "Command line" table names every command and subcommand the CLI has, and every
rotator ``rotation configure`` accepts: a new command cannot ship undocumented."""

from __future__ import annotations

import re
from pathlib import Path

import click

from secrets_adapter.cli.main import cli
from secrets_adapter.rotation.rotators import ROTATOR_NAMES

README = Path(__file__).resolve().parents[3] / "README.md"


def _rows() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def _command_cells() -> list[str]:
    return [row.split(" | ", 1)[0] for row in _rows()]


def _documented() -> set[str]:
    """``"rotate"``, ``"rotation configure"``…: the words each backticked command starts with."""
    found: set[str] = set()
    for cell in _command_cells():
        for code in re.findall(r"`([^`]+)`", cell):
            words = re.findall(r"[a-z][a-z-]*", code.split("[", 1)[0].replace("\\|", "|"))
            found.update({" ".join(words[:1]), " ".join(words[:2])})
            # `migrate plan|apply|verify`, `monitoring rules|cloudwatch`
            head, _, alternatives = code.partition(" ")
            for alternative in alternatives.split(" ", 1)[0].split("\\|"):
                found.add(f"{head} {alternative}")
    return found


def _commands() -> set[str]:
    names: set[str] = set()
    for name, command in cli.commands.items():
        if isinstance(command, click.Group):
            names.update(f"{name} {sub}" for sub in command.commands)
        else:
            names.add(name)
    return names


def test_every_command_is_in_the_table() -> None:
    missing = sorted(_commands() - _documented())
    assert not missing, f"README 'Command line' table lacks: {missing}"


def test_each_row_has_a_description() -> None:
    rows = _rows()
    assert rows
    for row in rows:
        description = row.rstrip(" |").rsplit(" | ", 1)[1]
        assert len(description) > 10, row


def test_every_rotator_is_listed() -> None:
    [row] = [cell for cell in _command_cells() if "rotation configure" in cell]
    choices = re.search(r"--rotator ([a-z\\|-]+)", row)
    assert choices is not None, row
    assert set(ROTATOR_NAMES) <= set(choices.group(1).split("\\|"))
