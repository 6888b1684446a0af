"""The sentinel secret: it must never appear in a repr, exception, log, CLI output or file."""

SENTINEL = "sentinel-Secret-Value-9f2c7e1b-never-leak"
SENTINEL_BYTES = SENTINEL.encode()
