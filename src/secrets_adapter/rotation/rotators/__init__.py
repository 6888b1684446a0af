"""Rotators: how a new value is made, applied and tested (random, jwt, postgres)."""
