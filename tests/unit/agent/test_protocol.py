"""The agent's wire format as pure functions: AWS's parameter rules, response and error shapes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from secrets_adapter.agent.protocol import (
    QueryError,
    SecretQuery,
    error_reply,
    name_from_secret_id,
    parse_request_target,
    pseudo_arn,
    secret_reply,
    stage_for_label,
)
from secrets_adapter.errors import (
    AuditUnavailableError,
    PolicyDeniedError,
    ProviderUnavailableError,
    SecretNotFoundError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.models import Secret, SecretValue, Stage
from tests.sentinel import SENTINEL


def test_query_form_and_path_form_parse_alike() -> None:
    query = parse_request_target(
        "/secretsmanager/get?secretId=gaara%2Fprod%2Fdb&versionStage=AWSPREVIOUS&refreshNow=TRUE"
    )
    assert query == SecretQuery(
        secret_id="gaara/prod/db", version_stage="AWSPREVIOUS", refresh_now=True
    )
    assert parse_request_target("/v1/gaara/prod/db?versionId=v-1&refreshNow=0") == SecretQuery(
        secret_id="gaara/prod/db", version_id="v-1"
    )
    assert parse_request_target("/other") is None


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/secretsmanager/get?secretId=a&abc=123", "unknown parameter: abc"),
        ("/v1/a?secretId=b", "unknown parameter: secretId"),
        ("/secretsmanager/get?versionId=v", "missing parameter secretId"),
        ("/v1/", "missing secret ID"),
        ("/secretsmanager/get?secretId=a&refreshNow=123", "invalid refreshNow value"),
    ],
)
def test_malformed_requests_get_aws_agent_messages(target: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_request_target(target)
    assert caught.value.message == message


def test_labels_map_to_stages_and_unknown_labels_are_not_found() -> None:
    assert stage_for_label(None) is Stage.CURRENT
    assert stage_for_label("AWSPENDING") is Stage.PENDING
    assert stage_for_label("previous") is Stage.PREVIOUS
    with pytest.raises(SecretNotFoundError, match="staging label: blue"):
        stage_for_label("blue")


def test_reply_is_get_secret_value_shaped() -> None:
    created = datetime(2019, 9, 26, 21, 53, 9, 46000, tzinfo=UTC)
    secret = Secret(
        name="app/db",
        value=SecretValue("hunter2"),
        version_id="v-1",
        stages=frozenset({Stage.CURRENT, Stage.PENDING}),
        created_at=created,
    )
    reply = secret_reply(secret, provider="vault")
    document = json.loads(reply.body)
    assert document == {
        "ARN": pseudo_arn("vault", "app/db"),
        "Name": "app/db",
        "VersionId": "v-1",
        "SecretString": "hunter2",
        "VersionStages": ["AWSCURRENT", "AWSPENDING"],
        "CreatedDate": "1569534789.046",
    }
    assert name_from_secret_id(document["ARN"]) == "app/db"
    binary = Secret(name="b", value=SecretValue(b"\xff\x00"), version_id="v")
    document = json.loads(secret_reply(binary, provider="local").body)
    assert base64.b64decode(document["SecretBinary"]) == b"\xff\x00"
    assert "SecretString" not in document
    assert "VersionStages" not in document
    assert document["CreatedDate"] is None


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (SecretNotFoundError("no such secret"), 400, "ResourceNotFoundException"),
        (SecretScheduledForDeletionError("deleted"), 400, "InvalidRequestException"),
        (PolicyDeniedError("not allowed"), 400, "AccessDeniedException"),
        (ValidationError("bad name"), 400, "InvalidParameterException"),
        (ProviderUnavailableError("down"), 502, "ConnectionError"),
    ],
)
def test_errors_take_aws_status_and_type(error: Exception, status: int, code: str) -> None:
    reply = error_reply(error)
    body = json.loads(reply.body)
    assert (reply.status, body["__type"]) == (status, code)
    assert body["message"] == str(error)


@pytest.mark.parametrize(
    "error", [AuditUnavailableError("audit sink down"), RuntimeError(SENTINEL), KeyError(SENTINEL)]
)
def test_anything_else_is_a_bare_internal_failure(error: Exception) -> None:
    reply = error_reply(error)
    assert (reply.status, reply.body) == (500, b'{"__type":"InternalFailure"}')
