"""``policy vault --from policy.toml --principal P``: the capabilities each path gets, the deny
arithmetic that makes Vault's most-specific-path rule agree with "any deny wins", and the refusal
of patterns Vault cannot express."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from secrets_adapter.cli.main import main
from secrets_adapter.errors import ValidationError
from secrets_adapter.policy import Effect, Grant
from secrets_adapter.policy.vault_hcl import grants_policy
from tests.fixtures.policy_sample import write_sample_policy


def _capabilities(hcl: str) -> dict[str, list[str]]:
    blocks = re.findall(r'path "([^"]+)" \{\n  capabilities = \[([^\]]*)\]\n\}', hcl)
    return {path: re.findall(r'"([^"]+)"', caps) for path, caps in blocks}


def test_the_sample_policy_for_the_api(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_sample_policy(tmp_path)
    assert (
        main(["policy", "vault", "--from", str(path), "--principal", "api", "--mount", "kv"]) == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("# secrets-adapter: policy for principal 'api'")
    assert _capabilities(out) == {
        # the lock entries that guard writes (providers.vault_lock): write, rotate and delete
        "kv/data/.secrets-adapter/locks/shop/prod/api/admin*": ["deny"],
        "kv/data/.secrets-adapter/locks/shop/prod/api/tokens/*": ["create", "read", "update"],
        "kv/data/shop/prod/api/*": ["read"],
        "kv/data/shop/prod/api/admin*": ["deny"],
        "kv/data/shop/prod/api/tokens/*": ["create", "read", "update", "delete"],
        "kv/data/shop/prod/db": ["read"],
        "kv/data/shop/prod/legacy/*": ["deny"],
        "kv/data/shop/prod/legacy/db": ["deny"],
        "kv/metadata/shop/prod/api/*": ["read", "list"],
        "kv/metadata/shop/prod/api/tokens/*": ["read", "update", "list"],
        "kv/metadata/shop/prod/db": ["read"],
        "kv/undelete/shop/prod/api/tokens/*": ["update"],
    }


def test_a_narrower_deny_keeps_the_other_allowed_capabilities() -> None:
    grants = (
        Grant(effect=Effect.ALLOW, actions=("read", "write"), secrets=("app/*",)),
        Grant(effect=Effect.DENY, actions=("read",), secrets=("app/keys/*",)),
    )
    assert _capabilities(grants_policy(grants, principal="app", root="apps")) == {
        "secret/data/.secrets-adapter/locks/apps/app/*": ["create", "read", "update"],
        "secret/data/apps/app/*": ["create", "read", "update"],
        "secret/data/apps/app/keys/*": ["create", "update"],
    }


def test_a_star_before_the_end_is_refused_with_the_reason() -> None:
    grants = (Grant(effect=Effect.ALLOW, actions=("read",), secrets=("app/*/db",), sid="s1"),)
    with pytest.raises(ValidationError, match=r"'app/\*/db'.*'\*' only as its last character"):
        grants_policy(grants, principal="app")
    for bad in ("app/../x*", "app//x", 'app/x"\npath "sys/*'):
        with pytest.raises(ValidationError):
            grants_policy(
                (Grant(effect=Effect.ALLOW, actions=("read",), secrets=(bad,)),), principal="app"
            )


def test_cli_refuses_the_pattern_and_clashing_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "inner.toml"
    policy.write_text(
        '[[statement]]\neffect = "allow"\nprincipals = ["api"]\nactions = ["read"]\n'
        'secrets = ["shop/*/db"]\n'
    )
    assert main(["policy", "vault", "--from", str(policy), "--principal", "api"]) != 0
    assert "only as its last character" in capsys.readouterr().err
    sample = str(write_sample_policy(tmp_path))
    args = ["policy", "vault", "--from", sample, "--principal", "api"]
    assert main([*args, "--role", "rotator"]) == 2
    assert "drop --role rotator" in capsys.readouterr().err
    assert main(["policy", "vault", "--prefix", "shop/prod"]) == 2
    assert "--app" in capsys.readouterr().err
