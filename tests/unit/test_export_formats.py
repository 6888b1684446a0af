"""The export formats as pure functions: edge cases the CLI tests do not reach."""

from __future__ import annotations

import pytest
import yaml

from secrets_adapter.errors import MigrationError
from secrets_adapter.migrate.export import format_export, kubernetes_name
from secrets_adapter.models import SecretValue
from tests.sentinel import SENTINEL


def test_kubernetes_name_from_the_prefix() -> None:
    assert kubernetes_name("gaara/prod") == "gaara-prod"
    assert kubernetes_name("/Team_A/Prod/") == "team-a-prod"
    assert kubernetes_name("") == "secrets"


def test_an_empty_secret_manifest_is_still_valid() -> None:
    manifest = yaml.safe_load(format_export([], "k8s-secret", name="empty"))
    assert manifest["data"] == {}
    assert manifest["kind"] == "Secret"


def test_binary_values_only_in_k8s_secret() -> None:
    pairs = [("BLOB", SecretValue(b"\x00\xff" + SENTINEL.encode()))]
    manifest = yaml.safe_load(format_export(pairs, "k8s-secret", name="x"))
    assert manifest["data"]["BLOB"]  # base64 of the bytes
    for text_format in ("dotenv", "json", "shell", "docker-env"):
        with pytest.raises(MigrationError, match="BLOB: binary or holding a NUL") as info:
            format_export(pairs, text_format)
        assert SENTINEL not in str(info.value)


def test_dotenv_export_says_what_wrote_it() -> None:
    text = format_export([("A", SecretValue("1"))], "dotenv")
    assert text.startswith("# Written by `secrets-adapter export`")
