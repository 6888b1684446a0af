"""The one botocore → our-tree table: each AWS failure becomes the typed error callers handle."""

from __future__ import annotations

import traceback
from typing import Any

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from secrets_adapter.errors import (
    AccessDeniedError,
    ConfigurationError,
    ConflictError,
    DecryptionError,
    IntegrityError,
    ProviderError,
    ProviderUnavailableError,
    SecretNotFoundError,
    SecretsAdapterError,
    SecretScheduledForDeletionError,
    ValidationError,
)
from secrets_adapter.providers.aws_errors import error_for_code, translate_aws_errors
from tests.sentinel import SENTINEL


def _client_error(code: str, message: str = "", status: int = 400) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},  # type: ignore[typeddict-item]
        },
        "GetSecretValue",
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ResourceNotFoundException", SecretNotFoundError),
        ("AccessDeniedException", AccessDeniedError),
        ("KMSAccessDeniedException", AccessDeniedError),
        ("ExpiredTokenException", AccessDeniedError),
        ("ResourceExistsException", ConflictError),
        ("ThrottlingException", ProviderUnavailableError),
        ("TooManyRequestsException", ProviderUnavailableError),
        ("InternalServiceError", ProviderUnavailableError),
        ("DecryptionFailure", DecryptionError),
        ("DisabledException", DecryptionError),
        ("KMSInvalidStateException", DecryptionError),
        ("InvalidCiphertextException", IntegrityError),
        ("KeyUnavailableException", ProviderUnavailableError),
        ("LimitExceededException", ProviderError),
    ],
)
def test_codes_map_to_our_tree(code: str, expected: type[SecretsAdapterError]) -> None:
    with pytest.raises(expected) as info, translate_aws_errors("app/db"):
        raise _client_error(code, "AWS says no")
    assert type(info.value) is expected
    assert isinstance(info.value.__cause__, ClientError)
    assert info.value.secret_name == "app/db"
    assert info.value.provider == "aws"
    assert code in info.value.message


def test_scheduled_for_deletion_is_said_as_such() -> None:
    message = "You can't perform this operation on the secret because it was marked for deletion."
    expected = pytest.raises(SecretScheduledForDeletionError, match="scheduled for deletion")
    with expected, translate_aws_errors("app/db"):
        raise _client_error("InvalidRequestException", message)


def test_other_invalid_requests_are_plain_provider_errors() -> None:
    with pytest.raises(ProviderError) as info, translate_aws_errors("app/db"):
        raise _client_error("InvalidRequestException", "rotation is already in progress")
    assert type(info.value) is ProviderError


def test_unknown_5xx_is_unavailable_and_unknown_4xx_is_not() -> None:
    with pytest.raises(ProviderUnavailableError), translate_aws_errors("x"):
        raise _client_error("SomethingNew", status=503)
    with pytest.raises(ProviderError) as info, translate_aws_errors("x"):
        raise _client_error("SomethingNew", status=400)
    assert not isinstance(info.value, ProviderUnavailableError)


def test_conflict_codes_override_the_table_for_one_call() -> None:
    codes = frozenset({"InvalidParameterException"})
    with (
        pytest.raises(ConflictError, match="another writer"),
        translate_aws_errors("x", conflict_codes=codes),
    ):
        raise _client_error("InvalidParameterException")


@pytest.mark.parametrize(
    "exc",
    [
        EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
        ConnectTimeoutError(endpoint_url="http://127.0.0.1:9"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:9"),
    ],
)
def test_network_failures_are_unavailable(exc: Exception) -> None:
    with pytest.raises(ProviderUnavailableError) as info, translate_aws_errors("x"):
        raise exc
    assert info.value.__cause__ is exc


def test_missing_credentials_say_how_to_fix() -> None:
    with pytest.raises(ConfigurationError, match="AWS_PROFILE"), translate_aws_errors():
        raise NoCredentialsError()


def test_batch_error_entries_use_the_same_table() -> None:
    error = error_for_code("ResourceNotFoundException", "", name="app/missing")
    assert isinstance(error, SecretNotFoundError)
    assert error.secret_name == "app/missing"


@pytest.mark.parametrize("code", ["AccessDeniedException", "ValidationException"])
def test_messages_never_echo_the_aws_message(code: str) -> None:
    with pytest.raises(ProviderError) as info, translate_aws_errors("x"):
        raise _client_error(code, f"Value '{SENTINEL}' at 'secretString' failed")
    assert SENTINEL not in info.value.message


def test_a_parameter_report_that_quotes_a_value_never_leaves_the_sdk() -> None:
    client = boto3.client(
        "secretsmanager",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",  # never reached: botocore validates first
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bad_type: Any = SENTINEL.encode()  # bytes where the SDK wants str: its report quotes it
    with pytest.raises(ValidationError) as caught, translate_aws_errors("app/token"):
        client.put_secret_value(SecretId="app/token", SecretString=bad_type)
    assert "app/token" in str(caught.value)
    error: BaseException | None = caught.value
    while error is not None:  # the whole chain, suppressed context included
        assert SENTINEL not in str(error)
        assert SENTINEL not in repr(error)
        error = error.__cause__ or error.__context__
    assert SENTINEL not in "".join(traceback.format_exception(caught.value))
