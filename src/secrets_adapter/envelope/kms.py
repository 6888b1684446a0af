"""Envelope encryption with an AWS KMS key: ``GenerateDataKey`` for each message, AES-256-GCM in
process. The encryption context goes to KMS too, so the wrapped data key itself is bound to it
(and shows in CloudTrail); KMS refuses to unwrap it under any other context."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from secrets_adapter.config import AwsSettings
from secrets_adapter.envelope.base import (
    DATA_KEY_BYTES,
    canonical_context,
    open_blob,
    parse_blob,
    seal,
)
from secrets_adapter.errors import ConfigurationError, IntegrityError
from secrets_adapter.providers.aws_client import aws_session, client_config, guard_sdk_logging
from secrets_adapter.providers.aws_errors import translate_aws_errors

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

__all__ = ["KmsEnvelope"]

_SCHEME = "kms"


class KmsEnvelope:
    """``EnvelopeEncryptor`` over one KMS key (id, ARN or ``alias/...``)."""

    def __init__(self, client: KMSClient, key_id: str, *, owns_client: bool = False) -> None:
        if not key_id:
            raise ConfigurationError("KmsEnvelope needs a KMS key id, ARN or alias.")
        guard_sdk_logging()
        self._client = client
        self._key_id = key_id
        self._owns_client = owns_client

    @classmethod
    def from_settings(cls, settings: AwsSettings) -> KmsEnvelope:
        """The KMS client shares the provider's region, endpoint, retries and timeouts."""
        if not settings.kms_key_id:
            raise ConfigurationError(
                "The KMS envelope needs a key: set SECRETS_ADAPTER_KMS_KEY_ID or kms_key_id=..."
            )
        client = aws_session(settings).client(
            "kms", endpoint_url=settings.endpoint_url, config=client_config(settings)
        )
        return cls(client, settings.kms_key_id, owns_client=True)

    @property
    def scheme(self) -> str:
        return _SCHEME

    @property
    def key_id(self) -> str:
        return self._key_id

    def __repr__(self) -> str:
        return f"KmsEnvelope(key_id={self._key_id!r})"

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def encrypt(self, plaintext: bytes, context: Mapping[str, str]) -> bytes:
        try:
            canonical_context(context)  # refuse an empty or malformed context before calling KMS
            with translate_aws_errors(None):
                response = self._client.generate_data_key(
                    KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=dict(context)
                )
        except Exception:
            del plaintext  # frames: an error reporter prints this frame's locals
            raise
        data_key = response["Plaintext"]
        if len(data_key) != DATA_KEY_BYTES:
            raise IntegrityError("KMS returned a data key of the wrong size.")
        return seal(
            scheme=_SCHEME,
            key_id=response.get("KeyId") or self._key_id,
            data_key=data_key,
            wrapped_key=response["CiphertextBlob"],
            plaintext=plaintext,
            context=context,
        )

    def decrypt(self, blob: bytes, context: Mapping[str, str]) -> bytes:
        try:
            parsed = parse_blob(blob, scheme=_SCHEME)
        except IntegrityError:
            del blob  # frames: not a blob, so maybe a value passed by mistake; locals get printed
            raise
        canonical_context(context)
        with translate_aws_errors(None):
            response = self._client.decrypt(
                CiphertextBlob=parsed.wrapped_key,
                EncryptionContext=dict(context),
                KeyId=parsed.key_id,
            )
        return open_blob(parsed, data_key=response["Plaintext"], context=context)
