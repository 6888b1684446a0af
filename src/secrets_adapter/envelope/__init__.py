"""Envelope encryption of application data: one API over KMS, Vault Transit and a local key.

Backends live in sibling modules and import their SDKs lazily; ``base`` holds the protocol and
the blob format they all write.
"""

from secrets_adapter.envelope.base import EnvelopeBlob, EnvelopeEncryptor

__all__ = ["EnvelopeBlob", "EnvelopeEncryptor"]
