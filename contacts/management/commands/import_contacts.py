"""`manage.py import_contacts FILE --org SLUG`: import a CSV file in the foreground, with a progress bar."""

from __future__ import annotations

import codecs
from contextlib import ExitStack
from typing import IO, Any

from django.core.management.base import CommandError, CommandParser

from contacts.errors import ValidationFailed
from contacts.management.commands._base import (
    CrmCommand,
    add_organization_argument,
    get_organization,
    one_line,
    one_of,
    whole_number,
)
from contacts.models.imports import ImportMatchField, ImportMode
from contacts.services.file_kinds import refuse_non_csv
from contacts.services.imports import BATCH_SIZE, ImportOptions, ImportResult, import_contacts, summarize

# The service names the input at fault; the command names the option a user typed.
_OPTION_OF = {"mapping": "--map", "mode": "--mode", "match_on": "--match", "delimiter": "--delimiter"}
_MAX_BATCH = 100_000


class Command(CrmCommand):
    help = "Import contacts from a CSV file (header row required) into an organization."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file; UTF-8 (with or without BOM) unless --encoding says otherwise.")
        add_organization_argument(parser)
        parser.add_argument(
            "--mode", type=one_of(ImportMode.values, "an import mode"), default=ImportMode.UPSERT,
            help="create, update or upsert (default).",
        )  # fmt: skip
        parser.add_argument(
            "--match", dest="match_on", type=one_of(ImportMatchField.values, "a field to match contacts on"),
            default=ImportMatchField.PHONE,
            help=f"Field that identifies an existing contact: {', '.join(ImportMatchField.values)} (default phone).",
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
        parser.add_argument(
            "--delimiter", help="Field delimiter, one character; \\t for tab (default: guessed from the header)."
        )
        parser.add_argument(
            "--batch-size", type=whole_number(1, _MAX_BATCH), default=BATCH_SIZE, metavar="N",
            help=f"Rows per transaction (default {BATCH_SIZE}).",
        )  # fmt: skip
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = get_organization(options["org"])
        import_options = ImportOptions(
            mode=options["mode"],
            match_on=options["match_on"],
            mapping=_mapping(options["map"]),
            create_missing=not options["require_existing"],
            dry_run=options["dry_run"],
            encoding=_encoding(options["encoding"]),
            delimiter=_delimiter(options["delimiter"]),
            batch_size=options["batch_size"],
        )
        path = options["file"]
        self._drawn = None
        progress = None if options["no_progress"] else self._draw_progress
        with ExitStack() as files:
            try:
                binary: IO[bytes] = files.enter_context(open(path, "rb"))
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
            report = None
            if options["errors"]:
                try:
                    report = files.enter_context(open(options["errors"], "w", encoding="utf-8", newline=""))
                except OSError as exc:
                    raise CommandError(f"--errors: cannot write {options['errors']}: {exc.strerror}") from None
            try:
                refuse_non_csv(binary)
                result = import_contacts(organization, binary, import_options, error_report=report, progress=progress)
            except ValidationFailed as exc:
                raise CommandError(self._explain(exc, path)) from None
            finally:
                self._end_progress()
        ignored = ", ".join(result.ignored_columns)
        if ignored:
            self.stdout.write(f"Ignored columns: {ignored}")
        prefix = "Dry run, nothing written. " if result.dry_run else ""
        self.stdout.write(prefix + summarize(result))
        if result.rejected and options["errors"]:
            self.stdout.write(f"Rejected rows and reasons: {options['errors']}")

    @staticmethod
    def _explain(exc: ValidationFailed, path: str) -> str:
        message = one_line(exc.message)
        if exc.field == "file":
            return f"{path}: {message}"
        option = _OPTION_OF.get(exc.field or "")
        if option and option not in message:
            return f"{message} ({option})"
        return message

    # The bar is progress, not an error: drawn in the plain style, redrawn only when it changes, and ended
    # with one line break whether the import finishes or stops.
    def _draw_progress(self, result: ImportResult, estimated: int) -> None:
        total = max(estimated, result.rows, 1)
        done = min(result.rows, total)
        width = 30
        filled = width * done // total
        line = f"[{'#' * filled}{'.' * (width - filled)}] {done * 100 // total:3d}% {done}/{total} rows"
        if line == self._drawn:
            return
        self._drawn = line
        self.stderr.write("\r" + line, style_func=_plain, ending="")
        self.stderr.flush()

    def _end_progress(self) -> None:
        if self._drawn is not None:
            self.stderr.write("", style_func=_plain)
            self._drawn = None


def _plain(text: str) -> str:
    return text


def _mapping(items: list[str]) -> dict[str, str]:
    mapping = {}
    for item in items:
        column, sep, target = item.partition("=")
        if not sep or not column.strip():
            raise CommandError(f"--map expects COLUMN=FIELD, got {item!r}")
        mapping[column.strip()] = target.strip()
    return mapping


def _encoding(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codecs.lookup(name)
    except LookupError:
        raise CommandError(
            f"Unknown encoding {name!r} (--encoding); use a Python codec name such as utf-8, cp1252, latin-1 or utf-16"
        ) from None
    return name


def _delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    delimiter = text.replace("\\t", "\t")
    if len(delimiter) != 1 or delimiter in '\r\n"':
        raise CommandError(f"--delimiter expects one character such as , ; | or \\t for tab, got {text!r}")
    return delimiter
