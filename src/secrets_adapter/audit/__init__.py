"""Audit: one structured, hash-chained event per access; never a value."""
