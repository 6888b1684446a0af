"""``python -m secrets_adapter`` runs the CLI."""

from secrets_adapter.cli.main import run

run()
