"""The Transit envelope backend against a real OpenBao: round trip, context, key versions."""

from __future__ import annotations

import base64
import uuid

import hvac.exceptions
import pytest

from secrets_adapter.config import VaultSettings
from secrets_adapter.envelope.base import EnvelopeEncryptor, canonical_context, parse_blob
from secrets_adapter.envelope.transit import TransitEnvelope
from secrets_adapter.errors import AccessDeniedError, IntegrityError, ValidationError
from secrets_adapter.models import SecretValue
from secrets_adapter.policy.vault_hcl import VaultPolicyRequest, app_policy
from tests.fixtures.vault import BaoServer
from tests.sentinel import SENTINEL_BYTES

CONTEXT = {"table": "orders", "column": "card"}


def _settings(server: BaoServer, token: str | None = None) -> VaultSettings:
    return VaultSettings(url=server.url, token=SecretValue(token or server.root_token))


@pytest.fixture
def envelope(openbao_server: BaoServer) -> TransitEnvelope:
    transit = TransitEnvelope.from_settings(
        _settings(openbao_server), key=f"k-{uuid.uuid4().hex[:8]}"
    )
    transit.create_key()
    return transit


def test_round_trip_and_protocol(envelope: TransitEnvelope) -> None:
    assert isinstance(envelope, EnvelopeEncryptor)
    blob = envelope.encrypt(SENTINEL_BYTES, CONTEXT)
    assert SENTINEL_BYTES not in blob
    assert parse_blob(blob, scheme="transit").key_id == envelope.key
    assert envelope.decrypt(blob, dict(reversed(CONTEXT.items()))) == SENTINEL_BYTES
    assert SENTINEL_BYTES.decode() not in repr(envelope)


def test_wrong_context_or_changed_blob_is_an_integrity_error(envelope: TransitEnvelope) -> None:
    blob = envelope.encrypt(b"card number", CONTEXT)
    with pytest.raises(IntegrityError, match="context"):
        envelope.decrypt(blob, {"table": "orders", "column": "iban"})
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(IntegrityError):
        envelope.decrypt(tampered, CONTEXT)
    with pytest.raises(ValidationError, match="context is required"):
        envelope.encrypt(b"x", {})


def test_context_is_bound_by_the_derived_key_on_the_server(
    envelope: TransitEnvelope, openbao_server: BaoServer
) -> None:
    wrapped = parse_blob(envelope.encrypt(b"x", CONTEXT), scheme="transit").wrapped_key.decode()
    transit = openbao_server.client().secrets.transit
    other = base64.b64encode(canonical_context({"table": "users"})).decode()
    with pytest.raises(hvac.exceptions.InvalidRequest):
        transit.decrypt_data(name=envelope.key, ciphertext=wrapped, context=other)
    right = base64.b64encode(canonical_context(CONTEXT)).decode()
    assert transit.decrypt_data(name=envelope.key, ciphertext=wrapped, context=right)["data"]


def test_key_rotation_rewrap_and_retiring_old_versions(envelope: TransitEnvelope) -> None:
    old_blob = envelope.encrypt(b"old data", CONTEXT)
    keep_blob = envelope.encrypt(b"kept data", CONTEXT)
    assert envelope.blob_key_version(old_blob) == 1
    assert envelope.rotate_key() == 2
    new_blob = envelope.encrypt(b"new data", CONTEXT)
    assert envelope.blob_key_version(new_blob) == 2
    assert envelope.decrypt(old_blob, CONTEXT) == b"old data"
    rewrapped = envelope.rewrap(keep_blob, CONTEXT)
    assert envelope.blob_key_version(rewrapped) == 2
    envelope.set_min_decryption_version(2)
    versions = envelope.key_versions()
    assert (versions.latest, versions.min_decryption) == (2, 2)
    assert envelope.decrypt(rewrapped, CONTEXT) == b"kept data"
    with pytest.raises(IntegrityError):
        envelope.decrypt(old_blob, CONTEXT)


def test_app_policy_allows_datakey_and_decrypt_only(
    envelope: TransitEnvelope, openbao_server: BaoServer
) -> None:
    hcl = app_policy(
        VaultPolicyRequest(app="shop", names=("shop/prod/*",), transit_keys=(envelope.key,))
    )
    client = openbao_server.client()
    client.sys.create_or_update_policy(name=f"transit-{envelope.key}", policy=hcl)
    token = client.auth.token.create(policies=[f"transit-{envelope.key}"], ttl="10m")
    app = TransitEnvelope.from_settings(
        _settings(openbao_server, token["auth"]["client_token"]), key=envelope.key
    )
    blob = app.encrypt(b"data", CONTEXT)
    assert envelope.decrypt(blob, CONTEXT) == b"data"
    assert app.decrypt(blob, CONTEXT) == b"data"
    with pytest.raises(AccessDeniedError):
        app.rewrap(blob, CONTEXT)
    with pytest.raises(AccessDeniedError):
        app.rotate_key()
