"""Rotators: how a new value is made, applied and tested (random, jwt, postgres)."""

from __future__ import annotations

from secrets_adapter.rotation.rotator import Rotator
from secrets_adapter.rotation.rotators.jwt import JwtRotator
from secrets_adapter.rotation.rotators.keyring import KeyringRotator
from secrets_adapter.rotation.rotators.postgres import PostgresRotator
from secrets_adapter.rotation.rotators.random import RandomRotator

__all__ = ["ROTATOR_NAMES", "builtin_rotators"]

ROTATOR_NAMES = ("random", "jwt", "postgres", "keyring")


def builtin_rotators() -> dict[str, Rotator]:
    """A fresh map of the rotators this package ships, by name."""
    rotators: dict[str, Rotator] = {"random": RandomRotator(), "jwt": JwtRotator()}
    rotators |= {"postgres": PostgresRotator(), "keyring": KeyringRotator()}
    return rotators
