"""`manage.py purge_import_files [--days N] [--dry-run]`: delete import files past their retention.

Run it daily (cron, a systemd timer or Celery beat). Finished jobs older than IMPORT_FILE_RETENTION_DAYS lose their
uploaded file and error report (the job and its counts stay); files no job refers to go after a day.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from contacts.errors import ValidationFailed
from contacts.management.commands._base import CrmCommand, whole_number
from contacts.services.import_files import purge_import_files


class Command(CrmCommand):
    help = (
        "Delete the uploaded files and error reports of finished imports older than the retention "
        "(IMPORT_FILE_RETENTION_DAYS unless --days), and import files no job refers to. Jobs are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=whole_number(None),
            metavar="N",
            help="Retention in days for this run (default: IMPORT_FILE_RETENTION_DAYS).",
        )
        parser.add_argument("--dry-run", action="store_true", help="List what would be deleted; delete nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = purge_import_files(days=options["days"], dry_run=options["dry_run"])
        except ValidationFailed as exc:
            raise CommandError(exc.message) from None
        verb = "Would delete" if report.dry_run else "Deleted"
        for pk, names in report.jobs:
            self.stdout.write(f"{verb} the files of import {pk}: {', '.join(names)}")
        for name in report.orphans:
            self.stdout.write(f"{verb} {name} (no job refers to it)")
        for name in report.legacy:
            self.stdout.write(f"{verb} {name} from MEDIA_ROOT (left by an earlier version)")
        jobs, unreferenced = len(report.jobs), len(report.orphans) + len(report.legacy)
        self.stdout.write(
            f"{verb} {_count(report.file_count, 'file')}: {_count(jobs, 'finished import')} older than "
            f"{_count(report.days, 'day')}, {_count(unreferenced, 'file')} no job refers to."
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
