"""``secrets-adapter agent`` as a real process over the local store: AWS's wire format, its
refusals, versions, freshness after a rotation elsewhere, principals, bounds and shutdown."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from secrets_adapter import SecretsAdapter
from tests.fixtures.agent import TOKEN_HEADER, get, make_token_file, running_agent
from tests.sentinel import SENTINEL

pytestmark = pytest.mark.slow

DB = {"username": "gaara", "password": SENTINEL}


@pytest.fixture
def store(cli_store: Path) -> Iterator[Path]:
    with SecretsAdapter(backend="local", path=cli_store) as adapter:
        adapter.put_secret("gaara/prod/db", DB)
        adapter.put_secret("gaara/prod/jwt-key", "first-" + SENTINEL)
        adapter.put_secret("gaara/prod/cert", b"\x00\x01binary\xff")
    yield cli_store


def _json(body: bytes) -> dict[str, object]:
    parsed = json.loads(body)
    assert isinstance(parsed, dict)
    return parsed


def test_both_request_forms_answer_like_get_secret_value(store: Path, tmp_path: Path) -> None:
    with running_agent(tmp_path) as agent:
        connection = agent.connection()  # one keep-alive connection for every request below
        auth = {TOKEN_HEADER: agent.token}
        status, body = get(connection, "/secretsmanager/get?secretId=gaara/prod/db", auth)
        assert status == 200
        document = _json(body)
        assert list(document) == [
            "ARN",
            "Name",
            "VersionId",
            "SecretString",
            "VersionStages",
            "CreatedDate",
        ]
        assert json.loads(str(document["SecretString"])) == DB
        assert document["Name"] == "gaara/prod/db"
        assert document["VersionStages"] == ["AWSCURRENT"]
        created = document["CreatedDate"]
        assert isinstance(created, str)  # AWS's agent prints epoch seconds as a string
        assert abs(float(created) - time.time()) < 600
        assert str(document["ARN"]).endswith(":secret:gaara/prod/db")

        status, path_body = get(connection, "/v1/gaara/prod/db", auth)
        assert (status, _json(path_body)) == (200, document)
        status, by_arn = get(connection, f"/secretsmanager/get?secretId={document['ARN']}", auth)
        assert (status, _json(by_arn)) == (200, document)

        status, body = get(connection, "/v1/gaara/prod/cert", auth)
        binary = _json(body)
        assert "SecretString" not in binary
        assert base64.b64decode(str(binary["SecretBinary"])) == b"\x00\x01binary\xff"
        connection.close()
    assert SENTINEL not in agent.stderr()


def test_refusals_match_aws_agent(store: Path, tmp_path: Path) -> None:
    with running_agent(tmp_path) as agent:
        connection = agent.connection()
        auth = {TOKEN_HEADER: agent.token}
        target = "/secretsmanager/get?secretId=gaara/prod/db"
        assert get(connection, target) == (403, b"Bad Token")
        assert get(connection, target, {TOKEN_HEADER: agent.token[:-1] + "x"}) == (
            403,
            b"Bad Token",
        )
        assert get(connection, target, {**auth, "X-Forwarded-For": "10.0.0.1"}) == (
            400,
            b"Forwarded",
        )
        assert get(connection, target, {"X-Vault-Token": agent.token})[0] == 200
        assert get(connection, target + "&bogus=1", auth) == (400, b"unknown parameter: bogus")
        assert get(connection, target + "&refreshNow=yes", auth) == (
            400,
            b"invalid refreshNow value",
        )
        assert get(connection, "/secretsmanager/get?versionStage=AWSCURRENT", auth) == (
            400,
            b"missing parameter secretId",
        )
        assert get(connection, "/elsewhere", auth) == (404, b"Not found")
        status, body = get(connection, "/v1/gaara/prod/missing", auth)
        assert status == 400
        assert _json(body)["__type"] == "ResourceNotFoundException"
        status, body = get(connection, "/v1/gaara/prod/db?versionStage=AWSPENDING", auth)
        assert (status, _json(body)["__type"]) == (400, "ResourceNotFoundException")
        assert get(connection, "/ping") == (200, b"healthy")  # AWS's health check: no token
        assert get(connection, "/health")[0] == 403
        assert get(connection, "/metrics")[0] == 403
        status, health = get(connection, "/health", auth)
        assert status == 200
        assert _json(health)["backends"] == ["local"]
        status, metrics = get(connection, "/metrics", auth)
        assert b'secrets_agent_requests_total{status="403"} 4' in metrics
        connection.request("POST", target, body=b"{}", headers=auth)
        response = connection.getresponse()
        assert (response.status, response.read()) == (405, b"Not allowed")
        connection.close()
    assert SENTINEL not in agent.stderr()


def test_versions_stages_and_refresh_now(store: Path, tmp_path: Path) -> None:
    with running_agent(tmp_path, args=["--watch-interval", "0"]) as agent:
        connection = agent.connection()
        auth = {TOKEN_HEADER: agent.token}
        first = _json(get(connection, "/v1/gaara/prod/jwt-key", auth)[1])
        with SecretsAdapter(backend="local", path=store) as writer:  # another process's write
            writer.put_secret("gaara/prod/jwt-key", "second-" + SENTINEL)
        cached = _json(get(connection, "/v1/gaara/prod/jwt-key", auth)[1])
        assert cached["VersionId"] == first["VersionId"]  # no watch: the TTL decides
        # refreshNow reads the backend, at most once a second per secret (the cache's guard)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            fresh = _json(get(connection, "/v1/gaara/prod/jwt-key?refreshNow=true", auth)[1])
            if fresh["VersionId"] != first["VersionId"]:
                break
            time.sleep(0.1)
        assert fresh["SecretString"] == "second-" + SENTINEL
        target = "/v1/gaara/prod/jwt-key?versionStage=AWSPREVIOUS"
        previous = _json(get(connection, target, auth)[1])
        assert previous["VersionId"] == first["VersionId"]
        assert previous["VersionStages"] == ["AWSPREVIOUS"]
        target = f"/v1/gaara/prod/jwt-key?versionId={first['VersionId']}"
        assert _json(get(connection, target, auth)[1])["SecretString"] == "first-" + SENTINEL
        connection.close()


def test_a_rotation_by_another_process_is_served_at_the_next_version_check(
    store: Path, tmp_path: Path
) -> None:
    with running_agent(tmp_path, args=["--watch-interval", "0.3"]) as agent:
        connection = agent.connection()
        auth = {TOKEN_HEADER: agent.token}
        before = _json(get(connection, "/v1/gaara/prod/jwt-key", auth)[1])
        configure = ["rotation", "configure", "gaara/prod/jwt-key", "--rotator", "random"]
        subprocess.run(
            [sys.executable, "-m", "secrets_adapter", *configure],
            capture_output=True,
            timeout=60,
            check=True,
        )
        rotated = subprocess.run(
            [sys.executable, "-m", "secrets_adapter", "rotate", "gaara/prod/jwt-key"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert rotated.returncode == 0, rotated.stderr
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            now = _json(get(connection, "/v1/gaara/prod/jwt-key", auth)[1])
            if now["VersionId"] != before["VersionId"]:
                break
            time.sleep(0.1)
        assert now["VersionId"] != before["VersionId"]
        assert now["SecretString"] != before["SecretString"]
        metrics = get(connection, "/metrics", auth)[1]
        assert b"secrets_agent_invalidations_total 1" in metrics
        connection.close()
    assert SENTINEL not in agent.stderr()


def test_each_token_reads_as_its_principal_under_policy_and_audit(
    store: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[statement]]\neffect = "allow"\nprincipals = ["api"]\nactions = ["read", "describe"]\n'
        'secrets = ["gaara/prod/*"]\n\n'
        '[[statement]]\neffect = "allow"\nprincipals = ["cron"]\nactions = ["read"]\n'
        'secrets = ["gaara/prod/jwt-*"]\n',
        encoding="utf-8",
    )
    cron_file, cron_token = make_token_file(tmp_path, "cron.token")
    tokens = tmp_path / "tokens"
    tokens.write_text("# principal token-file\ncron cron.token\n", encoding="utf-8")
    tokens.chmod(0o600)
    audit = tmp_path / "audit.jsonl"
    env = {"SECRETS_ADAPTER_POLICY": str(policy), "SECRETS_ADAPTER_AUDIT_LOG": str(audit)}
    args = ["--tokens-file", str(tokens), "--principal", "api"]
    with running_agent(tmp_path, args=args, env=env) as agent:
        connection = agent.connection()
        api = {TOKEN_HEADER: agent.token}
        cron = {TOKEN_HEADER: cron_token}
        assert get(connection, "/v1/gaara/prod/db", api)[0] == 200
        assert get(connection, "/v1/gaara/prod/jwt-key", cron)[0] == 200
        status, body = get(connection, "/v1/gaara/prod/db", cron)
        denied = _json(body)
        assert (status, denied["__type"]) == (400, "AccessDeniedException")
        assert "cron" in str(denied["message"])
        connection.close()
        assert agent.stop() == 0  # both adapters, one provider and one trail closed cleanly
    assert cron_file.exists()
    records = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]
    reads = [
        (
            r["userIdentity"]["principalId"],
            r["requestParameters"]["secretId"],
            r.get("outcome", "success"),
        )
        for r in records
        if r["eventName"] == "GetSecretValue"
    ]
    assert ("api", "gaara/prod/db", "success") in reads
    assert ("cron", "gaara/prod/jwt-key", "success") in reads
    assert ("cron", "gaara/prod/db", "denied") in reads
    assert SENTINEL not in audit.read_text(encoding="utf-8")


def test_tokens_file_readable_by_others_is_refused(store: Path, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    make_token_file(tmp_path, "cron.token")
    tokens.write_text("cron cron.token\n", encoding="utf-8")
    tokens.chmod(0o644)
    result = subprocess.run(
        [sys.executable, "-m", "secrets_adapter", "agent", "--tokens-file", str(tokens)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3
    assert "chmod 600" in result.stderr


def test_non_loopback_listen_is_refused_without_allow_remote(store: Path, tmp_path: Path) -> None:
    token_file, _ = make_token_file(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "secrets_adapter", "agent", "--listen", "0.0.0.0:2773"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        | {"AWS_TOKEN": f"file://{token_file}"},
    )
    assert result.returncode == 2
    assert "loopback" in result.stderr
    assert "--allow-remote" in result.stderr


def test_no_token_configured_says_how_to_set_one(store: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [sys.executable, "-m", "secrets_adapter", "agent"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert result.returncode == 2
    assert "AWS_TOKEN" in result.stderr


def test_connections_over_the_bound_get_429(store: Path, tmp_path: Path) -> None:
    with running_agent(tmp_path, args=["--max-connections", "2"]) as agent:
        auth = {TOKEN_HEADER: agent.token}
        held = [agent.connection(), agent.connection()]
        for connection in held:  # both open and kept alive
            assert get(connection, "/v1/gaara/prod/db", auth)[0] == 200
        with socket.create_connection(("127.0.0.1", agent.port), timeout=5) as third:
            reply = third.recv(4096)
        assert reply.startswith(b"HTTP/1.1 429")
        assert reply.endswith(b"Connection limit exceeded")
        held.pop().close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the server notices the close, then admits again
            fresh = agent.connection()
            try:
                if get(fresh, "/v1/gaara/prod/db", auth)[0] == 200:
                    break
            except (ConnectionError, OSError):
                pass
            finally:
                fresh.close()
            time.sleep(0.05)
        else:
            pytest.fail("a freed connection slot was never reused")
        held[0].close()


def test_sigterm_finishes_and_exits_cleanly(store: Path, tmp_path: Path) -> None:
    with running_agent(tmp_path) as agent:
        idle = agent.connection()
        assert get(idle, "/v1/gaara/prod/db", {TOKEN_HEADER: agent.token})[0] == 200
        agent.process.send_signal(signal.SIGTERM)
        assert agent.process.wait(timeout=15) == 0  # the idle keep-alive did not hold it open
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", agent.port), timeout=2).close()
        idle.close()
    assert "stopping" in agent.stderr()
    assert SENTINEL not in agent.stderr()
