"""What reaches the server, counted by a small HTTP proxy in front of OpenBao: the first read of
a new adapter is one request; ``put_many`` keeps at most eight writes in flight; a dead token is
reported as such, not as a policy refusal."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import requests

from secrets_adapter import SecretsAdapter
from secrets_adapter.errors import (
    AccessDeniedError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.models import SecretValue, VersionInfo
from secrets_adapter.providers.vault import VaultProvider
from tests.fixtures.vault import BaoServer, vault_settings


@dataclass(slots=True)
class CountingProxy:
    url: str
    seen: list[str] = field(default_factory=list)
    delay: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def proxy(openbao_server: BaoServer) -> Iterator[CountingProxy]:
    """Forwards every request to OpenBao and records its method and path."""
    upstream = requests.Session()
    record = CountingProxy(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            with record.lock:
                record.seen.append(f"{self.command} {self.path}")
                record.in_flight += 1
                record.most_in_flight = max(record.most_in_flight, record.in_flight)
            time.sleep(record.delay)  # widen the window in which concurrent writes overlap
            with record.lock:
                record.in_flight -= 1
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            answer = upstream.request(
                self.command, openbao_server.url + self.path, data=body, headers=headers
            )
            self.send_response(answer.status_code)
            for key in ("Content-Type",):
                if key in answer.headers:
                    self.send_header(key, answer.headers[key])
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PUT = do_DELETE = do_LIST = _forward  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    record.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        upstream.close()


def test_the_first_read_of_each_new_adapter_is_one_request(
    openbao_server: BaoServer, proxy: CountingProxy
) -> None:
    settings = vault_settings(openbao_server)
    VaultProvider.from_settings(settings).put("db-password", SecretValue("s3cret"))
    for _ in range(2):  # once per adapter: nothing is remembered between them
        proxy.seen.clear()
        with SecretsAdapter(
            backend="vault",
            url=proxy.url,
            token=openbao_server.root_token,
            prefix=settings.path_root,
        ) as adapter:
            assert adapter.get_secret_value("db-password") == "s3cret"
        assert proxy.seen == [f"GET /v1/secret/data/{settings.path_root}/db-password"]


def test_a_token_vault_no_longer_accepts_says_to_renew_it(
    openbao_server: BaoServer, proxy: CountingProxy
) -> None:
    created = openbao_server.client().auth.token.create(policies=["default"], ttl="1h")
    token = created["auth"]["client_token"]
    openbao_server.client().auth.token.revoke(token)
    adapter = SecretsAdapter(backend="vault", url=proxy.url, token=token, prefix="anything")
    with pytest.raises(AccessDeniedError) as info:
        adapter.get_secret_value("db-password")
    message = str(info.value)
    assert "rejected the token" in message
    assert "renew" in message
    assert "policy" not in message
    assert token not in message


def test_a_valid_token_without_the_path_in_its_policy_is_a_policy_refusal(
    openbao_server: BaoServer,
) -> None:
    created = openbao_server.client().auth.token.create(policies=["default"], ttl="1h")
    adapter = SecretsAdapter(
        backend="vault", url=openbao_server.url, token=created["auth"]["client_token"]
    )
    with pytest.raises(AccessDeniedError, match="policy does not allow"):
        adapter.get_secret_value("somewhere/db-password")


def test_put_many_writes_every_item_with_at_most_eight_requests_in_flight(
    openbao_server: BaoServer, proxy: CountingProxy
) -> None:
    settings = vault_settings(openbao_server, url=proxy.url)
    provider = VaultProvider.from_settings(settings)
    items = {f"bulk/item-{index:02d}": SecretValue(f"value-{index}") for index in range(40)}
    proxy.delay = 0.01
    written = provider.put_many(items)
    assert list(written) == list(items)
    assert all(
        isinstance(info, VersionInfo) and info.version_id == "1" for info in written.values()
    )
    assert 1 < proxy.most_in_flight <= 8
    direct = VaultProvider.from_settings(
        vault_settings(openbao_server, path_root=settings.path_root)
    )
    assert direct.get("bulk/item-07").value.reveal() == "value-7"


def test_put_many_gives_each_name_its_version_or_its_own_error(
    openbao_server: BaoServer,
) -> None:
    provider = VaultProvider.from_settings(vault_settings(openbao_server))
    provider.put("batch/scheduled", SecretValue("old"))
    provider.delete("batch/scheduled", recovery_window=timedelta(days=7))
    items = {
        "batch/a": SecretValue("a"),
        "batch/scheduled": SecretValue("new"),
        "not//fine": SecretValue("x"),
        "batch/b": SecretValue("b"),
    }
    result = provider.put_many(items)
    assert list(result) == list(items)
    assert isinstance(result["batch/a"], VersionInfo)
    assert isinstance(result["batch/b"], VersionInfo)
    assert isinstance(result["batch/scheduled"], SecretScheduledForDeletionError)
    assert isinstance(result["not//fine"], ValidationError)
    assert provider.get("batch/a").value.reveal() == "a"
    assert provider.get("batch/b").value.reveal() == "b"
