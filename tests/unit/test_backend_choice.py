"""Which backend the constructor's arguments choose, and arguments a backend does not use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from secrets_adapter import AsyncSecretsAdapter, ConfigurationError, SecretsAdapter
from secrets_adapter.cli.main import cli
from secrets_adapter.clock import utcnow
from secrets_adapter.config import Settings, backend_for_arguments
from secrets_adapter.events import Event, ThrottleEvent
from secrets_adapter.testing import InMemoryProvider


@pytest.mark.parametrize(
    ("given", "backend"),
    [
        ({"region": "us-east-1"}, "aws"),
        ({"endpoint_url": "http://127.0.0.1:1", "kms_key_id": "k"}, "aws"),
        ({"url": "http://127.0.0.1:8200"}, "vault"),
        ({"token": "t"}, "vault"),
        ({"env_file": ".env"}, "env"),
        ({"path": ".secrets"}, "local"),
        ({}, None),
        ({"region": None}, None),
    ],
)
def test_arguments_choose_their_backend(given: dict[str, object], backend: str | None) -> None:
    assert backend_for_arguments(None, given) == backend


@pytest.mark.parametrize(
    ("backend", "given", "named"),
    [
        ("local", {"region": "us-east-1"}, "region="),
        ("aws", {"mount": "kv"}, "mount="),
        ("vault", {"kms_key_id": "k"}, "kms_key_id="),
        ("env", {"path": "x", "url": "y"}, "path=, url="),
    ],
)
def test_an_argument_the_backend_does_not_use_is_named(
    backend: str, given: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"does not use {named}"):
        backend_for_arguments(backend, given)
    with pytest.raises(ConfigurationError, match=f"The {backend} backend does not use {named}"):
        SecretsAdapter(backend, **given)  # type: ignore[arg-type]


def test_arguments_of_two_backends_without_a_backend_are_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"region= \(aws\), url= \(vault\)"):
        SecretsAdapter(region="us-east-1", url="http://127.0.0.1:8200")


def test_region_alone_means_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    adapter = SecretsAdapter(region="us-east-1")
    assert adapter._provider.kind == "aws"
    assert adapter.settings.aws.region == "us-east-1"
    adapter.close()


def test_settings_keep_their_backend_and_refuse_foreign_arguments() -> None:
    with pytest.raises(ConfigurationError, match="local backend does not use region="):
        SecretsAdapter(settings=Settings(backend="local"), region="us-east-1")


@pytest.mark.parametrize("face", [SecretsAdapter, AsyncSecretsAdapter])
def test_a_ready_provider_takes_no_backend_argument(face: type[Any]) -> None:
    with pytest.raises(ConfigurationError, match="mount= would be ignored"):
        face(provider=InMemoryProvider(), mount="kv")


class _ReportingProvider(InMemoryProvider):
    """A provider that reports events of its own (as AWS reports throttling)."""

    def __init__(self) -> None:
        super().__init__()
        self.reporters: list[Callable[[Event], None]] = []

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        self.reporters.append(listener)


@pytest.mark.parametrize("face", [SecretsAdapter, AsyncSecretsAdapter])
def test_both_faces_hear_what_the_provider_reports(face: type[Any]) -> None:
    heard: list[Event] = []
    provider = _ReportingProvider()
    face(provider=provider, listeners=[heard.append])
    event = ThrottleEvent(time=utcnow(), provider="memory", operation="GetSecretValue")
    for report in provider.reporters:
        report(event)
    assert heard == [event]


def test_the_cli_names_its_own_flag_for_a_missing_region(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    result = CliRunner().invoke(cli, ["--backend", "aws", "get", "x"])
    assert result.exit_code == 3
    assert "--region" in result.output and "AWS_REGION" in result.output
    assert "region=" not in result.output
