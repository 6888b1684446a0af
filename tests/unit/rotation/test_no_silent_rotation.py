"""A secret with no configured rotator is never rotated — by ``rotate_secret``, the engine or the
Lambda — and a rotator that makes a wrong value fails at *test* while ``current`` keeps serving."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from secrets_adapter import ConfigurationError, RotationError, SecretsAdapter
from secrets_adapter.models import SecretValue, Stage
from secrets_adapter.rotation.engine import RotationEngine
from secrets_adapter.rotation.lambda_handler import handle_rotation_event
from secrets_adapter.rotation.rotator import RotationContext, Rotator
from secrets_adapter.rotation.rotators import builtin_rotators
from secrets_adapter.rotation.rotators.jwt import JwtKeySet, JwtRotator, new_key
from secrets_adapter.rotation.rotators.keyring import (
    KeyRing,
    KeyringKey,
    KeyringRotator,
    key_id_for,
)
from secrets_adapter.rotation.rotators.random import RandomRotator
from secrets_adapter.rotation.schedule import rotation_config_tags
from secrets_adapter.rotation.state import TAG_STATE
from secrets_adapter.testing import InMemoryProvider

STRIPE = "gaara/prod/stripe-api-key"
STRIPE_KEY = "sk_test_demo_51HxYzABCdefGHIjklMNOpqrSTU"
COMMAND = f"'secrets-adapter rotation configure {STRIPE} --rotator ROTATOR'"


def _provider() -> InMemoryProvider:
    return InMemoryProvider({STRIPE: STRIPE_KEY})


def test_rotate_secret_refuses_a_secret_without_rotator() -> None:
    provider = _provider()
    adapter = SecretsAdapter(provider=provider)
    with pytest.raises(ConfigurationError) as refused:
        adapter.rotate_secret(STRIPE)
    assert COMMAND in refused.value.message and "untouched" in refused.value.message
    assert refused.value.secret_name == STRIPE
    assert adapter.get_secret_value(STRIPE) == STRIPE_KEY
    assert len(provider.describe(STRIPE).versions) == 1
    assert provider.calls.get("put_version", 0) == 0
    assert provider.describe(STRIPE).tags == {}  # not even a lease was written


def test_the_engine_has_no_default_rotator() -> None:
    provider = _provider()
    with pytest.raises(ConfigurationError, match="no rotator configured"):
        RotationEngine(provider, builtin_rotators()).rotate(STRIPE)
    assert provider.get(STRIPE).value == SecretValue(STRIPE_KEY)


def test_the_lambda_refuses_a_secret_without_rotator() -> None:
    provider = _provider()
    event = {"Step": "createSecret", "SecretId": STRIPE, "ClientRequestToken": "tok-1"}
    with pytest.raises(ConfigurationError, match="rotation configure"):
        handle_rotation_event(event, provider)
    assert provider.describe(STRIPE).versions[0].stages == frozenset({Stage.CURRENT})
    assert len(provider.describe(STRIPE).versions) == 1


class _BadValue:
    """A rotator forced to produce a wrong value; its test step is the real rotator's."""

    def __init__(self, real: Rotator, bad: SecretValue) -> None:
        self.real, self.bad = real, bad
        self.name = real.name

    def create(self, context: RotationContext) -> SecretValue:
        return self.bad

    def set(self, context: RotationContext, pending: SecretValue) -> None:
        self.real.set(context, pending)

    def test(self, context: RotationContext, pending: SecretValue) -> None:
        self.real.test(context, pending)


KEY = base64.b64encode(bytes(range(32))).decode()
LEGACY_JWT = "legacy-jwt-secret-of-some-length"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _ring_key(size: int) -> KeyringKey:
    text = base64.b64encode(b"\x01" * size).decode()
    return KeyringKey(id=key_id_for(text), key=text, created_at=NOW)


def _jwt_without_pending_and_old_key() -> SecretValue:
    return JwtKeySet(keys=(new_key("HS256", now=NOW),)).to_value()


# case: (rotator, options, current value, the real rotator, the wrong value it is made to create)
BAD_CASES: dict[str, tuple[str, dict[str, str], str, Rotator, SecretValue]] = {
    "random --bytes 32 gets 40 characters": (
        "random", {"bytes": "32"}, KEY, RandomRotator(), SecretValue("A" * 40)
    ),
    "random without --bytes on a 32-byte key": (
        "random", {}, KEY, RandomRotator(), SecretValue("x" * 40)
    ),
    "random on a JSON value": (
        "random", {}, '{"user": "u"}', RandomRotator(), SecretValue("y" * 40)
    ),
    "jwt set with no pending key and the old key gone": (
        "jwt", {}, LEGACY_JWT, JwtRotator(), _jwt_without_pending_and_old_key()
    ),
    "jwt value that is a plain string": (
        "jwt", {}, LEGACY_JWT, JwtRotator(), SecretValue("z" * 40)
    ),
    "keyring that lost the old primary": (
        "keyring", {}, KEY, KeyringRotator(), KeyRing(keys=(_ring_key(32),)).to_value()
    ),
    "keyring primary of 16 bytes": (
        "keyring", {}, KEY, KeyringRotator(),
        KeyRing.from_value(SecretValue(KEY)).rotated(_ring_key(16), now=NOW).to_value(),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_a_wrong_value_fails_at_test_and_current_keeps_serving(case: str) -> None:
    rotator_name, options, current, real, bad = BAD_CASES[case]
    provider = InMemoryProvider({"app/secret": current})
    provider.set_tags(
        "app/secret", rotation_config_tags(rotator=rotator_name, every=None, options=options)
    )
    before = provider.get("app/secret")
    forced = _BadValue(real, bad)
    engine = RotationEngine(provider, {rotator_name: forced})
    with pytest.raises(RotationError) as failed:
        engine.rotate("app/secret")
    assert failed.value.step == "test"
    after = provider.get("app/secret")
    assert after.version_id == before.version_id and after.value == before.value
    assert provider.describe("app/secret").tags[TAG_STATE].startswith("failed:test:")


@pytest.mark.parametrize("rotator", ["random", "jwt", "keyring"])
def test_the_real_rotators_pass_their_own_test(rotator: str) -> None:
    options = {"bytes": "32"} if rotator == "random" else {}
    provider = InMemoryProvider({"app/secret": KEY})
    provider.set_tags(
        "app/secret", rotation_config_tags(rotator=rotator, every=None, options=options)
    )
    engine = RotationEngine(provider, builtin_rotators())
    for _ in range(3):
        engine.rotate("app/secret")
    assert TAG_STATE not in provider.describe("app/secret").tags
