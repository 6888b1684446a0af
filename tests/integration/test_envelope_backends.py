"""The envelope helper's one API over KMS (moto_server over HTTP) and a local key: application
code does not change between them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from botocore.exceptions import ClientError

from secrets_adapter.config import AwsSettings
from secrets_adapter.envelope.base import EnvelopeEncryptor, parse_blob
from secrets_adapter.envelope.kms import KmsEnvelope
from secrets_adapter.envelope.local import LocalEnvelope
from secrets_adapter.errors import ConfigurationError, IntegrityError, ValidationError
from secrets_adapter.providers.aws import AwsSecretsManagerProvider
from tests.fixtures.aws import MotoServer
from tests.sentinel import SENTINEL_BYTES

CONTEXT = {"tenant": "gaara", "purpose": "orders.card"}


@pytest.fixture
def kms_key_arn(moto_server: MotoServer) -> str:
    return moto_server.kms().create_key(Description="envelope test")["KeyMetadata"]["Arn"]


@pytest.fixture(params=["kms", "local"])
def envelope(
    request: pytest.FixtureRequest, moto_server: MotoServer, kms_key_arn: str
) -> Iterator[EnvelopeEncryptor]:
    if request.param == "kms":
        kms = KmsEnvelope.from_settings(moto_server.settings(kms_key_id=kms_key_arn))
        yield kms
        kms.close()
    else:
        yield LocalEnvelope(os.urandom(32))


def test_round_trip(envelope: EnvelopeEncryptor) -> None:
    data = SENTINEL_BYTES + b"\x00\xff"
    blob = envelope.encrypt(data, CONTEXT)
    assert SENTINEL_BYTES not in blob
    assert envelope.decrypt(blob, dict(CONTEXT)) == data
    assert parse_blob(blob, scheme=envelope.scheme).scheme == envelope.scheme


@pytest.mark.parametrize(
    "wrong",
    [{"tenant": "other", "purpose": "orders.card"}, {"tenant": "gaara"}],
    ids=["changed", "missing-key"],
)
def test_wrong_context_is_rejected(envelope: EnvelopeEncryptor, wrong: dict[str, str]) -> None:
    blob = envelope.encrypt(b"data", CONTEXT)
    with pytest.raises(IntegrityError):
        envelope.decrypt(blob, wrong)


def test_empty_context_is_refused(envelope: EnvelopeEncryptor) -> None:
    with pytest.raises(ValidationError, match="required"):
        envelope.encrypt(b"data", {})


def test_changed_ciphertext_is_rejected(envelope: EnvelopeEncryptor) -> None:
    blob = bytearray(envelope.encrypt(b"data", CONTEXT))
    blob[-1] ^= 0x80
    with pytest.raises(IntegrityError):
        envelope.decrypt(bytes(blob), CONTEXT)


def test_kms_blob_names_the_key_and_binds_context_at_kms(
    moto_server: MotoServer, kms_key_arn: str
) -> None:
    kms_client = moto_server.kms()
    envelope = KmsEnvelope(kms_client, kms_key_arn)
    parsed = parse_blob(envelope.encrypt(b"data", CONTEXT), scheme="kms")
    assert parsed.key_id == kms_key_arn
    unwrapped = kms_client.decrypt(CiphertextBlob=parsed.wrapped_key, EncryptionContext=CONTEXT)
    assert len(unwrapped["Plaintext"]) == 32
    with pytest.raises(ClientError, match="InvalidCiphertext"):
        kms_client.decrypt(CiphertextBlob=parsed.wrapped_key, EncryptionContext={"tenant": "x"})


def test_a_blob_from_one_backend_is_refused_by_the_other(
    moto_server: MotoServer, kms_key_arn: str
) -> None:
    kms = KmsEnvelope(moto_server.kms(), kms_key_arn)
    local = LocalEnvelope(os.urandom(32))
    decryptors: list[tuple[Callable[[bytes, dict[str, str]], bytes], bytes]] = [
        (local.decrypt, kms.encrypt(b"x", CONTEXT)),
        (kms.decrypt, local.encrypt(b"x", CONTEXT)),
    ]
    for decrypt, blob in decryptors:
        with pytest.raises(IntegrityError, match="scheme"):
            decrypt(blob, CONTEXT)


def test_kms_envelope_needs_a_key() -> None:
    with pytest.raises(ConfigurationError, match="SECRETS_ADAPTER_KMS_KEY_ID"):
        KmsEnvelope.from_settings(AwsSettings(region="us-east-1"))


def test_local_envelope_keeps_its_key_in_secrets_manager_too(moto_server: MotoServer) -> None:

    moto_server.reset()
    with_provider = AwsSecretsManagerProvider.from_settings(moto_server.settings())
    try:
        blob = LocalEnvelope.from_store(with_provider).encrypt(SENTINEL_BYTES, CONTEXT)
        again = LocalEnvelope.from_store(with_provider)
        assert again.decrypt(blob, CONTEXT) == SENTINEL_BYTES
    finally:
        with_provider.close()
