"""Throttling over real HTTP: ``Retry-After`` is honoured, every throttled answer is counted, and
bulk writes and suspicious names on moto_server.

The throttling endpoint is a small local HTTP server speaking the Secrets Manager JSON protocol:
it answers ``ThrottlingException`` (with the ``Retry-After`` the test chooses) a given number of
times, then a normal ``GetSecretValue`` answer. moto_server cannot be made to throttle.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from secrets_adapter import SecretsAdapter, SecretValue, VersionInfo
from secrets_adapter.config import AwsSettings
from secrets_adapter.errors import ProviderUnavailableError, SecretNotFoundError, ValidationError
from secrets_adapter.events import Event, ThrottleEvent
from secrets_adapter.monitoring.metrics import SecretsMetrics
from secrets_adapter.providers.aws import AwsSecretsManagerProvider
from secrets_adapter.providers.aws_client import retry_after_seconds
from tests.fixtures.aws import MotoServer

OK_ANSWER = {
    "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/key-AbC123",
    "Name": "app/key",
    "VersionId": "11111111-1111-4111-8111-111111111111",
    "SecretString": "ok",
    "VersionStages": ["AWSCURRENT"],
    "CreatedDate": 1700000000,
}


class ThrottlingEndpoint:
    """Answers ``throttles`` requests with ``ThrottlingException`` + ``headers``, then succeeds."""

    def __init__(self, *, throttles: int, headers: dict[str, str]) -> None:
        self.requests: list[float] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.requests.append(time.monotonic())
                throttled = len(outer.requests) <= throttles
                body = json.dumps(
                    {"__type": "ThrottlingException", "message": "Rate exceeded"}
                    if throttled
                    else OK_ANSWER
                ).encode()
                self.send_response(400 if throttled else 200)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers if throttled else {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint_factory(moto_server: MotoServer) -> Iterator[list[ThrottlingEndpoint]]:
    """moto_server is only asked for so that its dummy credentials are in the environment."""
    made: list[ThrottlingEndpoint] = []
    yield made
    for endpoint in made:
        endpoint.close()


def _provider(url: str, retry_mode: str = "standard") -> AwsSecretsManagerProvider:
    return AwsSecretsManagerProvider.from_settings(
        AwsSettings(
            region="us-east-1",
            endpoint_url=url,
            max_attempts=3,
            read_timeout=5.0,
            retry_mode=retry_mode,
        )
    )


@pytest.mark.parametrize("retry_mode", ["standard", "adaptive"])
def test_retry_after_is_waited_before_the_next_attempt(
    endpoint_factory: list[ThrottlingEndpoint], retry_mode: str
) -> None:
    # botocore's own first backoff is under 1 s: a 1 s gap can only come from Retry-After.
    endpoint = ThrottlingEndpoint(throttles=1, headers={"Retry-After": "1"})
    endpoint_factory.append(endpoint)
    provider = _provider(endpoint.url, retry_mode)
    seen: list[Event] = []
    provider.subscribe(seen.append)
    assert provider.get("app/key").value == SecretValue("ok")
    assert len(endpoint.requests) == 2
    assert endpoint.requests[1] - endpoint.requests[0] >= 1.0
    assert seen == [
        ThrottleEvent(
            time=seen[0].time,
            provider="aws",
            operation="GetSecretValue",
            retry_after_s=1.0,
            retried=True,
        )
    ]
    provider.close()


def test_a_retry_after_beyond_the_cap_fails_at_once_instead_of_retrying_early(
    endpoint_factory: list[ThrottlingEndpoint],
) -> None:
    endpoint = ThrottlingEndpoint(throttles=5, headers={"Retry-After": "120"})
    endpoint_factory.append(endpoint)
    provider = _provider(endpoint.url)
    with pytest.raises(ProviderUnavailableError, match="ThrottlingException"):
        provider.get("app/key")
    assert len(endpoint.requests) == 1  # botocore alone would have tried 3 times, early
    provider.close()


def test_throttling_without_retry_after_keeps_botocores_backoff_and_is_counted(
    endpoint_factory: list[ThrottlingEndpoint],
) -> None:
    endpoint = ThrottlingEndpoint(throttles=2, headers={})
    endpoint_factory.append(endpoint)
    metrics = SecretsMetrics()
    adapter = SecretsAdapter(provider=_provider(endpoint.url), listeners=[metrics], cache=False)
    assert adapter.get_secret_value("app/key") == "ok"
    assert len(endpoint.requests) == 3
    page = metrics.render()[0].decode()
    assert 'secrets_adapter_throttled_total{operation="GetSecretValue",provider="aws"} 2.0' in page
    adapter.close()


def test_retry_after_spellings() -> None:
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({"x-amz-retry-after": "1500"}) == 1.5
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


@pytest.fixture
def provider(moto_server: MotoServer) -> Iterator[AwsSecretsManagerProvider]:
    moto_server.reset()
    built = AwsSecretsManagerProvider.from_settings(moto_server.settings())
    yield built
    built.close()


def test_a_name_like_an_arn_suffix_is_warned_when_created(
    provider: AwsSecretsManagerProvider, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="secrets_adapter.providers.aws_codec"):
        provider.put("gaara/prod/db-AbC123", SecretValue("v1"))
        provider.put("gaara/prod/db-AbC123", SecretValue("v2"))  # exists: not created again
        provider.put("gaara/prod/database-url", SecretValue("v1"))
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1
    assert "gaara/prod/db-AbC123" in warned[0] and "partial ARN" in warned[0]


def test_put_many_writes_every_item_concurrently_and_gives_each_its_outcome(
    provider: AwsSecretsManagerProvider,
) -> None:
    items = {f"bulk/s{i:03d}": SecretValue(f"value-{i}") for i in range(40)}
    written = provider.put_many(items)
    assert list(written) == list(items)
    assert provider.get("bulk/s017").value == SecretValue("value-17")
    info = written["bulk/s017"]
    assert isinstance(info, VersionInfo)
    assert provider.get("bulk/s017").version_id == info.version_id

    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bulk/missing"
    again = {
        "bulk/s001": SecretValue("new-1"),
        missing: SecretValue("new-3"),
        "bad name!": SecretValue("x"),
    }
    outcome = provider.put_many(again)
    assert isinstance(outcome[missing], SecretNotFoundError)
    assert isinstance(outcome["bad name!"], ValidationError)
    assert "new-3" not in str(outcome[missing])
    assert provider.get("bulk/s001").value == SecretValue("new-1")
