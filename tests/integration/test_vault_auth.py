"""Logins against a real OpenBao: AppRole, renewal, re-login on expiry, and never a login loop.

Renewal timing runs on an injected monotonic clock: the test moves time, the server decides what
a renewal grants.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from secrets_adapter.config import VaultSettings
from secrets_adapter.errors import AccessDeniedError, ConfigurationError
from secrets_adapter.models import SecretValue
from secrets_adapter.providers.vault import VaultProvider
from tests.fixtures.vault import BaoServer


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


_READ_WRITE = """
path "secret/data/{root}/*" {{ capabilities = ["create", "read", "update"] }}
path "secret/metadata/{root}/*" {{ capabilities = ["read", "update", "list"] }}
path "secret/data/.secrets-adapter/locks/{root}/*" {{ capabilities = ["create", "read", "update"] }}
"""


def _approle(
    server: BaoServer,
    tmp_path: Path,
    *,
    ttl: str,
    max_ttl: str,
    policy: str | None = None,
) -> tuple[VaultSettings, str]:
    """A role allowed to read/write under a fresh root; returns settings and that root."""
    root = f"auth/{uuid.uuid4().hex[:10]}"
    client = server.client()
    policy_name = f"p-{uuid.uuid4().hex[:8]}"
    client.sys.create_or_update_policy(
        name=policy_name, policy=policy if policy is not None else _READ_WRITE.format(root=root)
    )
    role = f"r-{uuid.uuid4().hex[:8]}"
    client.auth.approle.create_or_update_approle(
        role_name=role, token_policies=[policy_name], token_ttl=ttl, token_max_ttl=max_ttl
    )
    role_id = client.auth.approle.read_role_id(role_name=role)["data"]["role_id"]
    secret_id = client.auth.approle.generate_secret_id(role_name=role)["data"]["secret_id"]
    secret_file = tmp_path / f"{role}.secret-id"
    secret_file.write_text(secret_id + "\n")
    settings = VaultSettings(
        url=server.url,
        auth_method="approle",
        role_id=role_id,
        secret_id_file=secret_file,
        path_root=root,
        timeout=5.0,
    )
    return settings, role


def _token_info(server: BaoServer, token: str) -> dict[str, object]:
    info: dict[str, object] = server.client().auth.token.lookup(token)["data"]
    return info


def test_approle_login_then_renewal_before_expiry(
    openbao_server: BaoServer, tmp_path: Path
) -> None:
    settings, _ = _approle(openbao_server, tmp_path, ttl="60s", max_ttl="1h")
    clock = FakeMonotonic()
    provider = VaultProvider.from_settings(settings, monotonic_clock=clock)
    provider.put("db", SecretValue("v1"))
    session = provider.session
    assert (session.logins, session.renewals) == (1, 0)
    token = session._token
    assert token is not None
    assert "last_renewal_time" not in _token_info(openbao_server, token.reveal_text())

    clock.now += 30  # before two thirds of the lease: nothing to do
    provider.get("db")
    assert (session.logins, session.renewals) == (1, 0)

    clock.now += 15  # past 40 s of 60 s: renewed, same token
    assert provider.get("db").value.reveal() == "v1"
    assert (session.logins, session.renewals) == (1, 1)
    assert session._token == token
    assert _token_info(openbao_server, token.reveal_text())["last_renewal_time"]


def test_renewal_that_no_longer_extends_logs_in_again(
    openbao_server: BaoServer, tmp_path: Path
) -> None:
    settings, role = _approle(openbao_server, tmp_path, ttl="60s", max_ttl="1h")
    clock = FakeMonotonic()
    provider = VaultProvider.from_settings(settings, monotonic_clock=clock)
    provider.put("db", SecretValue("v1"))
    first = provider.session._token
    # The operator lowers the role's max TTL: the next renewal is capped to ~10 s of 60 s.
    client = openbao_server.client()
    client.auth.approle.create_or_update_approle(
        role_name=role, token_ttl="10s", token_max_ttl="10s"
    )
    clock.now += 45
    assert provider.get("db").value.reveal() == "v1"
    # Renewing no longer extends the token: a fresh login instead of a slow death.
    assert provider.session.renewals == 1
    assert provider.session.logins == 2
    assert provider.session._token != first


def test_revoked_token_gets_one_relogin_and_one_retry(
    openbao_server: BaoServer, tmp_path: Path
) -> None:
    settings, _ = _approle(openbao_server, tmp_path, ttl="1h", max_ttl="2h")
    provider = VaultProvider.from_settings(settings)
    provider.put("db", SecretValue("v1"))
    token = provider.session._token
    assert token is not None
    openbao_server.client().auth.token.revoke(token.reveal_text())  # as if it had expired
    assert provider.get("db").value.reveal() == "v1"
    assert provider.session.logins == 2


def test_a_denied_path_is_access_denied_at_once_never_a_relogin_loop(
    openbao_server: BaoServer, tmp_path: Path
) -> None:
    settings, _ = _approle(openbao_server, tmp_path, ttl="1h", max_ttl="2h")
    provider = VaultProvider.from_settings(settings)
    outside = VaultProvider.from_settings(
        VaultSettings(
            url=openbao_server.url,
            token=SecretValue(openbao_server.root_token),
            path_root="auth/elsewhere",
        )
    )
    outside.put("db", SecretValue("not yours"))
    # Same role, but pointed at a folder its policy does not cover.
    denied = VaultProvider(provider.session, root="auth/elsewhere")
    with pytest.raises(AccessDeniedError, match="policy does not allow"):
        denied.get("db")
    assert provider.session.logins == 1  # Vault words it as a policy refusal: no re-login


def test_secret_id_is_read_from_its_file_at_each_login(
    openbao_server: BaoServer, tmp_path: Path
) -> None:
    settings, role = _approle(openbao_server, tmp_path, ttl="1h", max_ttl="2h")
    provider = VaultProvider.from_settings(settings)
    provider.put("db", SecretValue("v1"))
    # The secret id is rotated: a new one in the file, the old one destroyed, the token revoked.
    client = openbao_server.client()
    assert settings.secret_id_file is not None
    old = settings.secret_id_file.read_text().strip()
    new = client.auth.approle.generate_secret_id(role_name=role)["data"]["secret_id"]
    settings.secret_id_file.write_text(new)
    client.auth.approle.destroy_secret_id(role_name=role, secret_id=old)
    token = provider.session._token
    assert token is not None
    client.auth.token.revoke(token.reveal_text())
    assert provider.get("db").value.reveal() == "v1"


def test_wrong_secret_id_is_access_denied(openbao_server: BaoServer, tmp_path: Path) -> None:
    settings, _ = _approle(openbao_server, tmp_path, ttl="1h", max_ttl="2h")
    assert settings.secret_id_file is not None
    settings.secret_id_file.write_text(str(uuid.uuid4()))
    provider = VaultProvider.from_settings(settings)
    with pytest.raises(AccessDeniedError, match="approle login"):
        provider.get("db")


def test_invalid_static_token_is_access_denied(openbao_server: BaoServer) -> None:
    provider = VaultProvider.from_settings(
        VaultSettings(url=openbao_server.url, token=SecretValue("not-a-token"))
    )
    with pytest.raises(AccessDeniedError):
        provider.get("anything")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"auth_method": "token"}, "VAULT_TOKEN"),
        ({"auth_method": "approle", "role_id": "r"}, "secret-id file"),
        ({"auth_method": "kubernetes"}, "VAULT_KUBERNETES_ROLE"),
        ({"auth_method": "ldap"}, "token, approle or kubernetes"),
    ],
)
def test_missing_auth_settings_are_configuration_errors(
    overrides: dict[str, str], message: str
) -> None:
    settings = VaultSettings(url="http://127.0.0.1:9", **overrides)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=message):
        VaultProvider.from_settings(settings)
