"""`manage.py import_contacts FILE --org SLUG`: import a CSV file in the foreground, with a progress bar."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from contacts.errors import ValidationFailed
from contacts.models import Organization
from contacts.models.imports import ImportMatchField, ImportMode
from contacts.services.imports import BATCH_SIZE, ImportOptions, ImportResult, import_contacts, summarize


class Command(BaseCommand):
    help = "Import contacts from a CSV file (header row required) into an organization."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file; UTF-8 (with or without BOM) unless --encoding says otherwise.")
        parser.add_argument("--org", required=True, help="Organization slug.")
        parser.add_argument("--mode", choices=ImportMode.values, default=ImportMode.UPSERT)
        parser.add_argument(
            "--match", dest="match_on", choices=ImportMatchField.values, default=ImportMatchField.PHONE,
            help="Field that identifies an existing contact (default phone).",
        )  # fmt: skip
        parser.add_argument(
            "--map", action="append", default=[], metavar="COLUMN=FIELD",
            help="Map a column to a field (phone, name, tags, cf:<key>, ... or 'ignore'); repeatable.",
        )  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="Report what would happen; write nothing.")
        parser.add_argument(
            "--require-existing", action="store_true",
            help="Reject rows naming tags or groups that do not exist (default: create them).",
        )  # fmt: skip
        parser.add_argument("--errors", metavar="FILE", help="Write every rejected row, with the reason, here.")
        parser.add_argument("--encoding", help="File encoding, e.g. cp1252 (default: UTF-8 or the BOM's).")
        parser.add_argument("--delimiter", help="Field delimiter (default: guessed from the header: , ; tab |).")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization with slug {options['org']!r}")
        mapping = {}
        for item in options["map"]:
            column, sep, target = item.partition("=")
            if not sep or not column.strip():
                raise CommandError(f"--map expects COLUMN=FIELD, got {item!r}")
            mapping[column.strip()] = target.strip()
        import_options = ImportOptions(
            mode=options["mode"],
            match_on=options["match_on"],
            mapping=mapping,
            create_missing=not options["require_existing"],
            dry_run=options["dry_run"],
            encoding=options["encoding"],
            delimiter=options["delimiter"].replace("\\t", "\t") if options["delimiter"] else None,
            batch_size=options["batch_size"],
        )
        progress = None if options["no_progress"] else self._draw_progress
        try:
            with open(options["file"], "rb") as binary:
                if options["errors"]:
                    with open(options["errors"], "w", encoding="utf-8", newline="") as report:
                        result = import_contacts(
                            organization, binary, import_options, error_report=report, progress=progress
                        )
                else:
                    result = import_contacts(organization, binary, import_options, progress=progress)
        except OSError as exc:
            raise CommandError(f"Cannot read {exc.filename}: {exc.strerror}") from None
        except ValidationFailed as exc:
            raise CommandError(exc.message) from None
        if progress:
            self.stderr.write("")
        ignored = ", ".join(result.ignored_columns)
        if ignored:
            self.stdout.write(f"Ignored columns: {ignored}")
        prefix = "Dry run, nothing written. " if result.dry_run else ""
        self.stdout.write(prefix + summarize(result))
        if result.rejected and options["errors"]:
            self.stdout.write(f"Rejected rows and reasons: {options['errors']}")

    def _draw_progress(self, result: ImportResult, estimated: int) -> None:
        total = max(estimated, result.rows, 1)
        done = min(result.rows, total)
        width = 30
        filled = width * done // total
        bar = "#" * filled + "." * (width - filled)
        self.stderr.write(f"\r[{bar}] {done * 100 // total:3d}% {done}/{total} rows", ending="")
        sys.stderr.flush()
