"""`make demo` keeps working, is re-runnable, and never prints a secret value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from secrets_adapter.dotenv_file import entries_as_dict, read_dotenv_file

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_twice_and_prints_no_value(tmp_path: Path) -> None:
    values = entries_as_dict(read_dotenv_file(ROOT / "examples/gaara_store/.env.example"))
    secret_values = [
        v for k, v in values.items() if k not in {"ENVIRONMENT", "FLASK_APP", "LOG_LEVEL"}
    ]
    for _ in range(2):
        run = subprocess.run(
            [sys.executable, str(ROOT / "examples/demo.py")],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=ROOT,
            env={**os.environ, "SECRETS_ADAPTER_DEMO_DIR": str(tmp_path / "demo")},
        )
        assert run.returncode == 0, run.stderr[-2000:]
        assert "Verified 8 secrets: 8 match, 0 differ, 0 missing." in run.stdout
        assert "old token still accepted" in run.stdout
        assert "5 unchanged byte-exact, 4 rotated" in run.stdout
        assert "the refresh token issued before the rotation still refreshes" in run.stdout
        assert "create a new key in the provider's console" in " ".join(run.stderr.split())
        for secret, rotator in [
            ("aws-access-key", "aws-iam-access-key"),
            ("jwt-secret-key", "jwt"),
            ("stripe-api-key", "external"),
            ("sendgrid-api-key", "external"),
            ("oauth-client-secret", "external"),
        ]:
            assert f"gaara/prod/{secret}" in run.stdout
            summary = [line for line in run.stdout.splitlines() if f"/{secret} " in line]
            assert summary and summary[-1].split()[1] == rotator, summary
        for value in secret_values:
            assert value not in run.stdout
            assert value not in run.stderr
        for env_file in (tmp_path / "demo" / ".env", tmp_path / "demo" / "rollback.env"):
            assert env_file.stat().st_mode & 0o777 == 0o600, env_file.name
