"""`manage.py purge_events`: delete change-history events older than EVENT_RETENTION_DAYS (365 by default).

Batches of --batch-size events, each its own transaction, so a large first purge holds no long lock and can be
stopped and run again. Run it daily (cron, a systemd timer or Celery beat).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser

from contacts.management.commands._base import CrmCommand, whole_number
from events.services import purge_events, retention_cutoff


class Command(CrmCommand):
    help = "Delete change-history events older than EVENT_RETENTION_DAYS days (or --days), in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=whole_number(1), help="Keep this many days instead of EVENT_RETENTION_DAYS.")
        parser.add_argument(
            "--batch-size", type=whole_number(1, 100_000), default=10_000, help="Events deleted per transaction."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] or settings.EVENT_RETENTION_DAYS
        cutoff = retention_cutoff(days=days)
        deleted = sum(purge_events(before=cutoff, batch_size=options["batch_size"]))
        noun = "event" if deleted == 1 else "events"
        self.stdout.write(f"Deleted {deleted} {noun} older than {days} days (before {cutoff:%Y-%m-%d %H:%M} UTC).")
