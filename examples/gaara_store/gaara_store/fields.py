"""Field encryption on ENCRYPTION_KEY, a rotated key ring (``--rotator keyring``).

``adapter.keyring`` encrypts with the primary key (its id inside the token) and decrypts with any
key still in the ring, so rotating ENCRYPTION_KEY — any number of times — never makes stored
rows unreadable. Before its first rotation the ring is the one key ``.env`` held (base64 of 32
bytes), and ``get_secret_value`` still hands that string to whoever reads it.
"""

from __future__ import annotations

from secrets_adapter import Keyring, SecretsAdapter

ENCRYPTION_KEY_NAME = "encryption-key"


def address_cipher(adapter: SecretsAdapter) -> Keyring:
    return adapter.keyring(ENCRYPTION_KEY_NAME)


def row_context(user_id: int) -> bytes:
    """Bound into each token (associated data): a ciphertext cannot be moved to another user."""
    return f"orders.address:user={user_id}".encode()
