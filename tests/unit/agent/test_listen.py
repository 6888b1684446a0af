"""Where the agent may listen: loopback unless told otherwise, refused before anything binds."""

from __future__ import annotations

import pytest

from secrets_adapter import SecretsAdapter
from secrets_adapter.agent import SecretsAgent, TokenTable, is_loopback
from secrets_adapter.errors import ConfigurationError
from secrets_adapter.testing import InMemoryProvider


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),  # noqa: S104 - the address under test, never bound
        ("::", False),
        ("10.0.0.1", False),
        ("agent.internal", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_non_loopback_address_is_refused_with_the_way_out() -> None:
    adapter = SecretsAdapter(provider=InMemoryProvider())
    tokens = TokenTable.of({"app": "t" * 32})
    with pytest.raises(ConfigurationError, match="--allow-remote"):
        SecretsAgent({"app": adapter}, tokens, host="0.0.0.0")  # noqa: S104


def test_every_token_needs_an_adapter() -> None:
    adapter = SecretsAdapter(provider=InMemoryProvider())
    tokens = TokenTable.of({"app": "a" * 32, "cron": "c" * 32})
    with pytest.raises(ConfigurationError, match="cron"):
        SecretsAgent({"app": adapter}, tokens)
