"""Apps keep reading the value they always read: a ``jwt`` or ``keyring`` secret gives its
current key as a plain string to ``get_secret_value``, ``secret://`` references, ``exec`` and
``rollback``; ``get`` / ``jwt_keys`` / ``keyring`` see the whole set."""

from __future__ import annotations

import logging

import jwt
import pytest

from secrets_adapter import JwtKeySet, SecretsAdapter, sign_token
from secrets_adapter.cli.exec_cmd import child_environment
from secrets_adapter.migrate.rollback import rollback_entries
from secrets_adapter.rotation.rotators.jwt import LEGACY_KID
from secrets_adapter.rotation.schedule import rotation_config_tags
from secrets_adapter.testing import InMemoryProvider

PREFIX = "gaara/prod"
JWT_NAME = f"{PREFIX}/jwt-secret-key"
KEY_NAME = f"{PREFIX}/encryption-key"
PLAIN_JWT = "demo-jwt-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e"
PLAIN_KEY = "ZGVtby1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy1vayE="


@pytest.fixture
def adapter() -> SecretsAdapter:
    provider = InMemoryProvider({JWT_NAME: PLAIN_JWT, KEY_NAME: PLAIN_KEY})
    provider.set_tags(JWT_NAME, rotation_config_tags(rotator="jwt", every=None, options={}))
    provider.set_tags(KEY_NAME, rotation_config_tags(rotator="keyring", every=None, options={}))
    return SecretsAdapter(provider=provider, prefix=PREFIX)


def test_before_any_rotation_the_app_reads_its_migrated_strings(adapter: SecretsAdapter) -> None:
    assert adapter.get_secret_value("jwt-secret-key") == PLAIN_JWT
    assert adapter.get_secret_value("encryption-key") == PLAIN_KEY


def test_after_rotations_get_secret_value_is_the_current_signing_key(
    adapter: SecretsAdapter,
) -> None:
    for _ in range(3):
        adapter.rotate_secret("jwt-secret-key")
        adapter.rotate_secret("encryption-key")
        text = adapter.get_secret_value("jwt-secret-key")
        assert not text.startswith("{")
        # what an app does with it (§4.2: JWT_SECRET_KEY = get_secret_value(...)) is what the
        # key set's current key does: its tokens verify with the set
        keys = adapter.jwt_keys("jwt-secret-key")
        app_token = jwt.encode({"sub": "1"}, text, algorithm="HS256")
        assert jwt.decode(app_token, keys.active.verification_key(), algorithms=["HS256"])
        ours = sign_token(keys, {"sub": "2"})
        assert jwt.decode(ours, text, algorithms=["HS256"]) == {"sub": "2"}
        ring = adapter.keyring("encryption-key")
        assert adapter.get_secret_value("encryption-key") == ring.ring.primary.key
    # legacy and two older keys in grace, the current key, and the next one published pending
    assert len(adapter.get_secret("jwt-secret-key")["keys"]) == 5
    assert JwtKeySet.from_value(adapter.get("jwt-secret-key").value).active.kid != LEGACY_KID


def test_references_exec_and_rollback_give_the_current_key(adapter: SecretsAdapter) -> None:
    adapter.rotate_secret("jwt-secret-key")
    adapter.rotate_secret("encryption-key")
    jwt_text = adapter.get_secret_value("jwt-secret-key")
    key_text = adapter.get_secret_value("encryption-key")
    resolved = adapter.resolve_env({"JWT": f"secret://{JWT_NAME}", "KEY": f"secret://{KEY_NAME}"})
    assert resolved == {"JWT": jwt_text, "KEY": key_text}
    env, skipped, _ = child_environment(adapter, {}, prefix=PREFIX)
    assert (env["JWT_SECRET_KEY"], env["ENCRYPTION_KEY"], skipped) == (jwt_text, key_text, [])
    assert dict(rollback_entries(adapter)) == {
        "ENCRYPTION_KEY": key_text,
        "JWT_SECRET_KEY": jwt_text,
    }


def test_the_plain_key_is_masked_by_the_redaction_filter(
    adapter: SecretsAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    adapter.rotate_secret("jwt-secret-key")
    text = adapter.get_secret_value("jwt-secret-key")
    logger = logging.getLogger("test.app_value")
    logger.addFilter(adapter.redaction_filter())
    with caplog.at_level(logging.INFO, logger="test.app_value"):
        logger.info("signing with %s", text)
    assert text not in caplog.text


def test_key_material_never_shows_in_reprs_or_errors() -> None:
    from secrets_adapter import KeyRing, RotationError, SecretValue
    from tests.sentinel import SENTINEL

    provider = InMemoryProvider({JWT_NAME: SENTINEL, KEY_NAME: SENTINEL})
    provider.set_tags(JWT_NAME, rotation_config_tags(rotator="jwt", every=None, options={}))
    provider.set_tags(KEY_NAME, rotation_config_tags(rotator="keyring", every=None, options={}))
    adapter = SecretsAdapter(provider=provider, prefix=PREFIX)
    adapter.rotate_secret("jwt-secret-key")
    keys = adapter.jwt_keys("jwt-secret-key")
    texts = [repr(keys), repr(keys.keys), repr(adapter.keyring("encryption-key"))]
    texts.append(repr(KeyRing.from_value(SecretValue(SENTINEL))))
    with pytest.raises(Exception) as not_a_key:  # the sentinel is not base64 of 32 bytes
        adapter.keyring("encryption-key").encrypt(b"x")
    texts += [str(not_a_key.value), repr(not_a_key.value.args)]
    # a keyring rotation from that value still keeps it, and its errors stay clean
    adapter.rotate_secret("encryption-key")
    provider.put(
        KEY_NAME, SecretValue('{"format": "secrets-adapter/keyring", "keys": "' + SENTINEL + '"}')
    )
    with pytest.raises(RotationError) as broken:
        adapter.rotate_secret("encryption-key")
    texts += [str(broken.value), repr(broken.value.__cause__)]
    assert not any(SENTINEL in text for text in texts), texts
