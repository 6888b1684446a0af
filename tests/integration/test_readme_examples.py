"""README.md's blocks marked ``<!-- tested -->`` run as written, so they cannot rot.

Every fenced ``sh``/``bash`` and ``python`` block preceded by the line ``<!-- tested -->`` runs
literally, top to bottom in README order, in one fresh temporary folder (what a reader does who
copies them one after the other): shell blocks with ``bash -euo pipefail``, Python blocks with this
interpreter, each as its own process, with none of the caller's ``SECRETS_*``/``AWS_*``/``VAULT_*``
variables and nothing set up beforehand. A block may rely only on what earlier blocks left in the
folder. After a section's first block, a few checks of what it promised may run in the same
process (``CHECKS``):
they add assertions, never names the block uses.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MARKER = "<!-- tested -->"
QUICK_START = "Quick start"
CLI = str(Path(sys.executable).with_name("secrets-adapter"))

# What the Quick start stores (its literal example values) and what later blocks then read.
STRIPE_KEY = "sk_test_4242example"
DATABASE_URL = "postgresql://gaara:change-me@localhost:5432/gaara"
DATABASE = {"username": "gaara", "password": "change-me"}
# What a section's tested block must have done, checked after it ran, in the same process.
CHECKS = {
    QUICK_START: (
        f"\nassert url == {DATABASE_URL!r}, 'url'"
        f"\nassert db == {DATABASE!r}, 'db'"
        f"\nassert password == {DATABASE['password']!r}, 'password'\n"
    ),
    "Flask": (
        f"\nassert app.config['STRIPE_API_KEY'] == {STRIPE_KEY!r}"
        f"\nassert app.config['DB_PASSWORD'] == {DATABASE['password']!r}\n"
    ),
    "Monitoring and alerts": (
        "\nadapter.get_secret_value('stripe-api-key')"
        "\nassert b'secrets_adapter_accesses_total' in app.test_client().get('/metrics').data\n"
    ),
    "asyncio": (
        f"\nassert password == {DATABASE['password']!r}\nassert urls == [{DATABASE_URL!r}] * 1000\n"
    ),
    "FastAPI": (
        "\nwith TestClient(api) as again:"
        "\n    assert again.post('/charge').json() == {'authorised': True}\n"
    ),
    "Django": (
        "\nassert settings.STRIPE_API_KEY and not settings.STRIPE_API_KEY.startswith('secret://')"
        f"\nassert settings.DATABASES['default']['PASSWORD'] == {DATABASE['password']!r}\n"
    ),
    "pydantic-settings": (
        f"\nassert app_settings.database_url.get_secret_value() == {DATABASE_URL!r}"
        "\nassert app_settings.port == 8000\n"
    ),
}
# Tested blocks of sections other engineers own that do not run on their own yet: each must
# still fail (strict), so that the entry is removed once its block is made self-contained.
NOT_YET_SELF_CONTAINED: dict[str, str] = {}
_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>\w+)\s*$")
_CLOSE = re.compile(r"^\s*```\s*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Block:
    """One fenced code block of the README."""

    section: str
    lang: str
    code: str
    line: int
    tested: bool

    @property
    def label(self) -> str:
        return f"README.md:{self.line} ({self.section}, {self.lang})"


def readme_blocks(text: str) -> list[Block]:
    """Every fenced block with its ``## `` section and whether ``<!-- tested -->`` precedes it."""
    blocks: list[Block] = []
    lines = text.splitlines()
    section = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            section = line[3:].strip()
        fence = _FENCE.match(line)
        if fence is None:
            index += 1
            continue
        previous = next((p.strip() for p in reversed(lines[:index]) if p.strip()), "")
        end = index + 1
        while end < len(lines) and not _CLOSE.match(lines[end]):
            end += 1
        blocks.append(
            Block(
                section=section,
                lang=fence["lang"],
                code=textwrap.dedent("\n".join(lines[index + 1 : end])) + "\n",
                line=index + 1,
                tested=previous == MARKER,
            )
        )
        index = end + 1
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))
TESTED = [b for b in BLOCKS if b.tested and b.lang in ("sh", "bash", "python")]


def clean_environ() -> dict[str, str]:
    """The caller's environment without any backend settings, in development."""
    prefixes = ("SECRETS_", "AWS_", "VAULT_")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    environ.pop("ENVIRONMENT", None)
    bin_dir = str(Path(sys.executable).parent)
    environ["PATH"] = f"{bin_dir}{os.pathsep}{environ.get('PATH', '')}"
    return environ


def _first_of(section: str) -> Block:
    """A section's checks follow its first block: later ones show other things."""
    return next(b for b in TESTED if b.section == section)


def run_block(block: Block, cwd: Path) -> subprocess.CompletedProcess[str]:
    if block.lang == "python":
        checks = CHECKS.get(block.section, "") if block is _first_of(block.section) else ""
        args = [sys.executable, "-c", block.code + checks]
    else:
        args = ["bash", "-euo", "pipefail", "-c", block.code]
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env=clean_environ(),
    )


@pytest.fixture(scope="module")
def readme_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[int, subprocess.CompletedProcess[str]]:
    """Every tested block, top to bottom, in one fresh folder; each block's outcome by line."""
    folder = tmp_path_factory.mktemp("readme")
    assert os.listdir(folder) == []
    return {block.line: run_block(block, folder) for block in TESTED}


def test_the_readme_marks_its_main_examples() -> None:
    sections = [block.section for block in TESTED]
    assert sections[:2] == [QUICK_START, QUICK_START]
    assert [b.lang for b in TESTED[:2]] == ["sh", "python"]
    assert {*CHECKS, *NOT_YET_SELF_CONTAINED} <= set(sections), sections


@pytest.mark.parametrize("block", TESTED, ids=lambda b: b.label)
def test_tested_block_runs_as_written(
    readme_run: dict[int, subprocess.CompletedProcess[str]], block: Block
) -> None:
    done = readme_run[block.line]
    if block.section in NOT_YET_SELF_CONTAINED:
        assert done.returncode != 0, f"{block.label} runs now: drop it from NOT_YET_SELF_CONTAINED"
        pytest.xfail(f"{block.label}: {NOT_YET_SELF_CONTAINED[block.section]}")
    assert done.returncode == 0, f"{block.label} failed:\n{done.stderr[-3000:]}"


def test_quick_start_shell_prints_what_it_says(
    readme_run: dict[int, subprocess.CompletedProcess[str]],
) -> None:
    shell = next(b for b in TESTED if b.section == QUICK_START and b.lang == "sh")
    lines = readme_run[shell.line].stdout.splitlines()
    assert STRIPE_KEY in lines  # `get` printed the value alone on its line
    listed = json.loads(next(line for line in lines if line.startswith("[")))  # list --json
    assert listed == ["gaara/prod/database", "gaara/prod/database-url", "gaara/prod/stripe-api-key"]


def test_flask_block_prints_the_value_it_read(
    readme_run: dict[int, subprocess.CompletedProcess[str]],
) -> None:
    flask = next(b for b in TESTED if b.section == "Flask")
    assert readme_run[flask.line].stdout == f"{STRIPE_KEY}\n"


@pytest.mark.parametrize("path", ["README.md", "examples/gaara_store/README.md", "bench/README.md"])
def test_no_example_puts_a_value_on_the_command_line(path: str) -> None:
    """Values come from stdin, a file or a prompt: argv is visible to every local user."""
    text = (ROOT / path).read_text(encoding="utf-8")
    offending = [line for line in text.splitlines() if re.search(r"\bput\b.*--value\b", line)]
    assert not offending, offending


def test_block_extraction_sees_markers_and_indentation() -> None:
    text = (
        "## One\n\n```sh\necho a\n```\n\n<!-- tested -->\n```python\nx = 1\n```\n"
        "## Two\n- item:\n\n  <!-- tested -->\n  ```python\n  if x:\n      y = 2\n  ```\n"
    )
    blocks = readme_blocks(text)
    assert [(b.section, b.lang, b.tested) for b in blocks] == [
        ("One", "sh", False),
        ("One", "python", True),
        ("Two", "python", True),
    ]
    assert blocks[2].code == "if x:\n    y = 2\n"
