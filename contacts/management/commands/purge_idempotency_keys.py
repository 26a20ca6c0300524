"""`manage.py purge_idempotency_keys`: delete the `Idempotency-Key` records older than 24 hours.

No request reads a record past its 24 hours (a key that old runs as a new one), so this only keeps the table small.
Run it daily (cron, a systemd timer or Celery beat).
"""

from __future__ import annotations

from typing import Any

from contacts.management.commands._base import CrmCommand
from contacts.services.idempotency import purge_expired


class Command(CrmCommand):
    help = "Delete the Idempotency-Key records of the native API older than 24 hours."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = purge_expired()
        noun = "record" if deleted == 1 else "records"
        self.stdout.write(f"Deleted {deleted} Idempotency-Key {noun} older than 24 hours.")
