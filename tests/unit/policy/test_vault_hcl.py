"""The HCL generator: exact paths, only the capabilities each role needs, no injection."""

from __future__ import annotations

import re

import pytest

from secrets_adapter.errors import ValidationError
from secrets_adapter.policy.vault_hcl import VaultPolicyRequest, app_policy, rotator_policy


def _capabilities(hcl: str) -> dict[str, list[str]]:
    blocks = re.findall(r'path "([^"]+)" \{\n  capabilities = \[([^\]]*)\]\n\}', hcl)
    return {path: re.findall(r'"([^"]+)"', caps) for path, caps in blocks}


def test_app_policy_is_read_on_data_and_metadata_only() -> None:
    hcl = app_policy(VaultPolicyRequest(app="shop", names=("shop/prod/db",), root="apps"))
    assert _capabilities(hcl) == {
        "secret/data/apps/shop/prod/db": ["read"],
        "secret/metadata/apps/shop/prod/db": ["read"],
    }


def test_rotator_policy_writes_but_never_deletes() -> None:
    hcl = rotator_policy(
        VaultPolicyRequest(app="shop", names=("shop/prod/db",), transit_keys=("orders",))
    )
    caps = _capabilities(hcl)
    assert caps["secret/data/shop/prod/db"] == ["create", "read", "update"]
    assert caps["secret/metadata/shop/prod/db"] == ["read", "update"]
    assert caps["transit/keys/orders/rotate"] == ["update"]
    assert not any("delete" in c or "destroy" in p for p, c in caps.items())


@pytest.mark.parametrize("name", ['db" {} path "*', "a/../b", "", "x*y", "shop/prod/db\npath"])
def test_names_that_could_widen_the_policy_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        app_policy(VaultPolicyRequest(app="shop", names=(name,)))


def test_at_least_one_name_is_needed() -> None:
    with pytest.raises(ValidationError, match="at least one"):
        app_policy(VaultPolicyRequest(app="shop", names=()))
