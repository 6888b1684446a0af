"""README.md's main examples run as written, against the embedded store, so they cannot rot.

Which blocks run: every fenced ``sh`` block of the "Quick start" section, and every fenced
``python`` block preceded by the line ``<!-- tested -->`` (blocks that need no cloud). Each runs
in a fresh temporary folder, as a separate process (the CLI, or ``python -c``), with none of the
caller's ``SECRETS_*``/``AWS_*``/``VAULT_*`` variables. The world a block may assume is set up
here: the Quick start's store with ``gaara/prod/database-url``, ``gaara/prod/database`` (a JSON
object) and ``gaara/prod/jwt-keys``; a development ``.env`` holding the Gaara Store's nine
secrets (what ``FlaskSecrets(app)`` reads through ``from_env()``); and the names a fragment
takes as given: ``adapter`` (a ``SecretsAdapter`` over that store with the prefix ``gaara/prod``),
``app`` (a Flask app), ``SLACK_WEBHOOK_URL`` (a closed port: the webhook is never reached) and
``my_pager_function``.
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
PREFIX = "gaara/prod"
CLI = str(Path(sys.executable).with_name("secrets-adapter"))

# Made-up values (never the suite's sentinel): what the blocks read back.
STRIPE_KEY = "sk_test_readme-example-4242"
DATABASE_URL = "postgresql://gaara:readme-db-pass@127.0.0.1:5432/gaara_store"
DATABASE = {"username": "gaara", "password": "readme-db-pass"}
GAARA_ENV = {
    "DATABASE_URL": DATABASE_URL,
    "JWT_SECRET_KEY": "readme-jwt-secret",
    "JWT_REFRESH_SECRET_KEY": "readme-jwt-refresh-secret",
    "ENCRYPTION_KEY": "readme-encryption-key",
    "AWS_ACCESS_KEY_ID": "AKIAREADMEEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "readme-aws-secret",
    "SENDGRID_API_KEY": "readme-sendgrid-key",
    "STRIPE_API_KEY": STRIPE_KEY,
    "OAUTH_CLIENT_SECRET": "readme-oauth-secret",
}
PRELUDE = (
    "from flask import Flask\n"
    "from secrets_adapter import SecretsAdapter\n"
    f"adapter = SecretsAdapter(backend='local', path='.secrets', prefix={PREFIX!r})\n"
    "app = Flask('readme')\n"
    "SLACK_WEBHOOK_URL = 'http://127.0.0.1:9/'\n"
    "pages = []\n"
    "my_pager_function = pages.append\n"
)
# What a section's tested block must have done, checked after it ran.
CHECKS = {
    "Flask": f"\nassert app.config['STRIPE_API_KEY'] == {STRIPE_KEY!r}\n",
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
QUICK_START_SH = [b for b in BLOCKS if b.section == QUICK_START and b.lang == "sh"]
TESTED_PYTHON = [b for b in BLOCKS if b.tested and b.lang == "python"]


def clean_environ(**extra: str) -> dict[str, str]:
    """The caller's environment without any backend settings, in development."""
    prefixes = ("SECRETS_", "AWS_", "VAULT_")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    environ.pop("ENVIRONMENT", None)
    bin_dir = str(Path(sys.executable).parent)
    environ["PATH"] = f"{bin_dir}{os.pathsep}{environ.get('PATH', '')}"
    return {**environ, "ENVIRONMENT": "development", **extra}


def run(args: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env=clean_environ(STRIPE_KEY=STRIPE_KEY),
    )


def run_quick_start(cwd: Path) -> str:
    """Run the Quick start's shell blocks as written; return their standard output."""
    outputs = []
    for block in QUICK_START_SH:
        done = run(["bash", "-euo", "pipefail", "-c", block.code], cwd)
        assert done.returncode == 0, f"{block.label} failed: {done.stderr[-2000:]}"
        outputs.append(done.stdout)
    return "".join(outputs)


def put(cwd: Path, name: str, value: str) -> None:
    done = run([CLI, "put", name], cwd, stdin=value)
    assert done.returncode == 0, done.stderr


def run_python(block: Block, cwd: Path, epilogue: str = "") -> None:
    source = PRELUDE + block.code + epilogue
    done = run([sys.executable, "-c", source], cwd)
    assert done.returncode == 0, f"{block.label} failed:\n{done.stderr[-3000:]}"


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """The Quick start done, plus what the other tested blocks assume (see the module doc)."""
    run_quick_start(tmp_path)
    put(tmp_path, f"{PREFIX}/database-url", DATABASE_URL)
    put(tmp_path, f"{PREFIX}/database", json.dumps(DATABASE))
    put(tmp_path, f"{PREFIX}/jwt-keys", "readme-legacy-jwt-secret")
    jwt_keys = f"{PREFIX}/jwt-keys"  # made a key set with a kid, as the README describes it
    for args in (["rotation", "configure", jwt_keys, "--rotator", "jwt"], ["rotate", jwt_keys]):
        done = run([CLI, *args], tmp_path)
        assert done.returncode == 0, done.stderr
    dotenv = "".join(f"{key}={value}\n" for key, value in GAARA_ENV.items())
    (tmp_path / ".env").write_text(dotenv, encoding="utf-8")
    return tmp_path


def test_the_readme_marks_its_main_examples() -> None:
    assert QUICK_START_SH, "the Quick start section has no ```sh block"
    sections = {block.section for block in TESTED_PYTHON}
    assert {QUICK_START, "Rotation", *CHECKS} <= sections, sections


def test_quick_start_shell_stores_reads_lists_and_rotates(tmp_path: Path) -> None:
    stdout = run_quick_start(tmp_path)
    lines = stdout.splitlines()
    assert STRIPE_KEY in lines  # `get` printed the value alone on its line
    assert f'["{PREFIX}/stripe-api-key"]' in lines  # list --json
    current = run([CLI, "get", f"{PREFIX}/stripe-api-key"], tmp_path)
    assert current.returncode == 0
    assert current.stdout.strip() not in ("", STRIPE_KEY)  # rotate made a new current value
    assert oct((tmp_path / ".secrets" / "master.key").stat().st_mode & 0o777) == "0o600"


def test_quick_start_python_reads_what_it_says(world: Path) -> None:
    blocks = [b for b in TESTED_PYTHON if b.section == QUICK_START]
    assert blocks
    checks = (
        f"\nassert url == {DATABASE_URL!r}, 'url'"
        f"\nassert db == {DATABASE!r}, 'db'"
        f"\nassert password == {DATABASE['password']!r}, 'password'\n"
    )
    for block in blocks:
        run_python(block, world, epilogue=checks)


@pytest.mark.parametrize(
    "block", [b for b in TESTED_PYTHON if b.section != QUICK_START], ids=lambda b: b.label
)
def test_tested_python_block_runs(world: Path, block: Block) -> None:
    run_python(block, world, epilogue=CHECKS.get(block.section, ""))


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
