"""Importing contacts from CSV files, validated exactly like the API and written in batches.

One importer serves `manage.py import_contacts`, the admin's "Import contacts" page and Celery workers.
Rows are validated one by one with the services' own helpers (`normalize_phone`, `clean_text`,
`clean_email`, `clean_custom_field_value`); the database work is done per batch of `batch_size` rows
(one transaction, a constant number of queries), so an import runs at close to the database's own speed.
A rejected row writes nothing and is written to the error report with its line number and the reason;
an accepted row is committed with its batch.
"""

from __future__ import annotations

import codecs
import csv
import json
import logging
import multiprocessing
import re
import signal
import tempfile
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, JSONField, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone

from contacts.errors import UnknownReference, ValidationFailed
from contacts.models import Contact, ContactGroup, ContactSource, CustomField, CustomFieldType, Organization, Tag
from contacts.models.imports import ImportJob, ImportMatchField, ImportMode, ImportStatus
from contacts.services import import_runs
from contacts.services.contacts import UNIQUE_FIELDS, clean_email, clean_source, clean_text, unique_index_condition
from contacts.services.custom_fields import clean_custom_field_value
from contacts.services.phones import normalize_phone

logger = logging.getLogger(__name__)

User = get_user_model()

BATCH_SIZE = 1000
# From this many rows an import cleans its rows in a second process (where fork exists): below it, starting
# the process costs more than it saves.
PARALLEL_ROWS = 5000
# After writing this many rows an import refreshes the tables' planner statistics (PostgreSQL).
ANALYZE_ROWS = 10_000
CUSTOM_FIELD_PREFIX = "cf:"
IGNORE = ""

TEXT_FIELDS = ("name", "full_name", "country", "description", "address", "alias", "contact_key", "note")
IMPORT_FIELDS = (
    "phone",
    "email",
    *TEXT_FIELDS,
    "is_favorite",
    "source",
    "tags",
    "groups",
    "branch",
    "team",
    "assigned_user",
)
# Header spellings (lower case, spaces and dashes as underscores) that map to a field without being told.
FIELD_SYNONYMS: dict[str, str] = {
    **{name: "phone" for name in ("phone", "msisdn", "phone_number", "phonenumber", "identifier", "mobile",
                                  "mobile_number", "mobile_phone", "cell", "cellphone", "cell_phone", "telephone",
                                  "tel", "whatsapp", "whatsapp_number", "number", "contact_number")},
    **{name: "email" for name in ("email", "e_mail", "email_address", "mail")},
    **{name: "name" for name in ("name", "contact_name", "display_name", "first_name", "firstname")},
    **{name: "full_name" for name in ("full_name", "fullname", "complete_name")},
    "alias": "alias", "nickname": "alias",
    "contact_key": "contact_key", "contactkey": "contact_key", "external_id": "contact_key",
    "country": "country", "country_code": "country",
    "description": "description",
    "address": "address", "street_address": "address",
    "note": "note", "notes": "note",
    "is_favorite": "is_favorite", "favorite": "is_favorite", "favourite": "is_favorite", "starred": "is_favorite",
    "source": "source", "channel": "source",
    "tags": "tags", "tag": "tags", "labels": "tags", "label": "tags",
    "groups": "groups", "group": "groups", "lists": "groups", "list": "groups",
    "branch": "branch", "branch_name": "branch",
    "team": "team", "team_name": "team",
    "assigned_user": "assigned_user", "assigned_to": "assigned_user", "assignee": "assigned_user", "owner": "assigned_user",
}  # fmt: skip
# Columns an export writes that an import never reads back (the database owns them).
IGNORED_COLUMNS = frozenset({"id", "uuid", "phone_valid", "created_at", "updated_at", "line", "error_column", "error"})

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}
_DELIMITERS = (",", ";", "\t", "|")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_READ_CHUNK = 1 << 20


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
    # Clean rows in a forked process while this one writes: None decides by the file's size (see PARALLEL_ROWS).
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


# -- Reading the file ----------------------------------------------------------------------------------------


@dataclass
class CsvSource:
    """A validated, decodable CSV file: its encoding, delimiter, header and an estimate of its row count."""

    binary: IO[bytes]
    encoding: str
    delimiter: str
    header: list[str]
    estimated_rows: int

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(line number of the record's first line, values) for every record after the header."""
        reader = csv.reader(self._lines(), delimiter=self.delimiter, quotechar='"', doublequote=True)
        try:
            next(reader)
            previous = reader.line_num
            for values in reader:
                yield previous + 1, values
                previous = reader.line_num
        except csv.Error as exc:
            raise ValidationFailed("file", f"Line {reader.line_num}: the file is not valid CSV ({exc})") from None

    def _lines(self) -> Iterator[str]:
        self.binary.seek(0)
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="strict")
        pending = ""
        while chunk := self.binary.read(_READ_CHUNK):
            parts = (pending + decoder.decode(chunk)).split("\n")
            pending = parts.pop()
            for part in parts:
                yield part + "\n"
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending


def open_csv(binary: IO[bytes], *, encoding: str | None = None, delimiter: str | None = None) -> CsvSource:
    """Check that `binary` is a CSV file with a header row in a known encoding, or raise `ValidationFailed`.

    Without `encoding`, a byte-order mark decides (UTF-8 or UTF-16) and otherwise the file must be UTF-8:
    guessing a legacy code page silently corrupts names, so a file that is not UTF-8 is refused with the
    position of the first bad byte and a hint to name its encoding.
    """
    binary.seek(0)
    start = binary.read(4)
    if not start:
        raise ValidationFailed("file", "The file is empty; a header row is required")
    if encoding:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise ValidationFailed("encoding", f"Unknown encoding {encoding!r}") from None
    else:
        encoding = next((name for bom, name in _BOMS if start.startswith(bom)), "utf-8")
    if encoding == "utf-8" and start.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    newlines = _check_decodable(binary, encoding)

    binary.seek(0)
    # Line breaks minus the header's: exact unless values span lines or the last row has no line break.
    source = CsvSource(binary, encoding, delimiter or ",", [], max(newlines - 1, 1))
    first_line = next(source._lines(), "")
    if delimiter is None:
        source.delimiter = max(_DELIMITERS, key=first_line.count) if any(d in first_line for d in _DELIMITERS) else ","
    elif len(delimiter) != 1:
        raise ValidationFailed("delimiter", "The delimiter must be one character")
    try:
        header = next(csv.reader([first_line], delimiter=source.delimiter), [])
    except csv.Error as exc:
        raise ValidationFailed("file", f"Line 1: the header row is not valid CSV ({exc})") from None
    header = [column.strip() for column in header]
    if not any(header):
        raise ValidationFailed("file", "The first line must be a header row naming the columns")
    if "" in header:
        raise ValidationFailed("file", f"Column {header.index('') + 1} of the header row has no name")
    duplicates = sorted({column for column in header if header.count(column) > 1})
    if duplicates:
        raise ValidationFailed("file", f"The header row names these columns twice: {', '.join(duplicates)}")
    source.header = header
    return source


def _check_decodable(binary: IO[bytes], encoding: str) -> int:
    """Decode the whole file once (cheap next to the import) so a bad byte fails the file before any row
    is written; returns the number of line breaks."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    newlines = 0
    binary.seek(0)
    while True:
        chunk = binary.read(_READ_CHUNK)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            line = newlines + chunk[: max(exc.start, 0)].count(b"\n") + 1
            raise ValidationFailed(
                "file",
                f"Line {line}: the file is not valid {encoding} (byte {chunk[exc.start : exc.start + 1]!r}). "
                "Save it as UTF-8, or name its encoding (for example cp1252 or latin-1).",
                code="invalid_encoding",
            ) from None
        if "\x00" in text:
            raise ValidationFailed(
                "file",
                "The file contains NUL characters: it is not a text CSV file (or it is UTF-16 without a byte-order "
                "mark; name its encoding).",
                code="invalid_encoding",
            )
        newlines += text.count("\n")
        if not chunk:
            return newlines


# -- Mapping columns to fields ------------------------------------------------------------------------------


def normalize_header(column: str) -> str:
    return re.sub(r"[\s\-]+", "_", column.strip().lower())


def auto_mapping(organization: Organization, header: Sequence[str]) -> dict[str, str]:
    """The field each column maps to without being told: `cf:<key>`, a known synonym, or a custom field's
    key (exact, then case-insensitive); anything else is ignored."""
    keys = list(CustomField.objects.filter(organization=organization).values_list("key", flat=True))
    by_lower = {key.lower(): key for key in reversed(keys)}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in header:
        normalized = normalize_header(column)
        if normalized in IGNORED_COLUMNS:
            target = IGNORE
        elif column.lower().startswith(CUSTOM_FIELD_PREFIX):
            target = CUSTOM_FIELD_PREFIX + column[len(CUSTOM_FIELD_PREFIX) :].strip()
        elif normalized in FIELD_SYNONYMS:
            target = FIELD_SYNONYMS[normalized]
        elif column in keys:
            target = CUSTOM_FIELD_PREFIX + column
        elif column.strip().lower() in by_lower:
            target = CUSTOM_FIELD_PREFIX + by_lower[column.strip().lower()]
        else:
            target = IGNORE
        # The first column wins a field ("phone" and "mobile" both present): the rest are ignored, not merged.
        if target in taken:
            target = IGNORE
        taken.add(target)
        mapping[column] = target
    return mapping


def resolve_mapping(
    organization: Organization, header: Sequence[str], overrides: Mapping[str, str] | None = None
) -> tuple[dict[str, str], dict[str, CustomField]]:
    """The mapping to use ({column: field}) and the custom field definitions it names; raises
    `ValidationFailed` (field "mapping") for unknown columns or fields and fields mapped twice."""
    mapping = auto_mapping(organization, header)
    for column, target in (overrides or {}).items():
        if column not in mapping:
            matches = [c for c in header if normalize_header(c) == normalize_header(column)]
            if len(matches) != 1:
                raise ValidationFailed("mapping", f"The file has no column {column!r}")
            column = matches[0]
        target = (target or "").strip()
        if target.lower() in ("", "-", "ignore", "skip"):
            target = IGNORE
        elif target.lower().startswith(CUSTOM_FIELD_PREFIX):
            target = CUSTOM_FIELD_PREFIX + target[len(CUSTOM_FIELD_PREFIX) :].strip()
        elif target.lower() in IMPORT_FIELDS or normalize_header(target) in FIELD_SYNONYMS:
            target = FIELD_SYNONYMS.get(normalize_header(target), target.lower())
        else:
            raise ValidationFailed(
                "mapping",
                f"Unknown field {target!r} for column {column!r}; expected one of {', '.join(IMPORT_FIELDS)}, "
                "cf:<custom field key> or ignore",
            )
        mapping[column] = target
        # An explicit choice takes the field away from an automatically mapped column.
        for other, other_target in mapping.items():
            if other != column and other_target == target and target != IGNORE and other not in overrides:
                mapping[other] = IGNORE
    targets = [target for target in mapping.values() if target != IGNORE]
    twice = sorted({target for target in targets if targets.count(target) > 1})
    if twice:
        raise ValidationFailed("mapping", f"Several columns are mapped to {', '.join(twice)}")
    keys = [target[len(CUSTOM_FIELD_PREFIX) :] for target in targets if target.startswith(CUSTOM_FIELD_PREFIX)]
    definitions = {cf.key: cf for cf in CustomField.objects.filter(organization=organization, key__in=keys)}
    unknown = [key for key in keys if key not in definitions]
    if unknown:
        raise UnknownReference(
            "mapping", f"Unknown custom field: {', '.join(unknown)}. Define it first (admin, Custom fields)."
        )
    return mapping, definitions


def split_list(text: str) -> list[str]:
    """Tags, groups and multiple-choice values in one cell: `|`-separated when the cell has a `|`, else
    comma-separated. Exports join with `|` (and end a lone name containing a comma with `|`)."""
    separator = "|" if "|" in text else ","
    return [item.strip() for item in text.split(separator) if item.strip()]


# -- Validating rows ----------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    raw: list[str]
    values: dict[str, Any]
    custom: dict[str, Any]
    tags: list[str]
    groups: list[str]
    key: str | None
    # Ready for the COPY of a new contact, made while cleaning (in the row process, for large files). The uuid is
    # text: a UUID object costs 6 µs to unpickle, a third of a whole row.
    uuid: str
    custom_json: str | None
    order_json: str | None
    contact: Contact | None = None
    contact_id: int | None = None
    tag_ids: list[int] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)


class _RowRejected(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


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
        self.columns = [(index, target) for index, target in enumerate(self.mapping.values()) if target != IGNORE]
        self.column_of = {target: column for column, target in self.mapping.items() if target != IGNORE}
        self.result = ImportResult(mapping=dict(self.mapping), dry_run=options.dry_run)
        self.error_writer = csv.writer(error_report, lineterminator="\n") if error_report is not None else None
        self.progress = progress
        self.rejections: list[tuple[int, list[str], str | None, str]] = []
        self.report_started = False
        self.batch_size = max(1, options.batch_size)
        # In-file duplicates: {unique field: {value: line of the first row with it}}.
        self.seen: dict[str, dict[str, int]] = {name: {} for name in {options.match_on, *UNIQUE_FIELDS}}
        # PostgreSQL takes new rows by COPY, several times faster than INSERT for a batch.
        self.use_copy = connection.vendor == "postgresql"
        self.copy_defaults: dict[str, Any] | None = None
        self.id_sequence: str | None = None
        self.tag_ids: dict[str, int] = {}
        self.group_ids: dict[str, int] = {}
        self._load_references()

    def _load_references(self) -> None:
        """Branches, teams and members are few per organization: one query each, only when mapped."""
        targets = set(self.mapping.values())
        self.branches: dict[str, int] = {}
        self.teams: dict[str, int] = {}
        self.members: dict[str, int] = {}
        if "branch" in targets:
            for pk, name in self.organization.branches.values_list("pk", "name"):
                self.branches.setdefault(name, pk)
                self.branches.setdefault(str(pk), pk)
        if "team" in targets:
            for pk, uuid, name in self.organization.teams.values_list("pk", "uuid", "name"):
                self.teams.setdefault(name, pk)
                self.teams.setdefault(str(uuid), pk)
        if "assigned_user" in targets:
            members = User.objects.filter(memberships__organization=self.organization, is_active=True).order_by("id")
            for pk, email in members.values_list("pk", "email"):
                if email:
                    self.members.setdefault(email.lower(), pk)

    # The whole file.

    def run(self) -> ImportResult:
        batches = self._batches()
        try:
            for rows, batch, rejections in batches:
                self.result.rows += rows
                for rejection in rejections:
                    self._reject_raw(*rejection)
                if batch:
                    self._write_batch(batch)
                self._write_rejections()
                if self.progress:
                    self.progress(self.result, self.source.estimated_rows)
        finally:
            batches.close()  # stops the row process, if any, when a batch fails
        self._refresh_statistics()
        if self.progress:
            self.progress(self.result, self.result.rows)
        return self.result

    def _refresh_statistics(self) -> None:
        """After a large import, have PostgreSQL re-read the tables' statistics now, as after any bulk load:
        until autovacuum gets to it, the planner would plan the admin's lists and the export for the tables as
        they were (measured: an export right after a 100,000-row import took 0.63 s instead of 0.37)."""
        written = self.result.created + self.result.updated
        if connection.vendor != "postgresql" or self.options.dry_run or written < ANALYZE_ROWS:
            return
        tables = [Contact._meta.db_table, Contact.tags.through._meta.db_table, Contact.groups.through._meta.db_table]
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(table) for table in tables)}")

    def _batches(self) -> Iterator[tuple[int, list[_Row], list[tuple[int, list[str], str | None, str]]]]:
        parallel = self.options.parallel
        if parallel is None:
            parallel = self.source.estimated_rows >= PARALLEL_ROWS
        if parallel and "fork" in multiprocessing.get_all_start_methods():
            batches = _cleaned_in_child(self._cleaned_batches)
            if batches is not None:
                return batches
        return self._cleaned_batches()

    def _cleaned_batches(self) -> Iterator[tuple[int, list[_Row], list[tuple[int, list[str], str | None, str]]]]:
        """(rows read, cleaned rows, rejected rows as `_reject_raw` arguments) per `batch_size` cleaned rows.

        Touches no database. (Cleaning in a thread ahead of the writes was measured: no faster, since the
        writing side is also Python and each database round trip then waits for the GIL.)
        """
        rows = 0
        batch: list[_Row] = []
        rejections: list[tuple[int, list[str], str | None, str]] = []
        for line, raw in self.source.records():
            if not any(value.strip() for value in raw):
                continue  # blank lines are not rows
            rows += 1
            try:
                batch.append(self._clean_row(line, raw))
            except _RowRejected as rejection:
                rejections.append((line, raw, rejection.field, rejection.message))
            if len(batch) >= self.batch_size:
                yield rows, batch, rejections
                rows, batch, rejections = 0, [], []
        if rows:
            yield rows, batch, rejections

    # One row, without the database.

    def _clean_row(self, line: int, raw: list[str]) -> _Row:
        if len(raw) != len(self.mapping):
            raise _RowRejected(None, f"The row has {len(raw)} values but the header has {len(self.mapping)} columns")
        values: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        tags: list[str] = []
        groups: list[str] = []
        for index, target in self.columns:
            cell = raw[index]
            if not cell.strip():
                continue  # an empty cell never clears a value
            try:
                if target.startswith(CUSTOM_FIELD_PREFIX):
                    key = target[len(CUSTOM_FIELD_PREFIX) :]
                    custom[key] = self._clean_custom_value(self.definitions[key], cell)
                elif target == "phone":
                    phone = normalize_phone(cell, default_region=self.organization.default_region)
                    values["phone"], values["phone_valid"] = phone.e164, phone.is_valid
                elif target == "email":
                    values["email"] = clean_email(cell)
                elif target in TEXT_FIELDS:
                    values[target] = clean_text(target, cell)
                elif target == "is_favorite":
                    values["is_favorite"] = _clean_boolean(cell)
                elif target == "source":
                    values["source"] = clean_source(cell)
                elif target == "tags":
                    tags = _clean_names(cell, "tags", "tag", 100)
                elif target == "groups":
                    groups = _clean_names(cell, "groups", "group", 200)
                elif target == "branch":
                    values["branch_id"] = self._reference(self.branches, cell.strip(), "branch")
                elif target == "team":
                    values["team_id"] = self._reference(self.teams, cell.strip(), "team")
                elif target == "assigned_user":
                    values["assigned_user_id"] = self._reference(self.members, cell.strip().lower(), "user")
            except ValidationFailed as exc:
                raise _RowRejected(exc.field or target, exc.message) from None
        match_on = self.options.match_on
        key = values.get(match_on) or None
        if key is None and self.options.mode != ImportMode.CREATE:
            raise _RowRejected(match_on, f"{match_on} is required to match an existing contact")
        for name, first_lines in self.seen.items():
            value = values.get(name)
            if not value:
                continue
            if value in first_lines:
                raise _RowRejected(
                    name, f"Duplicate of line {first_lines[value]}: the same {name.replace('_', ' ')} appears twice"
                )
        for name, first_lines in self.seen.items():
            if values.get(name):
                first_lines[values[name]] = line
        custom_json = order_json = None
        if custom:
            custom_json, order_json = json.dumps(custom), json.dumps(list(custom))
        return _Row(line, raw, values, custom, tags, groups, key, str(uuid.uuid4()), custom_json, order_json)

    def _clean_custom_value(self, definition: CustomField, cell: str) -> Any:
        value: Any = cell
        text = cell.strip()
        if definition.field_type == CustomFieldType.MULTICHOICE:
            value = _json_or(text, list) if text.startswith("[") else split_list(text)
        elif definition.field_type == CustomFieldType.LOCATION and text.startswith("{"):
            value = _json_or(text, dict)
        return clean_custom_field_value(definition, value)

    @staticmethod
    def _reference(known: Mapping[str, int], ref: str, label: str) -> int:
        if ref not in known:
            field_name = "assigned_user" if label == "user" else label
            raise UnknownReference(field_name, f"Unknown {label}: {ref}")
        return known[ref]

    # One batch, against the database.

    def _write_batch(self, batch: list[_Row]) -> None:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # The batch's lookups probe up to a thousand keys each through the unique indexes. Costing a
                # random read at 4 sequential ones, the planner would rather scan an organization of up to a few
                # hundred thousand contacts, which costs more with every batch (measured: 2.4 ms through the
                # index, 7.8 ms as a scan of 18,600 contacts), so an import into a growing organization slowed
                # down as it went.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL enable_seqscan = off")
            self._write_checked_batch(batch)

    def _write_checked_batch(self, batch: list[_Row]) -> None:
        batch = self._match_existing(batch)
        batch = self._check_unique_values(batch)
        batch = self._resolve_names(batch, Tag, self.tag_ids, "tags")
        batch = self._resolve_names(batch, ContactGroup, self.group_ids, "groups")
        creates = [row for row in batch if row.contact is None]
        updates = [row for row in batch if row.contact is not None]
        changed = self._apply_updates(updates)
        if self.options.dry_run:
            self.result.created += len(creates)
            self.result.updated += len(changed)
            self.result.unchanged += len(updates) - len(changed)
            return
        try:
            with transaction.atomic():
                self._save(creates, changed)
        except IntegrityError:
            # A concurrent writer took a unique value after the checks above: redo the batch row by row
            # so only the rows that collide are rejected.
            logger.info("import batch conflicted; retrying row by row", extra={"lines": len(batch)})
            changed_rows = {id(row) for row in changed}
            for row in creates:
                row.contact = None
            for row in batch:
                self._save_one(row, id(row) in changed_rows)
            return
        self.result.created += len(creates)
        self.result.updated += len(changed)
        self.result.unchanged += len(updates) - len(changed)

    def _match_existing(self, batch: list[_Row]) -> list[_Row]:
        match_on = self.options.match_on
        keys = [row.key for row in batch if row.key]
        existing: dict[str, Contact] = {}
        if keys:
            # Email is not unique: like `upsert_contact`, the oldest contact with the address is the match.
            condition = _value_in(match_on, keys)
            # Sorted here, not by the query: ORDER BY id makes the planner walk the primary key instead of
            # probing the match field's index.
            found = Contact.objects.filter(condition, organization=self.organization).order_by()
            for contact in sorted(found, key=lambda contact: contact.pk, reverse=True):
                value = contact.phone_e164 if match_on == "phone" else getattr(contact, match_on)
                existing[value] = contact
        kept = []
        for row in batch:
            row.contact = existing.get(row.key) if row.key else None
            row.contact_id = row.contact.pk if row.contact is not None else None
            if row.contact is not None and self.options.mode == ImportMode.CREATE:
                self._reject(row, match_on, f"A contact with this {match_on.replace('_', ' ')} already exists")
            elif row.contact is None and self.options.mode == ImportMode.UPDATE:
                self._reject(row, match_on, f"No contact with this {match_on.replace('_', ' ')}: {row.key}")
            else:
                kept.append(row)
        return kept

    def _check_unique_values(self, batch: list[_Row]) -> list[_Row]:
        """A phone, alias or contact key that belongs to another contact is a conflict, as in the API.

        The field contacts are matched on needs no check: `_match_existing` found its owner, if any.
        """
        wanted = {
            name: [row.values[name] for row in batch if row.values.get(name)]
            for name in UNIQUE_FIELDS
            if name != self.options.match_on
        }
        condition = Q()
        for name, values in wanted.items():
            if values:
                condition |= _value_in(name, values)
        if not condition:
            return batch
        owners: dict[tuple[str, str], int] = {}
        rows = (
            Contact.objects.filter(condition, organization=self.organization)
            .order_by()
            .values_list("pk", *UNIQUE_FIELDS)
        )
        for pk, *values in rows:
            for name, value in zip(UNIQUE_FIELDS, values, strict=True):
                if value:
                    owners[(name, str(value))] = pk
        kept = []
        for row in batch:
            own = row.contact.pk if row.contact is not None else None
            taken = next(
                (
                    name
                    for name in UNIQUE_FIELDS
                    if row.values.get(name) and owners.get((name, row.values[name]), own) != own
                ),
                None,
            )
            if taken:
                self._reject(row, taken, f"A contact with this {taken.replace('_', ' ')} already exists")
            else:
                kept.append(row)
        return kept

    def _resolve_names(self, batch: list[_Row], model: type, cache: dict[str, int], attr: str) -> list[_Row]:
        """Tag names match case-insensitively (as the API's), group names exactly; missing ones are created
        in bulk or reject their rows, per `create_missing`."""
        fold: Callable[[str], str] = str.lower if model is Tag else str
        wanted: dict[str, str] = {}
        for row in batch:
            for name in getattr(row, attr):
                if fold(name) not in cache:
                    wanted.setdefault(fold(name), name)
        if wanted:
            self._load_names(model, cache, wanted)
            missing = {key: name for key, name in wanted.items() if key not in cache}
            if missing and self.options.create_missing:
                created = self._create_names(model, cache, missing)
                (self.result.created_tags if model is Tag else self.result.created_groups).extend(created)
        kept = []
        label = "tag" if model is Tag else "group"
        for row in batch:
            names = getattr(row, attr)
            unknown = [name for name in names if fold(name) not in cache]
            if unknown:
                self._reject(row, attr, f"Unknown {label}: {', '.join(unknown)}")
                continue
            setattr(row, f"{label}_ids", list(dict.fromkeys(cache[fold(name)] for name in names)))
            kept.append(row)
        return kept

    def _load_names(self, model: type, cache: dict[str, int], wanted: Mapping[str, str]) -> None:
        queryset = model.objects.filter(organization=self.organization)
        if model is Tag:
            found = queryset.annotate(lname=Lower("name")).filter(lname__in=list(wanted)).values_list("lname", "pk")
        else:
            found = queryset.filter(name__in=list(wanted)).values_list("name", "pk")
        cache.update(found)

    def _create_names(self, model: type, cache: dict[str, int], missing: Mapping[str, str]) -> list[str]:
        if self.options.dry_run:
            # Nothing is written: give the would-be rows stand-in ids so their rows count as accepted.
            for index, key in enumerate(missing, start=1):
                cache[key] = -(len(cache) + index)
            return list(missing.values())
        # ignore_conflicts: a concurrent import creating the same name is not an error; read back either way.
        model.objects.bulk_create(
            [model(organization=self.organization, name=name) for name in missing.values()], ignore_conflicts=True
        )
        self._load_names(model, cache, missing)
        return list(missing.values())

    def _apply_updates(self, rows: list[_Row]) -> list[_Row]:
        """Apply each row to its contact in memory; return the rows that change something."""
        if not rows:
            return []
        ids = [row.contact.pk for row in rows]
        tag_links = _links(Contact.tags.through, "tag_id", ids) if any(row.tag_ids for row in rows) else {}
        group_links = (
            _links(Contact.groups.through, "contactgroup_id", ids) if any(row.group_ids for row in rows) else {}
        )
        changed = []
        for row in rows:
            contact = row.contact
            dirty = False
            for name, value in row.values.items():
                current = contact.phone_e164 if name == "phone" else getattr(contact, name)
                if current != value:
                    setattr(contact, name, value)
                    dirty = True
            if row.custom:
                merged = {**contact.custom_fields, **row.custom}
                if merged != contact.custom_fields:
                    order = [key for key in contact.custom_field_order if key in merged]
                    order += [key for key in merged if key not in order]
                    contact.custom_fields, contact.custom_field_order = merged, order
                    dirty = True
            # Tags and groups are added, never removed: an import does not take away what it does not mention.
            row.tag_ids = [pk for pk in row.tag_ids if pk not in tag_links.get(contact.pk, ())]
            row.group_ids = [pk for pk in row.group_ids if pk not in group_links.get(contact.pk, ())]
            if dirty or row.tag_ids or row.group_ids:
                changed.append(row)
        return changed

    def _save(self, creates: list[_Row], changed: list[_Row]) -> None:
        now = timezone.now()
        if creates and self.use_copy:
            for row, pk in zip(creates, self._copy_contacts(creates), strict=True):
                row.contact_id = pk
        elif creates:
            contacts = [self._new_contact(row) for row in creates]
            Contact.objects.bulk_create(contacts)
            for row, contact in zip(creates, contacts, strict=True):
                row.contact_id = contact.pk
        if changed:
            for row in changed:
                row.contact.updated_at = now
            fields = {"updated_at"}
            for row in changed:
                fields.update(row.values)
                if row.custom:
                    fields.update(("custom_fields", "custom_field_order"))
            Contact.objects.bulk_update([row.contact for row in changed], sorted(fields))
        self._link(creates + changed)

    def _save_one(self, row: _Row, is_update: bool) -> None:
        try:
            with transaction.atomic():
                if row.contact is None:
                    contact = self._new_contact(row)
                    contact.phone = row.values.get("phone")
                    contact.save(force_insert=True)
                    row.contact_id = contact.pk
                    self.result.created += 1
                elif is_update:
                    row.contact.save()
                    self.result.updated += 1
                else:
                    self.result.unchanged += 1
                self._link([row])
        except IntegrityError as exc:
            # PostgreSQL names the constraint, SQLite the column (as contacts.services.contacts reads them).
            text = str(exc)
            field_name = next(
                (name for name, c in UNIQUE_FIELDS.items() if c in text or f"contacts_contact.{name}" in text), None
            )
            label = (field_name or "value").replace("_", " ")
            self._reject(row, field_name, f"A contact with this {label} already exists")

    def _copy_contacts(self, rows: list[_Row]) -> list[int]:
        """Insert by COPY, with ids taken from the table's sequence first, and return them.

        Rows are built from prepared defaults plus the row's already-cleaned values, without model instances:
        a Contact instance would have PhoneNumberField parse the normalized phone again.
        """
        if self.copy_defaults is None:
            blank = Contact(organization=self.organization, source=ContactSource.IMPORT)
            self.copy_defaults = {
                f.attname: json.dumps(getattr(blank, f.attname))
                if isinstance(f, JSONField)
                else f.get_db_prep_save(getattr(blank, f.attname), connection)
                for f in Contact._meta.concrete_fields
                if not f.primary_key
            }
        table = Contact._meta.db_table
        with connection.cursor() as cursor:
            if self.id_sequence is None:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, "id"])
                self.id_sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [self.id_sequence, len(rows)])
            ids = [pk for (pk,) in cursor.fetchall()]
        now = timezone.now()
        records = []
        for pk, row in zip(ids, rows, strict=True):
            record = {**self.copy_defaults, **row.values, "uuid": row.uuid, "created_at": now, "updated_at": now}
            if row.custom:
                record["custom_fields"], record["custom_field_order"] = row.custom_json, row.order_json
            records.append([pk, *record.values()])
        columns = ["id", *(Contact._meta.get_field(name).column for name in self.copy_defaults)]
        _copy_rows(table, columns, records)
        return ids

    def _new_contact(self, row: _Row) -> Contact:
        contact = Contact(organization=self.organization, **{"source": ContactSource.IMPORT, **row.values})
        contact.alias = contact.alias or None
        contact.contact_key = contact.contact_key or None
        if row.custom:
            contact.custom_fields, contact.custom_field_order = dict(row.custom), list(row.custom)
        return contact

    def _link(self, rows: Iterable[_Row]) -> None:
        tag_links = [(row.contact_id, pk) for row in rows for pk in row.tag_ids]
        group_links = [(row.contact_id, pk) for row in rows for pk in row.group_ids]
        for through, target, links in (
            (Contact.tags.through, "tag_id", tag_links),
            (Contact.groups.through, "contactgroup_id", group_links),
        ):
            if not links:
                continue
            if self.use_copy:
                # The links are new by construction (new contacts, or filtered against the current links), so
                # COPY cannot collide except with a concurrent writer, which rolls back to the row-by-row path.
                _copy_rows(through._meta.db_table, ["contact_id", target], links)
            else:
                objects = [through(contact_id=contact_id, **{target: pk}) for contact_id, pk in links]
                through.objects.bulk_create(objects, ignore_conflicts=True)

    # Rejections.

    def _reject(self, row: _Row, field_name: str | None, message: str) -> None:
        self._reject_raw(row.line, row.raw, field_name, message)

    def _reject_raw(self, line: int, raw: list[str], field_name: str | None, message: str) -> None:
        self.result.rejected += 1
        if self.error_writer is not None:
            self.rejections.append((line, raw, field_name, message))

    def _write_rejections(self) -> None:
        """Rows are rejected while reading and while writing their batch; the report lists them by line."""
        if self.error_writer is None or not self.rejections:
            return
        if not self.report_started:
            self.error_writer.writerow(["line", *self.source.header, "error_column", "error"])
            self.report_started = True
        width = len(self.source.header)
        for line, raw, field_name, message in sorted(self.rejections, key=lambda rejection: rejection[0]):
            values = list(raw[:width]) + [""] * (width - len(raw))
            self.error_writer.writerow([line, *values, self._column_for(field_name), message])
        self.rejections = []

    def _column_for(self, field_name: str | None) -> str:
        if not field_name:
            return ""
        if field_name.startswith("custom_fields."):
            field_name = CUSTOM_FIELD_PREFIX + field_name[len("custom_fields.") :]
        return self.column_of.get(field_name, "")


def _cleaned_in_child(produce: Callable[[], Iterator[Any]]) -> Iterator[Any] | None:
    """Run `produce()` in a forked process and return an iterator over what it yields, a bounded number of items
    ahead; None when no process can be started here (a Celery prefork worker's processes are daemons, which
    multiprocessing does not let have children).

    Cleaning a row (phone parsing above all) and writing it cost about the same, and threads cannot share that
    work: both sides are Python, and each database round trip would wait for the GIL. The child reads the file
    and cleans rows only; it never touches the database connection it inherits, and ends with os._exit, so it
    closes nothing of the parent's.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    # Bounds how far the child runs ahead (and so the memory of batches in flight).
    slots = context.Semaphore(2)
    child = context.Process(target=_produce_into, args=(produce, sender, slots), name="import-rows", daemon=True)
    try:
        child.start()
    except (AssertionError, OSError) as exc:
        logger.info("import rows cleaned in-process: cannot start a row process (%s)", exc)
        receiver.close()
        sender.close()
        return None
    sender.close()
    return _receive(child, receiver, slots)


def _receive(child: Any, receiver: Any, slots: Any) -> Iterator[Any]:
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                raise RuntimeError(f"The import's row process stopped (exit code {child.exitcode}).") from None
            if kind == "item":
                slots.release()
                yield payload
            elif kind == "invalid":
                field_name, message, code = payload
                raise ValidationFailed(field_name, message, code=code)
            elif kind == "error":
                raise RuntimeError(f"The import's row process failed:\n{payload}")
            else:
                return
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _produce_into(produce: Callable[[], Iterator[Any]], sender: Any, slots: Any) -> None:
    # The parent's handlers (a Celery worker's warm shutdown, say) are not the child's to run.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for item in produce():
            slots.acquire()
            sender.send(("item", item))
        sender.send(("done", None))
    except ValidationFailed as exc:
        # Sent as values: the exception's constructor does not take back its own args when unpickled.
        sender.send(("invalid", (exc.field, exc.message, exc.code)))
    except BaseException:  # reported to the parent, which raises it
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()


def _clean_boolean(cell: str) -> bool:
    text = cell.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationFailed("is_favorite", "is_favorite must be true or false")


def _clean_names(cell: str, field_name: str, label: str, max_length: int) -> list[str]:
    names = split_list(cell)
    for name in names:
        if len(name) > max_length:
            raise ValidationFailed(field_name, f"A {label} name is at most {max_length} characters")
        if "\x00" in name:
            raise ValidationFailed(field_name, f"A {label} name contains a NUL character")
    return names


def _json_or(text: str, kind: type) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, kind) else text


def _value_in(column: str, values: Sequence[Any]) -> Q:
    """`column IN (...)` on the stored text, for a batch of values, written so the index is used.

    The ORM's `phone__in` would have PhoneNumberField parse and validate every already-normalized phone again
    (~0.2 ms each), doubling the cost of a batch. On PostgreSQL the list goes as one array (`= ANY(%s)`): splitting
    a statement with a thousand placeholders costs more than running it. A unique field's index is partial, and
    PostgreSQL proves that `x = ANY(<values>)` meets a partial index's condition for at most 100 values: above
    that the query must state the condition itself (`unique_index_condition`), or each batch scans the
    organization.
    """
    qualified = f"{connection.ops.quote_name(Contact._meta.db_table)}.{connection.ops.quote_name(column)}"
    if connection.vendor == "postgresql":
        condition = Q(RawSQL(f"{qualified} = ANY(%s)", [list(values)], output_field=BooleanField()))  # noqa: S611
    else:
        placeholders = ", ".join(["%s"] * len(values))
        condition = Q(RawSQL(f"{qualified} IN ({placeholders})", list(values), output_field=BooleanField()))  # noqa: S611
    if column in UNIQUE_FIELDS:
        condition &= unique_index_condition(column)
    return condition


def _copy_rows(table: str, columns: list[str], rows: Iterable[Sequence[Any]]) -> None:
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    sql = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
    # The raw psycopg cursor does not translate errors; the wrapper turns UniqueViolation into IntegrityError.
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _links(through: type, target: str, contact_ids: list[int]) -> dict[int, set[int]]:
    links: dict[int, set[int]] = {}
    for contact_id, target_id in through.objects.filter(contact_id__in=contact_ids).values_list("contact_id", target):
        links.setdefault(contact_id, set()).add(target_id)
    return links


# -- Entry points -------------------------------------------------------------------------------------------


def import_contacts(
    organization: Organization,
    binary: IO[bytes],
    options: ImportOptions | None = None,
    *,
    error_report: IO[str] | None = None,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Import the CSV file `binary` into `organization`; rejected rows go to `error_report` (a text stream).

    Raises `ValidationFailed` before writing anything when the file or the mapping cannot be used.
    """
    options = options or ImportOptions()
    source = open_csv(binary, encoding=options.encoding, delimiter=options.delimiter)
    importer = ContactImporter(organization, source, options, error_report=error_report, progress=progress)
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


def create_import_job(
    *,
    organization: Organization,
    file: File,
    mapping: Mapping[str, str] | None = None,
    mode: str = ImportMode.UPSERT,
    match_on: str = ImportMatchField.PHONE,
    dry_run: bool = False,
    create_missing: bool = True,
    encoding: str | None = None,
    delimiter: str | None = None,
    actor: Any = None,
) -> ImportJob:
    """Store the file and the job, after checking the file and mapping can be used (else `ValidationFailed`)."""
    if mode not in ImportMode.values:
        raise ValidationFailed("mode", f"Unknown mode {mode!r}")
    if match_on not in ImportMatchField.values:
        raise ValidationFailed("match_on", f"Cannot match contacts on {match_on!r}")
    source = open_csv(file, encoding=encoding, delimiter=delimiter)
    resolved, _ = resolve_mapping(organization, source.header, mapping)
    if mode != ImportMode.CREATE and match_on not in resolved.values():
        raise ValidationFailed("mapping", f"No column is mapped to {match_on}, which {mode} mode matches contacts on")
    file.seek(0)
    name = getattr(file, "name", "") or "contacts.csv"
    job = ImportJob(
        organization=organization,
        original_name=name.rsplit("/", 1)[-1][:255],
        mapping=resolved,
        mode=mode,
        match_on=match_on,
        dry_run=dry_run,
        create_missing=create_missing,
        options={"encoding": source.encoding, "delimiter": source.delimiter},
        total_rows=source.estimated_rows,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    # Stored in the private storage under a random name (import_upload_to); the client's name is original_name.
    job.file.save("upload.csv", file, save=False)
    job.save()
    return job


def enqueue_import_job(job: ImportJob) -> None:
    """Run the job once its row is committed: on a Celery worker when a broker is configured, else in a thread
    of this process (contacts/services/import_runs.py), so the request that started it answers at once."""
    from contacts.tasks import run_import_job as task

    def start() -> None:
        if not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True):
            task.delay(job.pk)
        elif import_runs.runs_here():
            run_import_job(job.pk)
        else:
            import_runs.start_in_background(job.pk, run_import_job)

    transaction.on_commit(start)


def run_import_job(job_id: int) -> ImportJob:
    """Run a stored job to completion, recording progress after every batch. Idempotent once finished."""
    job = ImportJob.objects.select_related("organization").get(pk=job_id)
    if job.is_finished:
        return job
    import_runs.mark_running(job)

    def progress(result: ImportResult, estimated: int) -> None:
        # With a heartbeat; stops the import (ImportAbandoned) if the job was meanwhile marked failed.
        import_runs.record_progress(
            job.pk,
            total_rows=max(estimated, result.rows),
            processed_rows=result.rows,
            created_count=result.created,
            updated_count=result.updated,
            unchanged_count=result.unchanged,
            rejected_count=result.rejected,
        )

    options = ImportOptions(
        mode=job.mode,
        match_on=job.match_on,
        mapping=job.mapping,
        create_missing=job.create_missing,
        dry_run=job.dry_run,
        encoding=job.options.get("encoding"),
        delimiter=job.options.get("delimiter"),
    )
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as report:
        try:
            with job.file.open("rb") as binary:
                result = import_contacts(job.organization, binary, options, error_report=report, progress=progress)
        except ValidationFailed as exc:
            job.refresh_from_db()  # the counts its batches reached, not the ones it started with
            return _finish(job, ImportStatus.FAILED, exc.message)
        except import_runs.ImportAbandoned:
            job.refresh_from_db()
            return job
        except Exception:
            logger.exception("import job failed", extra={"import_job_id": job.pk})
            job.refresh_from_db()
            return _finish(job, ImportStatus.FAILED, "The import stopped on an unexpected error; see the logs.")
        job.refresh_from_db()
        job.total_rows = job.processed_rows = result.rows
        job.created_count, job.updated_count = result.created, result.updated
        job.unchanged_count, job.rejected_count = result.unchanged, result.rejected
        if result.rejected:
            report.seek(0)
            # Private storage, random name (error_report_upload_to): a report's name must not lead to it.
            job.error_report.save("errors.csv", File(report), save=False)
    return _finish(job, ImportStatus.COMPLETED, summarize(result))


def _finish(job: ImportJob, status: str, message: str) -> ImportJob:
    job.status, job.message, job.finished_at = status, message, timezone.now()
    job.save()
    return job


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
