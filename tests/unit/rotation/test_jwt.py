"""JWT key rotation: old tokens verify during the grace window and stop after it; the verifier
pins algorithms, refuses alg=none and reloads keys at most once per interval."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.errors import SecretFormatError
from secrets_adapter.models import SecretValue
from secrets_adapter.rotation.jwt_verifier import JwtVerifier, TokenRejectedError, sign_token
from secrets_adapter.rotation.rotators.jwt import JwtKeySet
from secrets_adapter.rotation.schedule import rotation_config_tags
from secrets_adapter.testing import InMemoryProvider
from tests.sentinel import SENTINEL
from tests.unit.rotation.helpers import FakeClock, Ticker

NAME = "app/jwt-keys"
FAR_FUTURE = 4_102_444_800  # 2100-01-01: PyJWT checks exp on the real clock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _adapter(clock: FakeClock, algorithm: str = "HS256", grace: str = "7d") -> SecretsAdapter:
    provider = InMemoryProvider({NAME: "placeholder"}, clock=clock)
    options = {"algorithm": algorithm, "grace": grace}
    provider.set_tags(NAME, rotation_config_tags(rotator="jwt", every=None, options=options))
    adapter = SecretsAdapter(provider=provider, clock=clock)
    adapter.rotate_secret(NAME)
    return adapter


def _keys(adapter: SecretsAdapter) -> JwtKeySet:
    return JwtKeySet.from_value(adapter.get(NAME).value)


def _verifier(adapter: SecretsAdapter, clock: FakeClock, ticker: Ticker) -> JwtVerifier:
    return JwtVerifier(
        lambda: adapter.get(NAME, refresh=True).value,
        clock=clock,
        monotonic_clock=ticker,
        reload_interval=timedelta(seconds=30),
        max_age=timedelta(hours=1),
    )


@pytest.mark.parametrize("algorithm", ["HS256", "ES256", "EdDSA"])
def test_tokens_signed_before_a_rotation_verify_within_grace_and_fail_after(
    clock: FakeClock, algorithm: str
) -> None:
    adapter = _adapter(clock, algorithm)
    ticker = Ticker()
    verifier = _verifier(adapter, clock, ticker)
    old_token = sign_token(_keys(adapter), {"sub": "alice", "exp": FAR_FUTURE})
    assert verifier.verify(old_token)["sub"] == "alice"

    clock.advance(timedelta(days=1))
    adapter.rotate_secret(NAME)
    new_token = sign_token(_keys(adapter), {"sub": "bob", "exp": FAR_FUTURE})
    assert (
        jwt.get_unverified_header(new_token)["kid"] != jwt.get_unverified_header(old_token)["kid"]
    )
    loads = verifier.loads
    # the new kid was published pending by the previous rotation: known without a reload
    assert verifier.verify(new_token)["sub"] == "bob"
    assert verifier.verify(old_token)["sub"] == "alice"
    assert verifier.loads == loads

    ticker.now += 3600  # past max_age: the verifier reloads and sees the old key's grace
    clock.advance(timedelta(days=7) - timedelta(seconds=1))
    assert verifier.verify(old_token)["sub"] == "alice"
    clock.advance(timedelta(seconds=1))
    with pytest.raises(TokenRejectedError, match="grace ended"):
        verifier.verify(old_token)
    assert verifier.verify(new_token)["sub"] == "bob"


def test_keys_past_their_grace_are_dropped_at_the_next_rotation(clock: FakeClock) -> None:
    adapter = _adapter(clock, grace="1d")
    first = _keys(adapter).active.kid
    adapter.rotate_secret(NAME)
    assert first in _keys(adapter).by_kid()
    clock.advance(timedelta(days=2))
    adapter.rotate_secret(NAME)
    assert first not in _keys(adapter).by_kid()
    keys = _keys(adapter)  # the previous key (in grace), the current one, the next one (pending)
    assert len(keys.keys) == 3 and keys.pending is not None and not keys.keys[0].active


def _forge(header: dict[str, str], claims: dict[str, object], key: bytes = b"") -> str:
    def part(data: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def test_alg_none_is_refused_even_with_a_known_kid(clock: FakeClock) -> None:
    adapter = _adapter(clock)
    verifier = _verifier(adapter, clock, Ticker())
    kid = _keys(adapter).active.kid
    for alg in ("none", "None", "NONE"):
        with pytest.raises(TokenRejectedError, match="alg none"):
            verifier.verify(_forge({"alg": alg, "kid": kid}, {"sub": "mallory"}))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_the_algorithm_is_pinned_per_key(clock: FakeClock) -> None:
    adapter = _adapter(clock)
    verifier = _verifier(adapter, clock, Ticker())
    active = _keys(adapter).active
    other_alg = jwt.encode(
        {"sub": "mallory", "exp": FAR_FUTURE},
        active.signing_key(),
        algorithm="HS512",
        headers={"kid": active.kid},
    )
    with pytest.raises(TokenRejectedError, match="algorithm"):
        verifier.verify(other_alg)


def test_unknown_kids_reload_keys_at_most_once_per_interval(clock: FakeClock) -> None:
    adapter = _adapter(clock)
    ticker = Ticker()
    verifier = _verifier(adapter, clock, ticker)
    good = sign_token(_keys(adapter), {"sub": "alice", "exp": FAR_FUTURE})
    verifier.verify(good)
    assert verifier.loads == 1
    forged = jwt.encode({"sub": "x"}, b"k" * 32, algorithm="HS256", headers={"kid": "nope"})
    for _ in range(50):
        with pytest.raises(TokenRejectedError, match="not in the key set"):
            verifier.verify(forged)
    assert verifier.loads == 1  # within the interval: no reload at all
    ticker.now += 30
    for _ in range(50):
        with pytest.raises(TokenRejectedError):
            verifier.verify(forged)
    assert verifier.loads == 2


def test_a_bad_signature_with_a_known_kid_is_refused(clock: FakeClock) -> None:
    adapter = _adapter(clock)
    verifier = _verifier(adapter, clock, Ticker())
    kid = _keys(adapter).active.kid
    forged = jwt.encode({"sub": "mallory"}, b"x" * 32, algorithm="HS256", headers={"kid": kid})
    with pytest.raises(jwt.InvalidSignatureError):
        verifier.verify(forged)


def test_key_sets_never_show_key_material(clock: FakeClock) -> None:
    adapter = _adapter(clock, "ES256")
    keys = _keys(adapter)
    secret_part = keys.active.key
    assert secret_part not in repr(keys) and secret_part not in repr(keys.active)


@pytest.mark.parametrize(
    "keys",
    [
        [{"kid": "k"}],
        [{"kid": "k", "alg": "HS256", "key": SENTINEL, "created_at": SENTINEL}],
        [SENTINEL],
    ],
    ids=["missing-fields", "bad-time", "not-an-object"],
)
def test_a_malformed_key_set_is_a_format_error_that_chains_nothing(keys: list[object]) -> None:
    with pytest.raises(SecretFormatError) as caught:
        JwtKeySet.from_value(SecretValue(json.dumps({"keys": keys})))
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert SENTINEL not in str(caught.value)
