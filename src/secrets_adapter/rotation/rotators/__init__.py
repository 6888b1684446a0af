"""Rotators: how a new value is made, applied and tested (random, jwt, postgres)."""

from __future__ import annotations

from secrets_adapter.rotation.rotator import Rotator
from secrets_adapter.rotation.rotators.aws_access_key import AwsAccessKeyRotator
from secrets_adapter.rotation.rotators.external import ExternalRotator
from secrets_adapter.rotation.rotators.jwt import JwtRotator
from secrets_adapter.rotation.rotators.keyring import KeyringRotator
from secrets_adapter.rotation.rotators.postgres import PostgresRotator
from secrets_adapter.rotation.rotators.random import RandomRotator

__all__ = ["ROTATOR_NAMES", "builtin_rotators"]

ROTATOR_NAMES = ("random", "jwt", "postgres", "external", "aws-iam-access-key", "keyring")


def builtin_rotators() -> dict[str, Rotator]:
    """A fresh map of the rotators this package ships, by name."""
    rotators: list[Rotator] = [RandomRotator(), JwtRotator(), PostgresRotator()]
    rotators += [ExternalRotator(), AwsAccessKeyRotator(), KeyringRotator()]
    return {rotator.name: rotator for rotator in rotators}
