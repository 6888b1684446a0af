"""Kubernetes auth against a real OpenBao, with a minimal TokenReview API standing in for the
Kubernetes API server (the one call the auth method makes). The service-account JWT is read from
its file at every login, so a token the kubelet rotated is picked up without a restart.
"""

from __future__ import annotations

import datetime
import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from secrets_adapter.config import VaultSettings
from secrets_adapter.errors import AccessDeniedError
from secrets_adapter.models import SecretValue
from secrets_adapter.providers.vault import VaultProvider
from tests.fixtures.vault import BaoServer

_SIGNING_KEY = ec.generate_private_key(ec.SECP256R1())
_CLAIMS = {
    "iss": "kubernetes/serviceaccount",
    "sub": "system:serviceaccount:shop:app",
    "kubernetes.io/serviceaccount/namespace": "shop",
    "kubernetes.io/serviceaccount/service-account.name": "app",
    "kubernetes.io/serviceaccount/service-account.uid": "uid-app",
}


def _service_account_jwt() -> str:
    return jwt.encode(dict(_CLAIMS, jti=uuid.uuid4().hex), _SIGNING_KEY, algorithm="ES256")


def _ca_pem() -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-cluster-ca")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(_SIGNING_KEY.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(_SIGNING_KEY, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class TokenReviewApi:
    """Answers ``POST /apis/authentication.k8s.io/v1/tokenreviews`` for the tokens it knows."""

    def __init__(self) -> None:
        self.valid: set[str] = set()
        self.reviewed: list[str] = []
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                token = body["spec"]["token"]
                api.reviewed.append(token)
                status = {
                    "authenticated": token in api.valid,
                    "user": {
                        "username": "system:serviceaccount:shop:app",
                        "uid": "uid-app",
                        "groups": ["system:serviceaccounts"],
                    },
                }
                data = json.dumps({"kind": "TokenReview", "status": status}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def review_api() -> Iterator[TokenReviewApi]:
    api = TokenReviewApi()
    try:
        yield api
    finally:
        api.close()


@pytest.fixture
def kubernetes_settings(
    openbao_server: BaoServer, review_api: TokenReviewApi, tmp_path: Path
) -> VaultSettings:
    client = openbao_server.client()
    mount = f"k8s-{uuid.uuid4().hex[:8]}"
    root = f"k8s/{mount}"
    client.sys.enable_auth_method("kubernetes", path=mount)
    client.auth.kubernetes.configure(
        kubernetes_host=review_api.url,
        token_reviewer_jwt="reviewer-token",
        kubernetes_ca_cert=_ca_pem(),
        disable_local_ca_jwt=True,
        mount_point=mount,
    )
    client.sys.create_or_update_policy(
        name=mount,
        policy=(
            f'path "secret/data/{root}/*" {{ capabilities = ["read", "create", "update"] }}\n'
            f'path "secret/metadata/{root}/*" {{ capabilities = ["read", "update"] }}\n'
            f'path "secret/data/.secrets-adapter/locks/{root}/*" '
            '{ capabilities = ["create", "read", "update"] }\n'
        ),
    )
    client.auth.kubernetes.create_role(
        name="shop",
        bound_service_account_names=["app"],
        bound_service_account_namespaces=["shop"],
        policies=[mount],
        ttl="1h",
        mount_point=mount,
    )
    jwt_file = tmp_path / "token"
    first = _service_account_jwt()
    review_api.valid.add(first)
    jwt_file.write_text(first)
    return VaultSettings(
        url=openbao_server.url,
        auth_method="kubernetes",
        kubernetes_role="shop",
        kubernetes_jwt_path=jwt_file,
        auth_mount=mount,
        path_root=root,
    )


def test_kubernetes_login_and_rotated_jwt_is_reread(
    kubernetes_settings: VaultSettings, review_api: TokenReviewApi, openbao_server: BaoServer
) -> None:
    provider = VaultProvider.from_settings(kubernetes_settings)
    provider.put("db", SecretValue("v1"))
    assert provider.session.logins == 1
    # The kubelet rotates the projected token: the old one is no longer valid.
    rotated = _service_account_jwt()
    review_api.valid = {rotated}
    kubernetes_settings.kubernetes_jwt_path.write_text(rotated)
    token = provider.session._token
    assert token is not None
    openbao_server.client().auth.token.revoke(token.reveal_text())
    assert provider.get("db").value.reveal() == "v1"
    assert provider.session.logins == 2
    assert review_api.reviewed[-1] == rotated


def test_a_jwt_the_cluster_rejects_is_access_denied(
    kubernetes_settings: VaultSettings, review_api: TokenReviewApi
) -> None:
    review_api.valid.clear()
    provider = VaultProvider.from_settings(kubernetes_settings)
    with pytest.raises(AccessDeniedError, match="kubernetes login"):
        provider.get("db")
