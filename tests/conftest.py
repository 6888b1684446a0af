"""Suite-wide fixtures: provider factories for the contract suite and the sentinel leak guard."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.fixtures.providers import ProviderFixture, memory_fixture
from tests.sentinel import SENTINEL

# Every backend's factory fixture is listed here; the contract suite runs once per entry.
# A backend adds a fixture named ``<kind>_provider_fixture`` (in tests/fixtures/) and its kind here.
CONTRACT_PROVIDERS = ["memory", "local", "env", "aws", "cached", "vault"]

pytest_plugins: list[str] = [
    "tests.fixtures.local",
    "tests.fixtures.env",
    "tests.fixtures.aws",
    "tests.fixtures.postgres",
    "tests.fixtures.cache",
    "tests.fixtures.vault",
]


@pytest.fixture
def memory_provider_fixture() -> ProviderFixture:
    return memory_fixture


@pytest.fixture(params=CONTRACT_PROVIDERS)
def provider_fixture(request: pytest.FixtureRequest) -> ProviderFixture:
    """One backend's factory; the contract suite is parametrized over all of them."""
    fixture = request.getfixturevalue(f"{request.param}_provider_fixture")
    assert isinstance(fixture, ProviderFixture)
    return fixture


class _LeakGuard(logging.Handler):
    """Records every log line (with its traceback) so teardown can prove no secret value leaked."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(autouse=True)
def sentinel_leak_guard() -> Iterator[None]:
    """Runs across the whole suite: the sentinel value never reaches a log record."""
    guard = _LeakGuard()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(guard)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(guard)
        root.setLevel(old_level)
    leaked = [line for line in guard.lines if SENTINEL in line]
    assert not leaked, f"the sentinel secret reached a log record: {leaked[0][:200]!r}"
