"""The core install (no extras) works: the CLI starts, every --help answers, and a feature that
needs an extra says which ``pip install`` brings it — no ImportError traceback.

Runs in a subprocess whose import system refuses the optional packages, as on a machine where
only ``pip install secrets-adapter`` was run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

OPTIONAL = [
    "boto3",
    "botocore",
    "hvac",
    "flask",
    "jwt",
    "psycopg",
    "prometheus_client",
    "sqlalchemy",
    "fastapi",
    "starlette",
    "django",
    "pydantic_settings",
]

_PRELUDE = textwrap.dedent(
    f"""
    import importlib.abc, sys
    BLOCKED = {OPTIONAL!r}

    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    sys.meta_path.insert(0, Refuse())
    """
)


def _run(body: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _PRELUDE + textwrap.dedent(body)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def test_every_command_answers_help_without_extras(tmp_path: Path) -> None:
    run = _run(
        """
        import json
        import click
        from secrets_adapter.cli.main import cli, main

        def walk(group, prefix):
            for name, command in sorted(group.commands.items()):
                yield [*prefix, name]
                if isinstance(command, click.Group):
                    yield from walk(command, [*prefix, name])

        codes = {" ".join(path): main([*path, "--help"]) for path in walk(cli, [])}
        print(json.dumps(codes))
        """,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    codes = json.loads(run.stdout.strip().splitlines()[-1])
    assert len(codes) > 20
    assert {path: code for path, code in codes.items() if code != 0} == {}


def test_local_store_works_and_cloud_backends_name_their_extra(tmp_path: Path) -> None:
    run = _run(
        """
        from secrets_adapter import SecretsAdapter, ConfigurationError
        from secrets_adapter.localstore import init_store
        init_store("store")
        adapter = SecretsAdapter(backend="local", path="store")
        adapter.put_secret("app/x", "v")
        assert adapter.get_secret_value("app/x") == "v"
        for backend, extra in (("aws", "aws"), ("vault", "vault")):
            try:
                SecretsAdapter(backend=backend)
            except ConfigurationError as exc:
                assert f"secrets-adapter[{extra}]" in str(exc), str(exc)
            else:
                raise AssertionError(backend)
        print("ok")
        """,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith("ok")


def test_a_command_needing_an_extra_says_so_in_one_line(tmp_path: Path) -> None:
    run = _run(
        """
        import sys
        from secrets_adapter.cli.main import main
        sys.exit(main(["--backend", "aws", "list"]))
        """,
        tmp_path,
    )
    assert run.returncode == 3, run.stderr[-3000:]
    assert "pip install 'secrets-adapter[aws]'" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_async_face_works_and_each_framework_names_its_extra(tmp_path: Path) -> None:
    run = _run(
        """
        import asyncio, importlib
        from secrets_adapter import AsyncSecretsAdapter, ConfigurationError
        from secrets_adapter.localstore import init_store
        init_store("store")

        async def main():
            async with AsyncSecretsAdapter("local", path="store") as secrets:
                await secrets.put_secret("app/x", "v")
                assert await secrets.get_secret_value("app/x") == "v"

        asyncio.run(main())
        for module, extra in (
            ("secrets_adapter.fastapi", "fastapi"),
            ("secrets_adapter.pydantic", "pydantic"),
            ("secrets_adapter.integrations.django", "django"),
        ):
            try:
                importlib.import_module(module)
            except ConfigurationError as exc:
                assert f"secrets-adapter[{extra}]" in str(exc), str(exc)
            else:
                raise AssertionError(module)
        print("ok")
        """,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith("ok")
