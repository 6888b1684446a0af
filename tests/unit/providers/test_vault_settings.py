"""Vault's own environment variables reach ``VaultSettings``."""

from __future__ import annotations

from pathlib import Path

from secrets_adapter.config import KUBERNETES_JWT_PATH, load_settings


def test_vault_variables_are_read() -> None:
    settings = load_settings(
        {
            "SECRETS_BACKEND": "vault",
            "VAULT_ADDR": "https://vault-1:8200",
            "VAULT_ADDRESSES": "https://vault-2:8200, https://vault-3:8200",
            "VAULT_NAMESPACE": "team",
            "VAULT_MOUNT": "kv",
            "VAULT_AUTH_METHOD": "kubernetes",
            "VAULT_KUBERNETES_ROLE": "gaara-store",
            "VAULT_KUBERNETES_JWT_PATH": "/var/run/secrets/vault/token",
        }
    ).vault
    assert settings.url == "https://vault-1:8200"
    assert settings.addresses == ("https://vault-2:8200", "https://vault-3:8200")
    assert (settings.namespace, settings.mount) == ("team", "kv")
    assert (settings.auth_method, settings.kubernetes_role) == ("kubernetes", "gaara-store")
    assert settings.kubernetes_jwt_path == Path("/var/run/secrets/vault/token")


def test_approle_variables_and_defaults() -> None:
    settings = load_settings(
        {
            "SECRETS_BACKEND": "vault",
            "VAULT_AUTH_METHOD": "approle",
            "VAULT_ROLE_ID": "role-1",
            "VAULT_SECRET_ID_FILE": "/run/secret-id",
        }
    ).vault
    assert (settings.role_id, settings.secret_id_file) == ("role-1", Path("/run/secret-id"))
    assert settings.kubernetes_jwt_path == KUBERNETES_JWT_PATH
    assert settings.token is None
    assert settings.addresses == ()
