"""The ``secrets-adapter`` command line."""
