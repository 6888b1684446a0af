"""``SecretsAdapter`` on the vault backend: constructor arguments, ``from_env`` and namespaces."""

from __future__ import annotations

import uuid

import hvac
import pytest

from secrets_adapter.adapter import SecretsAdapter
from secrets_adapter.errors import SecretNotFoundError
from secrets_adapter.providers.vault import VaultProvider
from tests.fixtures.vault import BaoServer


@pytest.fixture(scope="module")
def namespace(openbao_server: BaoServer) -> str:
    """An OpenBao namespace with its own KV v2 at ``secret/``."""
    name = f"team-{uuid.uuid4().hex[:6]}"
    openbao_server.client().adapter.post(f"/v1/sys/namespaces/{name}")
    scoped = hvac.Client(url=openbao_server.url, token=openbao_server.root_token, namespace=name)
    scoped.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    return name


def test_constructor_arguments_reach_the_vault_provider(openbao_server: BaoServer) -> None:
    prefix = f"shop-{uuid.uuid4().hex[:6]}/prod"
    adapter = SecretsAdapter(
        backend="vault",
        url=openbao_server.url,
        token=openbao_server.root_token,
        mount="secret",
        prefix=prefix,
    )
    assert isinstance(adapter._provider, VaultProvider)
    adapter.put_secret("database-url", {"url": "postgres://db/shop"})
    assert adapter.get_secret("database-url") == {"url": "postgres://db/shop"}
    assert adapter.get_secret_value("database-url", "url") == "postgres://db/shop"
    assert adapter.list_secrets() == [f"{prefix}/database-url"]
    # the name carries the prefix once: the path is <mount>/data/<prefix>/<name>
    raw = openbao_server.client().secrets.kv.v2.read_secret_version(
        path=f"{prefix}/database-url", raise_on_deleted_version=True
    )
    assert raw["data"]["data"] == {"url": "postgres://db/shop"}


def test_from_env_reads_vaults_own_variables(openbao_server: BaoServer, namespace: str) -> None:
    prefix = f"env-{uuid.uuid4().hex[:6]}"
    environ = {
        "SECRETS_BACKEND": "vault",
        "VAULT_ADDR": openbao_server.url,
        "VAULT_TOKEN": openbao_server.root_token,
        "VAULT_NAMESPACE": namespace,
        "SECRETS_MANAGER_PREFIX": prefix,
    }
    with SecretsAdapter.from_env(environ) as adapter:
        assert adapter.backend == "vault"
        adapter.put_secret("api-key", "k-123")
        assert adapter.get_secret_value("api-key") == "k-123"
    # written inside the namespace, invisible at the root
    scoped = hvac.Client(
        url=openbao_server.url, token=openbao_server.root_token, namespace=namespace
    )
    assert scoped.secrets.kv.v2.read_secret_version(
        path=f"{prefix}/api-key", raise_on_deleted_version=True
    )["data"]["data"] == {"value": "k-123"}
    root = SecretsAdapter(backend="vault", url=openbao_server.url, token=openbao_server.root_token)
    with pytest.raises(SecretNotFoundError):
        root.get(f"{prefix}/api-key")
