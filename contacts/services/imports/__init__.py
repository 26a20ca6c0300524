"""Importing contacts from CSV files, validated exactly like the API and written in batches.

One importer serves `manage.py import_contacts`, the admin's "Import contacts" page and Celery workers. Its stages,
one module each:

- options.py: the fields a column can map to, `ImportOptions`, `ImportResult`;
- reading.py: decoding and opening the CSV file (`open_csv`);
- mapping.py: columns to fields (`auto_mapping`, `resolve_mapping`);
- cleaning.py: validating rows without the database;
- row_process.py: cleaning in a forked process while this one writes;
- matching.py and writer.py: each batch against the database, in one transaction;
- report.py: the error report of rejected rows;
- importer.py: one import run (`import_contacts`, `preview`);
- jobs.py: stored jobs and their lifecycle (`create_import_job`, `enqueue_import_job`, `run_import_job`).

This package re-exports the public names. The tunables `PARALLEL_ROWS` and `ANALYZE_ROWS` are read in the modules
that define them (row_process.py, writer.py): change them there.
"""

from contacts.services.imports.cleaning import split_list
from contacts.services.imports.importer import ContactImporter, import_contacts, preview
from contacts.services.imports.jobs import JobQueue, create_import_job, enqueue_import_job, run_import_job
from contacts.services.imports.mapping import (
    FIELD_SYNONYMS,
    IGNORED_COLUMNS,
    auto_mapping,
    normalize_header,
    resolve_mapping,
)
from contacts.services.imports.options import (
    BATCH_SIZE,
    CUSTOM_FIELD_PREFIX,
    IGNORE,
    IMPORT_FIELDS,
    TEXT_FIELDS,
    ImportOptions,
    ImportResult,
    ProgressCallback,
    summarize,
)
from contacts.services.imports.reading import CsvSource, open_csv
from contacts.services.imports.row_process import PARALLEL_ROWS
from contacts.services.imports.writer import ANALYZE_ROWS

__all__ = [
    "ANALYZE_ROWS",
    "BATCH_SIZE",
    "CUSTOM_FIELD_PREFIX",
    "FIELD_SYNONYMS",
    "IGNORE",
    "IGNORED_COLUMNS",
    "IMPORT_FIELDS",
    "PARALLEL_ROWS",
    "TEXT_FIELDS",
    "ContactImporter",
    "CsvSource",
    "ImportOptions",
    "ImportResult",
    "JobQueue",
    "ProgressCallback",
    "auto_mapping",
    "create_import_job",
    "enqueue_import_job",
    "import_contacts",
    "normalize_header",
    "open_csv",
    "preview",
    "resolve_mapping",
    "run_import_job",
    "split_list",
    "summarize",
]
