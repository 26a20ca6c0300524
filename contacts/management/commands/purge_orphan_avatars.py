"""Delete avatar files that no contact references (left by crashes and rolled-back transactions)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import CommandError

from contacts.management.commands._base import CrmCommand, whole_number
from contacts.services.avatar_files import DEFAULT_GRACE, purge_orphan_avatars


class Command(CrmCommand):
    help = (
        "Delete files under MEDIA_ROOT/avatars/ that no contact references and that are older than "
        "--older-than-minutes (default 60, so uploads still in flight are kept). Run it from cron, e.g. hourly."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-minutes",
            type=whole_number(None),
            default=int(DEFAULT_GRACE.total_seconds() // 60),
            help="Keep unreferenced files modified less than this many minutes ago (default 60)",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing")

    def handle(self, *args, older_than_minutes: int, dry_run: bool, **options):
        if older_than_minutes < 0:
            raise CommandError("--older-than-minutes must be 0 or more")
        report = purge_orphan_avatars(older_than=timedelta(minutes=older_than_minutes), dry_run=dry_run)
        orphans = report.scanned - report.referenced
        verb = "would be deleted (dry run)" if dry_run else "deleted"
        self.stdout.write(
            f"{report.scanned} avatar files: {report.referenced} referenced, {orphans} unreferenced; "
            f"{report.young} of those newer than {older_than_minutes} minutes kept, {report.removed} {verb}"
        )
        if report.failed:
            raise CommandError(f"{report.failed} unreferenced files could not be deleted (see the log)")
