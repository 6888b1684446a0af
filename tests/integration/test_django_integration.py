"""The Django integration in a real Django project (tests/django_project), each run a fresh
process on a real embedded store: Django's own test runner passes, ``manage.py check`` fails
start-up naming EVERY missing secret at once, the system check reports a required secret that is
missing, and ``secrets_status`` prints the status table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from secrets_adapter import SecretsAdapter
from secrets_adapter.localstore import init_store
from tests.sentinel import SENTINEL

PROJECT = Path(__file__).resolve().parents[1] / "django_project"
PREFIX = "gaara/prod"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    init_store(path)
    with SecretsAdapter("local", path=path, prefix=PREFIX) as admin:
        admin.put_secret("django-secret-key", "django-insecure-" + "k" * 40)
        admin.put_secret("stripe-api-key", SENTINEL)
        admin.put_secret("database", {"user": "gaara", "password": "db-pass-django"})
    return path


def manage(store: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    prefixes = ("SECRETS_", "AWS_", "VAULT_", "DJANGO_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        ENVIRONMENT="development",
        SECRETS_BACKEND="local",
        SECRETS_ADAPTER_PATH=str(store),
        SECRETS_MANAGER_PREFIX=PREFIX,
        PYTHONPATH=os.pathsep.join([str(PROJECT), *sys.path]),
        **extra_env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_djangos_test_runner_passes_on_the_resolved_settings(store: Path) -> None:
    done = manage(store, "test", "gaara_site", "--verbosity", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Ran 4 tests" in done.stderr
    assert SENTINEL not in done.stdout + done.stderr


def test_check_passes_when_every_secret_is_there(store: Path) -> None:
    done = manage(store, "check")
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_start_up_fails_naming_every_missing_secret_at_once(store: Path) -> None:
    with SecretsAdapter("local", path=store, prefix=PREFIX) as admin:
        admin.delete_secret("stripe-api-key", force=True)
        admin.delete_secret("django-secret-key", force=True)
    done = manage(store, "check")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "2 secret reference(s)" in done.stderr
    assert "STRIPE_API_KEY = secret://stripe-api-key" in done.stderr
    assert "SECRET_KEY = secret://django-secret-key" in done.stderr
    assert "SecretNotFoundError" in done.stderr


def test_the_system_check_reports_a_missing_required_secret(store: Path) -> None:
    done = manage(
        store, "check", GAARA_REQUIRED_SECRETS="stripe-api-key,sendgrid-api-key,oauth-secret"
    )
    assert done.returncode == 1, done.stderr
    assert "secrets_adapter.E001" in done.stderr
    assert f"{PREFIX}/sendgrid-api-key" in done.stderr
    assert f"{PREFIX}/oauth-secret" in done.stderr
    assert f"{PREFIX}/stripe-api-key" not in done.stderr  # present: no error for it
    assert "secrets-adapter put" in done.stderr  # the hint says what to do


def test_secrets_status_prints_the_table(store: Path) -> None:
    done = manage(store, "secrets_status")
    assert done.returncode == 0, done.stderr
    for name in ("django-secret-key", "stripe-api-key", "database"):
        assert f"{PREFIX}/{name}" in done.stdout
    assert SENTINEL not in done.stdout
