"""``manage.py secrets_status``: the ``secrets-adapter status`` table (one row per secret:
backend, version, last and next rotation, cache, problems) for the adapter Django uses."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from secrets_adapter.clock import utcnow
from secrets_adapter.integrations.django.resolve import get_adapter
from secrets_adapter.models import SecretMetadata
from secrets_adapter.monitoring.status import format_table, status_rows
from secrets_adapter.rotation.schedule import rotation_schedule


class Command(BaseCommand):
    help = "One row per secret: backend, version, last/next rotation, cache, problems."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--prefix", default=None, help="List under this prefix.")
        parser.add_argument(
            "--rotation-days",
            type=int,
            default=90,
            help="Interval for secrets with no rotation schedule of their own (default 90).",
        )
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args: Any, **options: Any) -> None:
        adapter = get_adapter()
        every = timedelta(days=options["rotation_days"])
        cache = adapter.settings.cache
        now = utcnow()

        def dates(meta: SecretMetadata) -> tuple[datetime | None, datetime | None]:
            schedule = rotation_schedule(meta)
            last = schedule.last_rotated
            return last, (last + (schedule.every or every) if last is not None else None)

        rows = status_rows(
            adapter.list_secrets(options["prefix"]),
            adapter.describe_secret,
            backend=adapter.backend,
            now=now,
            cache=f"ttl {int(cache.ttl.total_seconds())}s" if cache.enabled else "off",
            dates=dates,
        )
        if options["json"]:
            self.stdout.write(json.dumps([asdict(row) for row in rows], default=str, indent=2))
        elif rows:
            self.stdout.write(format_table(rows, now))
        else:
            self.stderr.write("No secrets.")
