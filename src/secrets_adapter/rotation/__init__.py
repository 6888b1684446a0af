"""Rotation: the four-step engine and its rotators."""
