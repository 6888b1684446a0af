"""The redaction filter masks served values in real log output."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.models import SecretValue
from secrets_adapter.redaction import MASK, ServedValues, install_redaction
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL


@pytest.fixture
def adapter() -> SecretsAdapter:
    provider = InMemoryProvider(
        {
            "app/jwt": SENTINEL,
            "app/db": json.dumps({"url": "postgres://u:field-secret@db/x", "port": 5432}),
            "app/short": "abc",
            "app/unread": "never-served-value",
            "app/blob": b"\x00\x01binary-bytes",
        }
    )
    return SecretsAdapter(provider=provider)


@pytest.fixture
def captured(adapter: SecretsAdapter) -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    install_redaction(adapter, handlers=[handler])
    logger = logging.getLogger("gaara.test")
    logger.addHandler(handler)
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)


def test_served_values_are_masked_in_messages_args_and_tracebacks(
    adapter: SecretsAdapter, captured: tuple[logging.Logger, io.StringIO]
) -> None:
    logger, stream = captured
    token = adapter.get_secret_value("app/jwt")
    url = adapter.get_secret_value("app/db", "url")
    adapter.get_secret_value("app/short")
    adapter.get("app/blob")
    logger.warning("token=%s url=%s short=abc", token, url)
    logger.info(f"inline {token}!")
    try:
        raise RuntimeError(f"failed with {token}")
    except RuntimeError:
        logger.exception("boom")
    logger.info("unserved never-served-value stays")
    output = stream.getvalue()
    assert SENTINEL not in output
    assert "field-secret" not in output
    assert f"token={MASK} url={MASK} short=abc" in output
    assert f"inline {MASK}!" in output
    assert f"RuntimeError: failed with {MASK}" in output
    assert "unserved never-served-value stays" in output


def test_values_served_after_install_are_masked_too(adapter: SecretsAdapter) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(adapter.redaction_filter())
    logger = logging.getLogger("gaara.late")
    logger.addHandler(handler)
    try:
        logger.error("before %s", "never-served-value")
        adapter.get_many(["app/unread"])
        logger.error("after %s", "never-served-value")
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue().splitlines() == ["before never-served-value", f"after {MASK}"]


def test_registry_is_bounded_and_never_prints_values() -> None:
    served = ServedValues(min_length=3, max_values=2)
    for text in ("first-value", "second-value", "third-value"):
        served.remember(SecretValue(text))
    assert len(served) == 2
    assert served.mask("first-value second-value third-value") == f"first-value {MASK} {MASK}"
    assert repr(served) == "ServedValues(2 values)"
    served.remember(SecretValue(b"bytes-value"))
    assert len(served) == 2
    served.clear()
    assert served.mask("second-value") == "second-value"


def test_longest_value_wins_when_values_overlap() -> None:
    served = ServedValues()
    served.remember(SecretValue("secret-abc"))
    served.remember(SecretValue("secret-abc-def"))
    assert served.mask("x secret-abc-def y") == f"x {MASK} y"
