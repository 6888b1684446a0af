"""Policy files and their pure evaluation: default deny, explicit deny wins, canonical names."""

from __future__ import annotations

from pathlib import Path

import pytest

from secrets_adapter.errors import ConfigurationError
from secrets_adapter.policy import (
    ACTIONS,
    Authorizer,
    Effect,
    Grant,
    Policy,
    evaluate,
    grants_for,
    load_policy,
    parse_policy,
)

POLICY_TOML = """
[[statement]]
sid = "api-reads-app"
effect = "allow"
principals = ["api"]
actions = ["read", "describe"]
secrets = ["app/*"]

[[statement]]
sid = "nobody-reads-admin"
effect = "deny"
principals = ["*"]
actions = ["*"]
secrets = ["app/admin/*"]

[[statement]]
sid = "ops-everything"
effect = "allow"
principals = ["ops-*"]
actions = "*"
secrets = ["*"]
"""


@pytest.fixture
def policy(tmp_path: Path) -> Policy:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY_TOML)
    return load_policy(path)


def _allowed(policy: Policy, principal: str, action: str, secret: str) -> bool:
    return evaluate(policy, principal=principal, action=action, secret=secret).allowed


def test_allow_matches_principal_action_and_pattern(policy: Policy) -> None:
    assert _allowed(policy, "api", "read", "app/db")
    assert _allowed(policy, "api", "read", "app/deep/nested/name")  # * crosses "/"
    assert _allowed(policy, "api", "describe", "app/db")


def test_default_deny(policy: Policy) -> None:
    decision = evaluate(policy, principal="api", action="write", secret="app/db")
    assert not decision.allowed
    assert decision.reason == "no statement allows it"
    assert not _allowed(policy, "api", "read", "other/db")
    assert not _allowed(policy, "worker", "read", "app/db")
    assert not _allowed(Policy(), "api", "read", "app/db")


def test_explicit_deny_wins_over_any_allow(policy: Policy) -> None:
    decision = evaluate(policy, principal="api", action="read", secret="app/admin/root")
    assert not decision.allowed
    assert decision.statement == "nobody-reads-admin"
    assert not _allowed(policy, "ops-1", "read", "app/admin/root")  # even ops: * everything
    assert _allowed(policy, "ops-1", "rotate", "app/db")


@pytest.mark.parametrize(
    "name",
    ["app/../admin/root", "app/./db", "app//db", "app/db/", "/app/db", "app/dé"],
)
def test_names_that_are_not_canonical_are_refused(policy: Policy, name: str) -> None:
    decision = evaluate(policy, principal="ops-1", action="read", secret=name)
    assert not decision.allowed
    assert "not canonical" in decision.reason


def test_pattern_special_characters_are_literal() -> None:
    policy = parse_policy(
        {
            "statement": [
                {"effect": "allow", "principals": ["a"], "actions": ["read"], "secrets": ["x.y+"]}
            ]
        }
    )
    assert _allowed(policy, "a", "read", "x.y+")
    assert not _allowed(policy, "a", "read", "xzy+")
    assert not _allowed(policy, "a", "read", "x.yy")


def test_grants_for_lists_what_a_principal_may_and_may_not_do(policy: Policy) -> None:
    assert grants_for(policy, "api") == (
        Grant(
            effect=Effect.ALLOW,
            actions=("read", "describe"),
            secrets=("app/*",),
            sid="api-reads-app",
        ),
        Grant(
            effect=Effect.DENY,
            actions=ACTIONS,
            secrets=("app/admin/*",),
            sid="nobody-reads-admin",
        ),
    )
    assert [g.sid for g in grants_for(policy, "ops-7")] == ["nobody-reads-admin", "ops-everything"]
    assert grants_for(policy, "ops-7")[1].actions == ACTIONS


def test_json_policy_files_work(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(
        '{"statement": [{"effect": "Allow", "principals": ["api"], "actions": ["read"],'
        ' "secrets": ["app/*"]}]}'
    )
    assert _allowed(load_policy(path), "api", "read", "app/x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[statement]]\neffect = "allow"\nprincipals = ["a"]\nactions = ["raed"]\n'
            'secrets = ["x"]',
            "unknown action",
        ),
        (
            '[[statement]]\neffect = "permit"\nprincipals = ["a"]\nactions = ["read"]\n'
            'secrets = ["x"]',
            "neither",
        ),
        (
            '[[statement]]\neffect = "allow"\nprincipal = ["a"]\nactions = ["read"]\n'
            'secrets = ["x"]',
            "unknown key",
        ),
        (
            '[[statement]]\neffect = "allow"\nprincipals = []\nactions = ["read"]\nsecrets = ["x"]',
            "non-empty list",
        ),
        ('[[statements]]\neffect = "allow"', "unknown top-level"),
        ("[[statement]\n", "does not parse"),
    ],
)
def test_policy_mistakes_are_configuration_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=message):
        load_policy(path)


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="Cannot read"):
        load_policy(tmp_path / "nope.toml")


def test_authorizer_remembers_decisions_within_a_bound(policy: Policy) -> None:
    authorizer = Authorizer(policy, "api", max_entries=2)
    first = authorizer.decide("read", "app/db")
    assert first.allowed
    assert authorizer.decide("read", "app/db") is first
    assert not authorizer.decide("read", "app/admin/x").allowed
    assert not authorizer.decide("write", "app/db").allowed  # past the bound: starts over
    assert authorizer.decide("read", "app/db") == first
