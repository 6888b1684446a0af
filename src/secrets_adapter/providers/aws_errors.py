"""The one table from botocore's errors to ours, shared by the Secrets Manager provider and the
KMS envelope backend.

``translate_aws_errors`` is a context manager: inside it, any botocore exception comes out as one
of our typed errors, chained ``from`` the original. Messages carry the AWS error code and the
secret's name, never a request or response body (those could hold the value).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
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

__all__ = ["AWS_ERROR_TABLE", "error_for_code", "translate_aws_errors"]

PROVIDER = "aws"

AWS_ERROR_TABLE: Mapping[str, type[SecretsAdapterError]] = {
    # Secrets Manager
    "ResourceNotFoundException": SecretNotFoundError,
    "ResourceExistsException": ConflictError,
    "PreconditionNotMetException": ConflictError,
    "DecryptionFailure": DecryptionError,
    "EncryptionFailure": DecryptionError,
    "InternalServiceError": ProviderUnavailableError,
    # KMS
    "NotFoundException": DecryptionError,
    "DisabledException": DecryptionError,
    "KMSInvalidStateException": DecryptionError,
    "KMSDisabledException": DecryptionError,
    "IncorrectKeyException": IntegrityError,
    "InvalidCiphertextException": IntegrityError,
    "KMSAccessDeniedException": AccessDeniedError,
    "InvalidGrantTokenException": AccessDeniedError,
    "KeyUnavailableException": ProviderUnavailableError,
    "DependencyTimeoutException": ProviderUnavailableError,
    "KMSInternalException": ProviderUnavailableError,
    # Every service: identity and throttling
    "AccessDeniedException": AccessDeniedError,
    "AccessDenied": AccessDeniedError,
    "UnrecognizedClientException": AccessDeniedError,
    "InvalidSignatureException": AccessDeniedError,
    "IncompleteSignature": AccessDeniedError,
    "ExpiredTokenException": AccessDeniedError,
    "ExpiredToken": AccessDeniedError,
    "InvalidClientTokenId": AccessDeniedError,
    "ThrottlingException": ProviderUnavailableError,
    "Throttling": ProviderUnavailableError,
    "TooManyRequestsException": ProviderUnavailableError,
    "RequestLimitExceeded": ProviderUnavailableError,
    "ServiceUnavailable": ProviderUnavailableError,
    "ServiceUnavailableException": ProviderUnavailableError,
    "InternalFailure": ProviderUnavailableError,
    "RequestTimeout": ProviderUnavailableError,
    "RequestTimeoutException": ProviderUnavailableError,
}

_DELETED_MARKERS = ("marked deleted", "marked for deletion", "scheduled for deletion")


def error_for_code(
    code: str,
    aws_message: str,
    *,
    name: str | None,
    status: int | None = None,
    conflict_codes: frozenset[str] = frozenset(),
) -> SecretsAdapterError:
    """Our error for one AWS error code (also used for ``BatchGetSecretValue``'s ``Errors``)."""
    subject = f"secret {name!r}" if name else "the request"
    if code in conflict_codes:
        return ConflictError(
            f"AWS refused the change to {subject} ({code}): another writer changed it "
            "meanwhile; re-read and try again.",
            secret_name=name,
            provider=PROVIDER,
        )
    if code == "InvalidRequestException" and any(
        marker in aws_message.lower() for marker in _DELETED_MARKERS
    ):
        return SecretScheduledForDeletionError(
            f"Secret {name!r} is scheduled for deletion in AWS Secrets Manager; restore it "
            "(secrets-adapter restore / RestoreSecret) to use it again.",
            secret_name=name,
            provider=PROVIDER,
        )
    error_class = AWS_ERROR_TABLE.get(code)
    if error_class is None:
        error_class = (
            ProviderUnavailableError if status is not None and status >= 500 else ProviderError
        )
    hints: dict[type[SecretsAdapterError], str] = {
        SecretNotFoundError: "it does not exist, or not with that version or stage",
        AccessDeniedError: "the caller's IAM identity or the KMS key policy does not allow it "
        "(see `secrets-adapter policy aws`)",
        DecryptionError: "the KMS key is disabled, pending deletion or unusable; retrying "
        "will not help",
        ProviderUnavailableError: "AWS is throttling, failing or unreachable; try again later",
        ConflictError: "it exists already or was changed meanwhile",
        IntegrityError: "the ciphertext does not match its encryption context or key (a wrong "
        "context, a changed blob or another key)",
    }
    # AWS's own message is left on the chained exception: validation messages can echo input.
    hint = hints.get(error_class, "see the chained AWS error for details")
    return error_class(
        f"AWS error {code} for {subject}: {hint}.", secret_name=name, provider=PROVIDER
    )


@contextmanager
def _sdk_frames_dropped() -> Iterator[None]:
    """The botocore exception without botocore's frames: their locals hold the request
    (``SecretString``, ``SecretBinary``) and the response, and error reporters print locals."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        exc.with_traceback(None)  # frames: as above
        raise


@contextmanager
def translate_aws_errors(
    name: str | None = None, *, conflict_codes: frozenset[str] = frozenset()
) -> Iterator[None]:
    """Turn botocore exceptions raised inside the block into our tree, ``from`` the original.

    ``conflict_codes`` are codes that, for this one call, mean a concurrent change (for
    ``UpdateSecretVersionStage``, an ``InvalidParameterException`` means the stage moved).
    """
    try:
        with _sdk_frames_dropped():
            yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        raise error_for_code(
            str(error.get("Code", "Unknown")),
            str(error.get("Message", "")),
            name=name,
            status=status,
            conflict_codes=conflict_codes,
        ) from exc
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise ConfigurationError(
            "No AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY, or run where an IAM role (instance profile, IRSA) applies.",
            secret_name=name,
            provider=PROVIDER,
        ) from exc
    except NoRegionError as exc:
        raise ConfigurationError(
            "No AWS region configured: set AWS_REGION or pass region=...",
            secret_name=name,
            provider=PROVIDER,
        ) from exc
    except (ConnectionError, HTTPClientError) as exc:
        raise ProviderUnavailableError(
            f"AWS could not be reached for {'secret ' + repr(name) if name else 'the request'} "
            f"({type(exc).__name__}): network error or timeout after the configured retries.",
            secret_name=name,
            provider=PROVIDER,
        ) from exc
    except ParamValidationError as exc:
        # Its report quotes parameter values ("Invalid type for parameter SecretString, value:
        # ..."), and the exception stays reachable as ``__context__``: blank the report first.
        exc.kwargs = {"report": "(withheld: it can quote a secret value)"}
        exc.args = ("Parameter validation failed (report withheld: it can quote a value).",)
        raise ValidationError(
            f"The AWS SDK refused a request parameter for "
            f"{'secret ' + repr(name) if name else 'the request'} before sending it.",
            secret_name=name,
        ) from None
    except BotoCoreError as exc:
        raise ProviderError(
            f"The AWS SDK failed ({type(exc).__name__}).", secret_name=name, provider=PROVIDER
        ) from exc
