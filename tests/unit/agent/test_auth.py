"""Tokens: where the agent finds them, and who each one stands for."""

from __future__ import annotations

from pathlib import Path

import pytest

from secrets_adapter.agent import TokenTable, load_tokens_file, token_from_environment
from secrets_adapter.errors import ConfigurationError


def test_environment_order_and_file_reference_follow_aws(tmp_path: Path) -> None:
    token_file = tmp_path / "awssmatoken"
    token_file.write_text("from-a-file-0123456789\n", encoding="utf-8")
    assert token_from_environment({"AWS_SESSION_TOKEN": "b", "AWS_TOKEN": "a"}) == "a"
    assert token_from_environment({"AWS_SESSION_TOKEN": "b"}) == "b"
    assert token_from_environment({"AWS_TOKEN": f"file://{token_file}"}) == (
        "from-a-file-0123456789"
    )
    assert token_from_environment({}) is None
    with pytest.raises(ConfigurationError, match="Cannot read"):
        token_from_environment({"AWS_TOKEN": f"file://{tmp_path / 'missing'}"})


def test_each_token_maps_to_its_principal_only() -> None:
    table = TokenTable.of({"api": "a" * 32, "cron": "c" * 32})
    assert table.principal_for("a" * 32) == "api"
    assert table.principal_for(" " + "c" * 32 + "\n") == "cron"
    assert table.principal_for("a" * 31) is None
    assert table.principal_for("a" * 32 + "x") is None
    assert table.principal_for(None) is None
    assert table.principal_for("é") is None


def test_weak_or_shared_tokens_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="shorter"):
        TokenTable.of({"api": "short"})
    with pytest.raises(ConfigurationError, match="share"):
        TokenTable.of({"api": "t" * 20, "cron": "t" * 20})


def test_tokens_file_lines_and_permissions(tmp_path: Path) -> None:
    (tmp_path / "api.token").write_text("api-token-0123456789", encoding="utf-8")
    (tmp_path / "api.token").chmod(0o600)
    tokens = tmp_path / "tokens"
    tokens.write_text("# who  file\napi api.token  # the API\n\n", encoding="utf-8")
    tokens.chmod(0o600)
    assert load_tokens_file(tokens) == {"api": "api-token-0123456789"}
    tokens.write_text("api\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="line 1"):
        load_tokens_file(tokens)
    (tmp_path / "api.token").chmod(0o640)
    tokens.write_text("api api.token\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_tokens_file(tokens)
