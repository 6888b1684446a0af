"""A sealed or stopped OpenBao is ``ProviderUnavailableError`` within the configured timeout."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from secrets_adapter.errors import ProviderUnavailableError
from secrets_adapter.models import SecretValue
from secrets_adapter.providers.vault import VaultProvider
from tests.fixtures.vault import BaoServer, bao_binary, free_port, vault_settings

TIMEOUT = 1.5


def _timed_get(provider: VaultProvider, name: str) -> tuple[ProviderUnavailableError, float]:
    started = time.monotonic()
    with pytest.raises(ProviderUnavailableError) as info:
        provider.get(name)
    return info.value, time.monotonic() - started


def test_sealed_server_is_unavailable_within_the_timeout(own_openbao_server: BaoServer) -> None:
    provider = VaultProvider.from_settings(vault_settings(own_openbao_server, timeout=TIMEOUT))
    provider.put("db", SecretValue("v1"))
    env = dict(
        os.environ, VAULT_ADDR=own_openbao_server.url, VAULT_TOKEN=own_openbao_server.root_token
    )
    subprocess.run([bao_binary(), "operator", "seal"], env=env, check=True, capture_output=True)
    error, elapsed = _timed_get(provider, "db")
    assert elapsed < TIMEOUT + 1.0
    assert "unavailable" in error.message
    assert error.secret_name == "db"


def test_stopped_server_is_unavailable_within_the_timeout(own_openbao_server: BaoServer) -> None:
    provider = VaultProvider.from_settings(vault_settings(own_openbao_server, timeout=TIMEOUT))
    provider.put("db", SecretValue("v1"))
    own_openbao_server.stop()
    _, elapsed = _timed_get(provider, "db")
    assert elapsed < TIMEOUT + 1.0


def test_a_dead_first_address_fails_over_to_the_next(openbao_server: BaoServer) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = vault_settings(openbao_server, url=dead, addresses=(openbao_server.url,))
    provider = VaultProvider.from_settings(settings)
    provider.put("db", SecretValue("v1"))
    assert provider.get("db").value.reveal() == "v1"
    assert provider.session.active_address == openbao_server.url
