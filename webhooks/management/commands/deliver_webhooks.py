"""`manage.py deliver_webhooks`: dispatch and send webhooks in the foreground (without a broker or a web server)."""

from __future__ import annotations

import contextlib

from django.core.management.base import BaseCommand

from webhooks import runner


class Command(BaseCommand):
    help = "Send owed webhook deliveries: once (--once) or until interrupted."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")

    def handle(self, *args, once: bool = False, **options) -> None:
        if once:
            self.stdout.write(f"{runner.run_pending()} delivery(ies) attempted")
            return
        with contextlib.suppress(KeyboardInterrupt):
            runner.loop()
