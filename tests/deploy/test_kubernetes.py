"""The Kubernetes manifests: IRSA / Vault Kubernetes auth, no static keys, locked-down pods."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.paths import DOCKERFILE, K8S, REPO_ROOT

VARIANTS = ["aws", "vault"]
FORBIDDEN_ENV = re.compile(r"AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|VAULT_TOKEN")

Manifest = dict[str, Any]


def load(variant: str) -> list[Manifest]:
    documents: list[Manifest] = []
    for path in sorted((K8S / variant).glob("*.yaml")):
        documents.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return documents


def only(documents: list[Manifest], kind: str) -> Manifest:
    found = [doc for doc in documents if doc["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def env_of(container: Manifest) -> dict[str, str]:
    return {item["name"]: item.get("value", "") for item in container.get("env", [])}


def app_routes() -> set[str]:
    """The routes the Gaara Store example registers (the probes must hit a real one)."""
    source = (REPO_ROOT / "examples" / "gaara_store" / "gaara_store" / "app.py").read_text()
    return set(re.findall(r'add_url_rule\("([^"]+)"', source))


def dockerfile_uid() -> int:
    users = re.findall(r"^USER\s+(\d+)", DOCKERFILE.read_text(), flags=re.M)
    return int(users[-1])


def test_every_manifest_parses_and_is_namespaced() -> None:
    files = sorted(K8S.rglob("*.yaml"))
    assert len(files) >= 4
    for variant in VARIANTS:
        for doc in load(variant):
            assert {"apiVersion", "kind", "metadata"} <= doc.keys()
            assert doc["metadata"]["namespace"] == "gaara"


@pytest.mark.parametrize("path", sorted(K8S.rglob("*.yaml")), ids=lambda p: p.name)
def test_no_static_credentials_anywhere(path: Path) -> None:
    text = path.read_text()
    assert not FORBIDDEN_ENV.search(text)
    assert not re.search(r"AKIA[0-9A-Z]{16}", text)
    for doc in yaml.safe_load_all(text):
        if doc:
            assert doc["kind"] != "Secret", "secrets come from the store, never a k8s Secret"


@pytest.mark.parametrize("variant", VARIANTS)
def test_pod_is_locked_down(variant: str) -> None:
    deployment = only(load(variant), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == dockerfile_uid()
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    for container in pod["containers"]:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["runAsNonRoot"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        limits, requests = container["resources"]["limits"], container["resources"]["requests"]
        assert {"cpu", "memory"} <= limits.keys() and {"cpu", "memory"} <= requests.keys()
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert container[probe]["httpGet"]["port"] == "http", probe
            assert container[probe]["httpGet"]["path"] in app_routes(), probe
        mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
        assert "/tmp" in mounts, "a read-only root still needs a writable /tmp for gunicorn"


@pytest.mark.parametrize("variant", VARIANTS)
def test_production_settings_and_service_account(variant: str) -> None:
    documents = load(variant)
    deployment = only(documents, "Deployment")
    account = only(documents, "ServiceAccount")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    env = env_of(pod["containers"][0])
    assert env["ENVIRONMENT"] == "production"
    assert env["SECRETS_BACKEND"] == variant
    assert env["SECRETS_MANAGER_PREFIX"] == "gaara/prod"
    labels = deployment["spec"]["selector"]["matchLabels"]
    assert labels.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_aws_variant_uses_irsa() -> None:
    documents = load("aws")
    annotations = only(documents, "ServiceAccount")["metadata"]["annotations"]
    role_arn = annotations["eks.amazonaws.com/role-arn"]
    assert re.fullmatch(r"arn:aws:iam::\d{12}:role/[\w+=,.@-]+", role_arn)
    env = env_of(only(documents, "Deployment")["spec"]["template"]["spec"]["containers"][0])
    assert env["AWS_REGION"]


def test_vault_variant_uses_kubernetes_auth_with_a_projected_token() -> None:
    documents = load("vault")
    account = only(documents, "ServiceAccount")
    assert "annotations" not in account["metadata"] or not any(
        key.startswith("eks.amazonaws.com") for key in account["metadata"]["annotations"]
    )
    pod = only(documents, "Deployment")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    env = env_of(pod["containers"][0])
    assert env["VAULT_AUTH_METHOD"] == "kubernetes"
    assert env["VAULT_ADDR"].startswith("https://")
    projected = {volume["name"]: volume for volume in pod["volumes"]}["vault-token"]["projected"]
    token = projected["sources"][0]["serviceAccountToken"]
    assert token["audience"] == "vault"
    assert token["expirationSeconds"] <= 3600
    mount = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}["vault-token"]
    assert f"{mount['mountPath']}/{token['path']}" == env["VAULT_KUBERNETES_JWT_PATH"]
