"""Cleaning rows, without the database: each cell validated with the services' own helpers (`normalize_phone`,
`clean_text`, `clean_email`, `clean_custom_field_value`), so a row is accepted exactly when the API would accept it.

A `RowCleaner` turns the file's records into batches of cleaned rows and rejections; it may run in a forked process
(row_process.py), so after it is built it touches no database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from contacts.errors import UnknownReference, ValidationFailed
from contacts.models import Contact, CustomField, CustomFieldType, Organization
from contacts.models.imports import ImportMode
from contacts.services.contact_fields import UNIQUE_FIELDS, clean_email, clean_source, clean_text
from contacts.services.custom_fields import clean_custom_field_value
from contacts.services.imports.options import CUSTOM_FIELD_PREFIX, IGNORE, TEXT_FIELDS, ImportOptions
from contacts.services.imports.reading import CsvSource
from contacts.services.phones import normalize_phone
from events.ids import uuid7_text

User = get_user_model()

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


@dataclass
class CleanedRow:
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


Rejection = tuple[int, list[str], str | None, str]
"""A rejected row: its line, its values as read, the field at fault (if any) and the reason."""

Batch = tuple[int, list[CleanedRow], list[Rejection]]
"""Rows read, the cleaned ones and the rejected ones, for `batch_size` cleaned rows."""


class _RowRejected(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class RowCleaner:
    """Cleans the records of one file for one organization, with the mapping `resolve_mapping` gave."""

    def __init__(
        self,
        organization: Organization,
        source: CsvSource,
        options: ImportOptions,
        mapping: Mapping[str, str],
        definitions: Mapping[str, CustomField],
    ) -> None:
        self.organization = organization
        self.source = source
        self.options = options
        self.mapping = mapping
        self.definitions = definitions
        self.columns = [(index, target) for index, target in enumerate(mapping.values()) if target != IGNORE]
        self.batch_size = max(1, options.batch_size)
        # In-file duplicates: {unique field: {value: line of the first row with it}}.
        self.seen: dict[str, dict[str, int]] = {name: {} for name in {options.match_on, *UNIQUE_FIELDS}}
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

    def batches(self) -> Iterator[Batch]:
        """(rows read, cleaned rows, rejected rows) per `batch_size` cleaned rows.

        Touches no database. (Cleaning in a thread ahead of the writes was measured: no faster, since the
        writing side is also Python and each database round trip then waits for the GIL.)
        """
        rows = 0
        batch: list[CleanedRow] = []
        rejections: list[Rejection] = []
        for line, raw in self.source.records():
            if not any(value.strip() for value in raw):
                continue  # blank lines are not rows
            rows += 1
            try:
                batch.append(self.clean_row(line, raw))
            except _RowRejected as rejection:
                rejections.append((line, raw, rejection.field, rejection.message))
            if len(batch) >= self.batch_size:
                yield rows, batch, rejections
                rows, batch, rejections = 0, [], []
        if rows:
            yield rows, batch, rejections

    def clean_row(self, line: int, raw: list[str]) -> CleanedRow:
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
        # Time-ordered: the contacts' uuid index and the events' (organization, contact) index take an import's
        # new contacts at their end rather than on random pages (the random ids cost the import measurably).
        return CleanedRow(line, raw, values, custom, tags, groups, key, uuid7_text(), custom_json, order_json)

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


def split_list(text: str) -> list[str]:
    """Tags, groups and multiple-choice values in one cell: `|`-separated when the cell has a `|`, else
    comma-separated. Exports join with `|` (and end a lone name containing a comma with `|`)."""
    separator = "|" if "|" in text else ","
    return [item.strip() for item in text.split(separator) if item.strip()]
