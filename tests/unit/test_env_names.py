"""Variable ⇄ secret name: the plain spelling for real .env keys, an escaped one for the rest."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secrets_adapter.env_names import join_prefix, key_to_name, name_to_key, split_prefix

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

names = st.from_regex(r"[A-Za-z0-9/_+=.@-]{1,60}", fullmatch=True)
keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,40}", fullmatch=True)


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("DATABASE_URL", "database-url"),
        ("JWT_SECRET_KEY", "jwt-secret-key"),
        ("DB__PRIMARY_URL", "db/primary-url"),
        ("CONTRACT__TEXT_1A2B3C4D", "contract/text-1a2b3c4d"),
        ("S3", "s3"),
        ("_1PASSWORD", "1password"),
        ("_aPP_DkEY", "App.Key"),
        ("_DATABASE_UURL", "database_url"),
        ("_A_S_U_P_E_D_A_HX", "a/_+=.@-x"),
        ("_DB_H_HX", "db--x"),
        ("_DB_H", "db-"),
    ],
)
def test_both_directions(key: str, name: str) -> None:
    assert name_to_key(name) == key
    assert key_to_name(key) == name


def test_prefix_is_joined_with_a_slash() -> None:
    assert key_to_name("DATABASE_URL", "gaara/prod") == "gaara/prod/database-url"
    assert name_to_key("gaara/prod/database-url", "gaara/prod") == "DATABASE_URL"
    assert name_to_key("gaara/prod/database-url", "/gaara/prod/") == "DATABASE_URL"
    assert name_to_key("gaara/staging/database-url", "gaara/prod") is None
    assert name_to_key("gaara/prod", "gaara/prod") is None
    assert name_to_key("gaara/prod/", "gaara/prod") is None
    assert join_prefix("", "x") == "x"
    assert split_prefix("a/b", "") == "a/b"


@pytest.mark.parametrize("key", ["database_url", "Database_Url", "A___B", "A_", "_", "_x_Z", "_S"])
def test_keys_that_fit_neither_spelling_have_no_name(key: str) -> None:
    assert key_to_name(key) is None


def test_non_canonical_escaped_key_has_no_name() -> None:
    # "_DATABASE_HURL" would decode to database-url, whose one variable is DATABASE_URL.
    assert key_to_name("_DATABASE_HURL") is None


def test_a_name_past_512_characters_with_the_prefix_has_no_name() -> None:
    assert key_to_name("X" * 502, "gaara/prod") is None
    assert key_to_name("X" * 500) == "x" * 500


@given(name=names, prefix=st.sampled_from(["", "gaara/prod", "a"]))
def test_every_name_round_trips_through_a_shell_identifier(name: str, prefix: str) -> None:
    full = join_prefix(prefix, name)
    key = name_to_key(full, prefix)
    assert key is not None
    assert _IDENTIFIER.fullmatch(key)
    assert key_to_name(key, prefix) == full


@given(key=keys)
def test_a_key_with_a_name_is_that_name_s_only_key(key: str) -> None:
    name = key_to_name(key)
    if name is not None:
        assert name_to_key(name) == key
