"""One import of one CSV file into one organization: rows cleaned (cleaning.py, in a forked process for large
files: row_process.py), matched (matching.py) and written (writer.py) per batch of `batch_size` rows, in one
transaction and a constant number of queries each, so an import runs at close to the database's own speed.
A rejected row writes nothing and goes to the error report (report.py) with its line number and the reason;
an accepted row is committed with its batch.
"""

from __future__ import annotations

from typing import IO, Any

from contacts.errors import ValidationFailed
from contacts.models import Organization
from contacts.models.imports import ImportMatchField, ImportMode
from contacts.services.imports.cleaning import CleanedRow, RowCleaner
from contacts.services.imports.mapping import auto_mapping, resolve_mapping
from contacts.services.imports.options import ImportOptions, ImportResult, ProgressCallback
from contacts.services.imports.reading import CsvSource, open_csv
from contacts.services.imports.report import ErrorReport
from contacts.services.imports.row_process import batches_from
from contacts.services.imports.writer import BatchWriter
from events.context import event_context, surface_is_set
from events.models import Surface


class ContactImporter:
    """Imports one CSV file into one organization. Use `import_contacts()`."""

    def __init__(
        self,
        organization: Organization,
        source: CsvSource,
        options: ImportOptions,
        *,
        error_report: IO[str] | None = None,
        progress: ProgressCallback | None = None,
        actor: Any = None,
    ) -> None:
        if options.mode not in ImportMode.values:
            raise ValidationFailed("mode", f"Unknown mode {options.mode!r}; expected one of create, update, upsert")
        if options.match_on not in ImportMatchField.values:
            raise ValidationFailed(
                "match_on", f"Cannot match contacts on {options.match_on!r}; use phone, email, alias or contact_key"
            )
        self.organization = organization
        self.source = source
        self.options = options
        self.mapping, self.definitions = resolve_mapping(organization, source.header, options.mapping)
        if options.mode != ImportMode.CREATE and options.match_on not in self.mapping.values():
            raise ValidationFailed(
                "mapping", f"No column is mapped to {options.match_on}, which {options.mode} mode matches contacts on"
            )
        self.result = ImportResult(mapping=dict(self.mapping), dry_run=options.dry_run)
        self.report = ErrorReport(error_report, source.header, self.mapping) if error_report is not None else None
        self.progress = progress
        self.writer = BatchWriter(organization, options, self.result, self._reject, actor=actor)
        self.cleaner = RowCleaner(organization, source, options, self.mapping, self.definitions)

    def run(self) -> ImportResult:
        batches = batches_from(
            self.cleaner.batches, parallel=self.options.parallel, estimated_rows=self.source.estimated_rows
        )
        try:
            for rows, batch, rejections in batches:
                self.result.rows += rows
                for rejection in rejections:
                    self._reject_raw(*rejection)
                if batch:
                    self._write_batch(batch)
                if self.report is not None:
                    self.report.flush()
                if self.progress:
                    self.progress(self.result, self.source.estimated_rows)
        finally:
            batches.close()  # stops the row process, if any, when a batch fails
        self.writer.refresh_statistics()
        if self.progress:
            self.progress(self.result, self.result.rows)
        return self.result

    def _write_batch(self, batch: list[CleanedRow]) -> None:
        self.writer.write(batch)

    def _reject(self, row: CleanedRow, field_name: str | None, message: str) -> None:
        self._reject_raw(row.line, row.raw, field_name, message)

    def _reject_raw(self, line: int, raw: list[str], field_name: str | None, message: str) -> None:
        self.result.rejected += 1
        if self.report is not None:
            self.report.add((line, raw, field_name, message))


def import_contacts(
    organization: Organization,
    binary: IO[bytes],
    options: ImportOptions | None = None,
    *,
    error_report: IO[str] | None = None,
    progress: ProgressCallback | None = None,
    actor: Any = None,
) -> ImportResult:
    """Import the CSV file `binary` into `organization`; rejected rows go to `error_report` (a text stream).
    Every batch written is reported through `record_change` with `actor` (see writer.py); its events name the
    `import` surface unless the caller named one (a management command is `command`).

    Raises `ValidationFailed` before writing anything when the file or the mapping cannot be used.
    """
    options = options or ImportOptions()
    source = open_csv(binary, encoding=options.encoding, delimiter=options.delimiter)
    importer = ContactImporter(organization, source, options, error_report=error_report, progress=progress, actor=actor)
    if surface_is_set():  # a command or a job named it
        return importer.run()
    with event_context(surface=Surface.IMPORT):
        return importer.run()


def preview(
    organization: Organization, binary: IO[bytes], *, encoding: str | None = None, delimiter: str | None = None
) -> tuple[CsvSource, dict[str, str], list[list[str]]]:
    """The file's reading, its automatic mapping and its first rows, for the admin's mapping step."""
    source = open_csv(binary, encoding=encoding, delimiter=delimiter)
    sample = []
    for _, values in source.records():
        sample.append(values)
        if len(sample) == 5:
            break
    return source, auto_mapping(organization, source.header), sample
