"""The AWS Secrets Manager Agent's HTTP API as values: query parsing, responses, errors.

Pure functions, so the wire format is tested without a socket. The shapes follow AWS's agent
(aws/aws-secretsmanager-agent): ``GET /secretsmanager/get?secretId=…`` or ``GET /v1/<secretId>``
with ``versionId``, ``versionStage`` and ``refreshNow``; a 200 body shaped like
``GetSecretValue`` (``CreatedDate`` as a string of epoch seconds, as the agent prints it); a
backend error as ``{"__type": …, "message": …}`` with AWS's status; an agent-side refusal as a
short plain-text body ("Bad Token", "Forwarded", …).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, unquote, urlsplit

from secrets_adapter.errors import (
    AccessDeniedError,
    PolicyDeniedError,
    ProviderUnavailableError,
    SecretNotFoundError,
    SecretsAdapterError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.models import Secret, Stage

__all__ = [
    "GET_PATH",
    "PATH_PREFIX",
    "AgentReply",
    "QueryError",
    "SecretQuery",
    "error_reply",
    "name_from_secret_id",
    "parse_request_target",
    "plain_reply",
    "pseudo_arn",
    "secret_reply",
    "stage_for_label",
]

GET_PATH = "/secretsmanager/get"
PATH_PREFIX = "/v1/"
_ARN_PREFIX = "arn:secrets-adapter:"
_AWS_LABELS = {
    "AWSCURRENT": Stage.CURRENT,
    "AWSPENDING": Stage.PENDING,
    "AWSPREVIOUS": Stage.PREVIOUS,
}
_LABEL_OF = {stage: label for label, stage in _AWS_LABELS.items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretQuery:
    """One GetSecretValue request as the agent received it."""

    secret_id: str
    version_id: str | None = None
    version_stage: str | None = None
    refresh_now: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentReply:
    """Status, body and content type of one response (the body may hold a value: never log it)."""

    status: int
    body: bytes
    content_type: str = "application/json"


class QueryError(ValueError):
    """A malformed request: the agent answers 400 with ``message`` as plain text (as AWS's)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def plain_reply(status: int, text: str) -> AgentReply:
    return AgentReply(status=status, body=text.encode(), content_type="text/plain; charset=utf-8")


def _refresh_flag(text: str) -> bool:
    lowered = text.lower()
    if lowered in {"true", "1"}:
        return True
    if lowered in {"false", "0"}:
        return False
    raise QueryError("invalid refreshNow value")


def parse_request_target(target: str, *, path_prefix: str = PATH_PREFIX) -> SecretQuery | None:
    """The query in a request target, or None when the path is neither API form.

    Raises ``QueryError`` for what AWS's agent answers 400: an unknown parameter, a missing
    secret id, a ``refreshNow`` other than true/false/1/0.
    """
    split = urlsplit(target)
    path = split.path
    if path == GET_PATH:
        secret_id = ""
        allowed = {"secretId", "versionId", "versionStage", "refreshNow"}
    elif path.startswith(path_prefix):
        secret_id = unquote(path[len(path_prefix) :])
        if not secret_id:
            raise QueryError("missing secret ID")
        allowed = {"versionId", "versionStage", "refreshNow"}
    else:
        return None
    version_id: str | None = None
    version_stage: str | None = None
    refresh = False
    for key, value in parse_qsl(split.query, keep_blank_values=True):
        if key not in allowed:
            raise QueryError(f"unknown parameter: {key}")
        if key == "secretId":
            secret_id = value
        elif key == "versionId":
            version_id = value
        elif key == "versionStage":
            version_stage = value
        else:
            refresh = _refresh_flag(value)
    if not secret_id:
        raise QueryError("missing parameter secretId")
    return SecretQuery(
        secret_id=secret_id,
        version_id=version_id,
        version_stage=version_stage,
        refresh_now=refresh,
    )


def stage_for_label(label: str | None) -> Stage:
    """``AWSCURRENT``/``AWSPENDING``/``AWSPREVIOUS`` (or our own stage names) as a ``Stage``.

    Other labels do not exist on the other backends: a ``SecretNotFoundError`` as AWS answers
    for a label no version carries.
    """
    if label is None:
        return Stage.CURRENT
    stage = _AWS_LABELS.get(label)
    if stage is None:
        try:
            stage = Stage(label.lower())
        except ValueError:
            raise SecretNotFoundError(
                f"Secrets Manager can't find the specified secret value for staging label: {label}",
            ) from None
    return stage


def pseudo_arn(provider: str, name: str) -> str:
    """An ARN-shaped identifier for backends that have none (documented as a difference)."""
    return f"{_ARN_PREFIX}{provider}:local:000000000000:secret:{name}"


def name_from_secret_id(secret_id: str) -> str:
    """A secret id as a name: our pseudo-ARN gives back the name it was made from."""
    if secret_id.startswith(_ARN_PREFIX):
        return secret_id.split(":secret:", 1)[-1]
    return secret_id


def _created_date(moment: datetime | None) -> str | None:
    """Epoch seconds with the fraction, as a string: how AWS's agent prints ``CreatedDate``."""
    if moment is None:
        return None
    text = f"{moment.timestamp():.3f}".rstrip("0").rstrip(".")
    return text


def secret_reply(secret: Secret, *, provider: str) -> AgentReply:
    """The 200 response: ``GetSecretValue``'s JSON for ``secret``."""
    labels = sorted(_LABEL_OF[stage] for stage in secret.stages if stage in _LABEL_OF)
    document: dict[str, object] = {
        "ARN": pseudo_arn(provider, secret.name),
        "Name": secret.name,
        "VersionId": secret.version_id,
    }
    if secret.value.is_binary:
        document["SecretBinary"] = base64.b64encode(secret.value.reveal_bytes()).decode()
    else:
        document["SecretString"] = secret.value.reveal_text()
    if labels:
        document["VersionStages"] = labels
    document["CreatedDate"] = _created_date(secret.created_at)
    return AgentReply(status=200, body=json.dumps(document, ensure_ascii=False).encode())


def _error_body(code: str, message: str) -> bytes:
    """AWS's agent's error body: ``{"__type":"X", "message":"…"}``; a bare type for 500s."""
    if code == "InternalFailure" or not message:
        return b'{"__type":"InternalFailure"}'
    return f'{{"__type":{json.dumps(code)}, "message":{json.dumps(message)}}}'.encode()


def error_reply(error: Exception) -> AgentReply:
    """Our error as the status and ``__type`` AWS's agent gives for its nearest equivalent.

    Messages of ``SecretsAdapterError`` never hold a value; anything else is an
    ``InternalFailure`` with no message at all.
    """
    if isinstance(error, SecretScheduledForDeletionError):
        code, status = "InvalidRequestException", 400
    elif isinstance(error, SecretNotFoundError):
        code, status = "ResourceNotFoundException", 400
    elif isinstance(error, PolicyDeniedError | AccessDeniedError):
        code, status = "AccessDeniedException", 400
    elif isinstance(error, ValidationError):
        code, status = "InvalidParameterException", 400
    elif isinstance(error, ProviderUnavailableError):
        code, status = "ConnectionError", 502
    else:
        code, status = "InternalFailure", 500
    message = error.message if isinstance(error, SecretsAdapterError) else ""
    return AgentReply(status=status, body=_error_body(code, message))
