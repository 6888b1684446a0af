"""The agent over OpenBao (a real dev server) and AWS (moto_server), and embedded in a Python
process: a rotation through the same adapter is served at once (no TTL, refreshNow or check)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from secrets_adapter import SecretsAdapter
from secrets_adapter.agent import SecretsAgent, TokenTable
from secrets_adapter.models import Secret, Stage
from secrets_adapter.testing import InMemoryProvider
from tests.fixtures.agent import TOKEN_HEADER, get, running_agent
from tests.fixtures.aws import MotoServer
from tests.fixtures.vault import BaoServer, free_port
from tests.sentinel import SENTINEL

pytestmark = pytest.mark.slow


def _vault_env(server: BaoServer) -> dict[str, str]:
    return {
        "SECRETS_BACKEND": "vault",
        "VAULT_ADDR": server.url,
        "VAULT_TOKEN": server.root_token,
    }


@pytest.fixture
def vault_secret(openbao_server: BaoServer) -> Iterator[str]:
    name = f"agent-tests/{uuid.uuid4().hex[:10]}/api-key"
    with SecretsAdapter(
        backend="vault", url=openbao_server.url, token=openbao_server.root_token
    ) as adapter:
        adapter.put_secret(name, SENTINEL)
        yield name
        adapter.delete_secret(name, force=True)


def test_agent_serves_openbao_and_notices_a_rotation_by_the_cli(
    openbao_server: BaoServer, vault_secret: str, tmp_path: Path
) -> None:
    env = _vault_env(openbao_server)
    with running_agent(tmp_path, env=env, args=["--watch-interval", "0.3"]) as agent:
        connection = agent.connection()
        auth = {TOKEN_HEADER: agent.token}
        status, body = get(connection, f"/secretsmanager/get?secretId={vault_secret}", auth)
        assert status == 200
        before = json.loads(body)
        assert before["SecretString"] == SENTINEL
        assert before["VersionStages"] == ["AWSCURRENT"]
        status, body = get(connection, f"/v1/{vault_secret}-missing", auth)
        assert (status, json.loads(body)["__type"]) == (400, "ResourceNotFoundException")

        configure = ["rotation", "configure", vault_secret, "--rotator", "random"]
        subprocess.run(
            [sys.executable, "-m", "secrets_adapter", *configure],
            capture_output=True,
            timeout=60,
            check=True,
            env={**os.environ, **env},
        )
        rotated = subprocess.run(
            [sys.executable, "-m", "secrets_adapter", "rotate", vault_secret],
            capture_output=True,
            timeout=60,
            check=False,
            env={**os.environ, **env},
        )
        assert rotated.returncode == 0, rotated.stderr
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            now = json.loads(get(connection, f"/v1/{vault_secret}", auth)[1])
            if now["VersionId"] != before["VersionId"]:
                break
            time.sleep(0.1)
        assert now["VersionId"] != before["VersionId"]
        previous = json.loads(
            get(connection, f"/v1/{vault_secret}?versionStage=AWSPREVIOUS", auth)[1]
        )
        assert previous["VersionId"] == before["VersionId"]
        connection.close()
    assert SENTINEL not in agent.stderr()


def test_embedded_agent_serves_a_rotation_through_its_adapter_at_once(cli_store: Path) -> None:
    token = "embedded-token-0123456789"
    with SecretsAdapter(backend="local", path=cli_store, cache_ttl=3600) as adapter:
        adapter.put_secret("gaara/prod/jwt-key", "v1-" + SENTINEL)
        adapter.configure_rotation("gaara/prod/jwt-key", rotator="random")
        agent = SecretsAgent({"app": adapter}, TokenTable.of({"app": token}), port=free_port())
        with agent:
            connection = http.client.HTTPConnection(*agent.address, timeout=10)
            auth = {TOKEN_HEADER: token}
            first = json.loads(get(connection, "/v1/gaara/prod/jwt-key", auth)[1])
            assert json.loads(get(connection, "/v1/gaara/prod/jwt-key", auth)[1]) == first
            adapter.rotate_secret("gaara/prod/jwt-key")  # the one-hour TTL has not run out
            after = json.loads(get(connection, "/v1/gaara/prod/jwt-key", auth)[1])
            assert after["VersionId"] != first["VersionId"]
            assert (
                after["VersionId"] == adapter.describe_secret("gaara/prod/jwt-key").current_version
            )
            connection.close()


class _SlowBackend(InMemoryProvider):
    """Holds each read until the test lets it go: a request that is under way for as long as
    the test wants."""

    def __init__(self) -> None:
        super().__init__({"gaara/prod/slow": "slow-" + SENTINEL})
        self.entered = threading.Event()
        self.release = threading.Event()

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        self.entered.set()
        self.release.wait(10)
        return super().get(name, version=version, stage=stage)


def test_stop_finishes_the_request_under_way_and_refuses_new_ones() -> None:
    backend = _SlowBackend()
    token = "graceful-token-0123456789"
    adapter = SecretsAdapter(provider=backend, cache=False)
    agent = SecretsAgent({"app": adapter}, TokenTable.of({"app": token}), port=free_port())
    agent.start()
    answers: list[tuple[int, bytes]] = []

    def slow_client() -> None:
        connection = http.client.HTTPConnection(*agent.address, timeout=10)
        answers.append(get(connection, "/v1/gaara/prod/slow", {TOKEN_HEADER: token}))
        connection.close()

    client = threading.Thread(target=slow_client)
    client.start()
    assert backend.entered.wait(10)
    stopper = threading.Thread(target=agent.stop, kwargs={"grace": 10})
    stopper.start()
    deadline = time.monotonic() + 5
    refused = False
    while not refused and time.monotonic() < deadline:  # stop() closes the listener first
        try:
            socket.create_connection(agent.address, timeout=2).close()
            time.sleep(0.05)
        except OSError:
            refused = True
    assert refused
    assert stopper.is_alive()  # ...and still waits for the request under way
    backend.release.set()
    client.join(10)
    stopper.join(10)
    assert not stopper.is_alive()
    status, body = answers[0]
    assert status == 200
    assert json.loads(body)["SecretString"] == "slow-" + SENTINEL


def test_agent_over_aws_answers_what_get_secret_value_answers(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    client = moto_server.secretsmanager()
    name = f"agent-tests/{uuid.uuid4().hex[:10]}/db"
    value = "aws-value-" + uuid.uuid4().hex  # boto3 logs what it sends: not the sentinel
    client.create_secret(Name=name, SecretString=json.dumps({"password": value}))
    client.put_secret_value(SecretId=name, SecretString=json.dumps({"password": "v2"}))
    env = {
        "SECRETS_BACKEND": "aws",
        "AWS_ENDPOINT_URL": moto_server.endpoint_url,
        "AWS_REGION": moto_server.region,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    with running_agent(tmp_path, env=env) as agent:
        connection = agent.connection()
        auth = {TOKEN_HEADER: agent.token}
        for stage in ("AWSCURRENT", "AWSPREVIOUS"):
            expected = client.get_secret_value(SecretId=name, VersionStage=stage)
            status, body = get(connection, f"/v1/{name}?versionStage={stage}", auth)
            assert status == 200
            ours = json.loads(body)
            assert ours["Name"] == expected["Name"]
            assert ours["VersionId"] == expected["VersionId"]
            assert ours["SecretString"] == expected["SecretString"]
            assert ours["VersionStages"] == expected["VersionStages"]
            assert abs(float(ours["CreatedDate"]) - expected["CreatedDate"].timestamp()) < 0.001
        connection.close()
    assert value not in agent.stderr()


class _Broken(InMemoryProvider):
    """A backend bug: an exception that is none of ours, carrying a value in its message."""

    def get(self, name: str, *, version: str | None = None, stage: Stage = Stage.CURRENT) -> Secret:
        raise RuntimeError("driver failed near " + SENTINEL)


def test_an_unexpected_failure_is_a_bare_internal_failure(
    capfd: pytest.CaptureFixture[str],
) -> None:
    token = "broken-token-0123456789"
    adapter = SecretsAdapter(provider=_Broken(), cache=False)
    with SecretsAgent({"app": adapter}, TokenTable.of({"app": token}), port=free_port()) as agent:
        connection = http.client.HTTPConnection(*agent.address, timeout=10)
        status, body = get(connection, "/v1/gaara/prod/db", {TOKEN_HEADER: token})
        assert (status, body) == (500, b'{"__type":"InternalFailure"}')
        assert get(connection, "/ping")[0] == 200  # the connection and the agent carry on
        connection.close()
    captured = capfd.readouterr()
    assert SENTINEL not in captured.out + captured.err
