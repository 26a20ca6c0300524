"""What an import is told and what it answers: the fields a column can map to, the options and the result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from contacts.models.imports import ImportMatchField, ImportMode
from contacts.services import contact_fields

BATCH_SIZE = 1000
CUSTOM_FIELD_PREFIX = "cf:"
IGNORE = ""

# The contact's importable fields, in the declaration's order (contacts/services/contact_fields.py); the plain
# strings among them are cleaned as text.
IMPORT_FIELDS = contact_fields.IMPORT_FIELDS
TEXT_FIELDS = tuple(name for name in IMPORT_FIELDS if name in contact_fields.TEXT_FIELDS)


@dataclass
class ImportOptions:
    mode: str = ImportMode.UPSERT
    match_on: str = ImportMatchField.PHONE
    # {file column: field}; overrides the automatic mapping. Field "" ignores the column.
    mapping: Mapping[str, str] = field(default_factory=dict)
    create_missing: bool = True
    dry_run: bool = False
    encoding: str | None = None
    delimiter: str | None = None
    batch_size: int = BATCH_SIZE
    # Clean rows in a forked process while this one writes: None decides by the file's size (see
    # row_process.PARALLEL_ROWS).
    parallel: bool | None = None


@dataclass
class ImportResult:
    mapping: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    dry_run: bool = False
    created_tags: list[str] = field(default_factory=list)
    created_groups: list[str] = field(default_factory=list)

    @property
    def ignored_columns(self) -> list[str]:
        return [column for column, target in self.mapping.items() if target == IGNORE]


ProgressCallback = Callable[[ImportResult, int], None]
"""Called after every batch with the running totals and the estimated number of rows in the file."""


def summarize(result: ImportResult) -> str:
    verb = "would be" if result.dry_run else "were"
    text = (
        f"{result.rows} rows: {result.created} {verb} created, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.rejected} rejected."
    )
    if result.created_tags:
        text += f" New tags: {', '.join(result.created_tags)}."
    if result.created_groups:
        text += f" New groups: {', '.join(result.created_groups)}."
    return text
