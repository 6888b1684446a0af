"""A JWT secret migrated from .env (a plain string) rotates without logging anyone out."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.rotation.jwt_verifier import JwtVerifier, TokenRejectedError, sign_token
from secrets_adapter.rotation.rotators.jwt import LEGACY_KID, JwtKeySet
from secrets_adapter.rotation.schedule import rotation_config_tags
from secrets_adapter.testing import InMemoryProvider
from tests.unit.rotation.helpers import FakeClock

NAME = "gaara/prod/jwt-secret-key"
PLAIN = "demo-jwt-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e"
FAR_FUTURE = 4_102_444_800


def test_plain_string_is_a_legacy_hs256_key_set() -> None:
    adapter = SecretsAdapter(provider=InMemoryProvider({NAME: PLAIN}))
    keys = JwtKeySet.from_value(adapter.get(NAME).value)
    assert [key.kid for key in keys.keys] == [LEGACY_KID]
    token = sign_token(keys, {"sub": "alice"})
    # the same token the app made before migration with the plain string as its HS256 key
    assert jwt.decode(token, PLAIN, algorithms=["HS256"]) == {"sub": "alice"}
    assert PLAIN not in repr(keys)


def test_tokens_from_before_migration_survive_the_first_rotation_then_expire() -> None:
    clock = FakeClock()
    provider = InMemoryProvider({NAME: PLAIN}, clock=clock)
    provider.set_tags(
        NAME, rotation_config_tags(rotator="jwt", every=None, options={"grace": "1d"})
    )
    adapter = SecretsAdapter(provider=provider, clock=clock)
    old = jwt.encode(
        {"sub": "alice", "exp": FAR_FUTURE}, PLAIN, algorithm="HS256", headers={"kid": LEGACY_KID}
    )
    verifier = JwtVerifier(
        lambda: adapter.get(NAME, refresh=True).value, clock=clock, max_age=timedelta(0)
    )
    assert verifier.verify(old)["sub"] == "alice"
    adapter.rotate_secret(NAME)
    assert verifier.verify(old)["sub"] == "alice"
    clock.advance(timedelta(days=1))
    with pytest.raises(TokenRejectedError, match="grace ended"):
        verifier.verify(old)
