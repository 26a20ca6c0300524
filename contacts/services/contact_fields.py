"""The contact's own values, declared once: what each is, how it is cleaned, and where it appears.

`CONTACT_FIELDS` is the one list. `create_contact` and `update_contact` clean what they are given with the same
`clean_field` (so one input gives one stored value whichever service writes it); the admin form, the importer,
the export and the search take their lists from the declaration (`field_names(...)` and the tuples below) instead
of spelling them out again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.db.models import Q

from contacts.errors import ValidationFailed
from contacts.models import Contact, ContactSource


class FieldKind(StrEnum):
    TEXT = "text"  # a string of at most `max_length` characters, stripped
    EMAIL = "email"
    PHONE = "phone"  # normalised by the organization's phone policy (contacts.services.phones)
    BOOLEAN = "boolean"
    SOURCE = "source"  # one of ContactSource
    URL = "url"  # an http(s) URL, stored, never fetched
    FILE = "file"  # the avatar upload
    REFERENCE = "reference"  # one row the organization owns (branch, team) or one of its members (user)
    REFERENCES = "references"  # a set of the organization's rows (tags, groups)
    CUSTOM = "custom"  # the typed custom fields
    OBJECT = "object"  # a JSON object kept verbatim (SFMC attribute sets)
    READ_ONLY = "read_only"  # set by the database or derived, never written by a caller


@dataclass(frozen=True)
class ContactField:
    name: str
    kind: FieldKind
    max_length: int | None = None
    # The unique constraint guarding the value in an organization (None: not unique).
    unique_constraint: str | None = None
    # An empty value is stored as NULL (a partial unique index skips it).
    empty_is_null: bool = False
    searchable: bool = False  # found by the text search (admin and dialects)
    exportable: bool = False  # a column of the CSV export, in declaration order
    importable: bool = False  # a field an import column can map to

    @property
    def writable(self) -> bool:
        return self.kind != FieldKind.READ_ONLY


_T = FieldKind
# In the order of the CSV export's columns; fields the export leaves out follow.
CONTACT_FIELDS: tuple[ContactField, ...] = (
    ContactField("id", _T.READ_ONLY, exportable=True),
    ContactField("uuid", _T.READ_ONLY, exportable=True),
    ContactField("name", _T.TEXT, 255, searchable=True, exportable=True, importable=True),
    ContactField("full_name", _T.TEXT, 255, searchable=True, exportable=True, importable=True),
    ContactField(
        "phone", _T.PHONE, 16, "contact_unique_org_phone", empty_is_null=True, exportable=True, importable=True
    ),
    ContactField("phone_valid", _T.READ_ONLY, exportable=True),
    ContactField("email", _T.EMAIL, 254, searchable=True, exportable=True, importable=True),
    ContactField("country", _T.TEXT, 100, exportable=True, importable=True),
    ContactField("description", _T.TEXT, 20_000, exportable=True, importable=True),
    ContactField("address", _T.TEXT, 5_000, exportable=True, importable=True),
    ContactField(
        "alias", _T.TEXT, 255, "contact_unique_org_alias", True, searchable=True, exportable=True, importable=True
    ),
    ContactField(
        "contact_key",
        _T.TEXT,
        255,
        "contact_unique_org_contact_key",
        True,
        searchable=True,
        exportable=True,
        importable=True,
    ),
    ContactField("is_favorite", _T.BOOLEAN, exportable=True, importable=True),
    ContactField("source", _T.SOURCE, 20, exportable=True, importable=True),
    ContactField("branch", _T.REFERENCE, exportable=True, importable=True),
    ContactField("team", _T.REFERENCE, exportable=True, importable=True),
    ContactField("assigned_user", _T.REFERENCE, exportable=True, importable=True),
    ContactField("tags", _T.REFERENCES, exportable=True, importable=True),
    ContactField("groups", _T.REFERENCES, exportable=True, importable=True),
    ContactField("note", _T.TEXT, 1000, exportable=True, importable=True),
    ContactField("created_at", _T.READ_ONLY, exportable=True),
    ContactField("updated_at", _T.READ_ONLY, exportable=True),
    ContactField("bot_status", _T.TEXT, 20),
    ContactField("avatar", _T.FILE),
    ContactField("avatar_url", _T.URL, 2000),
    ContactField("custom_fields", _T.CUSTOM),
    ContactField("attributes", _T.OBJECT),
)
FIELDS: dict[str, ContactField] = {field.name: field for field in CONTACT_FIELDS}


def field_names(*kinds: FieldKind, **flags: bool) -> tuple[str, ...]:
    """The declared names, in declaration order, of the given kinds (any kind when none is given) whose flags
    (`searchable=True`, `exportable=True`, `importable=True`, `writable=True`...) all have the given values."""
    return tuple(
        field.name
        for field in CONTACT_FIELDS
        if (not kinds or field.kind in kinds) and all(getattr(field, flag) == value for flag, value in flags.items())
    )


# The service's writable fields (every keyword `update_contact` accepts as a change).
WRITABLE_FIELDS = field_names(writable=True)
# The plain strings, {name: max length}.
TEXT_FIELDS: dict[str, int] = {name: FIELDS[name].max_length or 0 for name in field_names(FieldKind.TEXT)}
# The unique values a contact can collide on, with the constraint that guards each.
UNIQUE_FIELDS: dict[str, str] = {f.name: f.unique_constraint for f in CONTACT_FIELDS if f.unique_constraint}
SEARCH_FIELDS = field_names(searchable=True)
EXPORT_FIELDS = field_names(exportable=True)
IMPORT_FIELDS = field_names(importable=True)
# The references, resolved by `contacts.services.references` from objects, ids, uuids, names or emails.
REFERENCE_FIELDS = field_names(FieldKind.REFERENCE)
REFERENCES_FIELDS = field_names(FieldKind.REFERENCES)


def unique_index_condition(field_name: str) -> Q:
    """The condition of `field_name`'s partial unique index. A lookup of many values (`IN` a list of over 100)
    must repeat it, or PostgreSQL cannot prove the index applies and scans the organization's contacts."""
    name = UNIQUE_FIELDS[field_name]
    return next(c.condition for c in Contact._meta.constraints if c.name == name)


URL_VALIDATOR = URLValidator(schemes=["http", "https"])


def clean_text(field: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list, bool)):
        raise ValidationFailed(field, f"{field} must be a string")
    text = str(value).strip()
    if len(text) > TEXT_FIELDS[field]:
        raise ValidationFailed(field, f"{field} must be at most {TEXT_FIELDS[field]} characters")
    if "\x00" in text:
        raise ValidationFailed(field, f"{field} contains a NUL character")
    return text


def clean_email(value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise ValidationFailed("email", "email must be a string")
    text = value.strip()
    try:
        validate_email(text)
    except DjangoValidationError:
        raise ValidationFailed("email", f"{text!r} is not a valid email address") from None
    return text


def clean_avatar_url(value: Any) -> str:
    if value in (None, ""):
        return ""
    text = str(value).strip()
    try:
        URL_VALIDATOR(text)
    except DjangoValidationError:
        raise ValidationFailed("avatar_url", "The avatar URL must be an http or https URL") from None
    if len(text) > (FIELDS["avatar_url"].max_length or 0):
        raise ValidationFailed("avatar", "The avatar URL is longer than 2000 characters")
    return text


def clean_source(value: Any) -> str:
    text = str(value or ContactSource.API).strip().lower()
    if text not in ContactSource.values:
        raise ValidationFailed("source", f"Unknown source {value!r}; expected one of {', '.join(ContactSource.values)}")
    return text


_CLEANERS = {
    FieldKind.EMAIL: lambda name, value: clean_email(value),
    FieldKind.URL: lambda name, value: clean_avatar_url(value),
    FieldKind.SOURCE: lambda name, value: clean_source(value),
    FieldKind.BOOLEAN: lambda name, value: bool(value),
    FieldKind.OBJECT: lambda name, value: dict(value or {}),
}


def clean_field(name: str, value: Any) -> Any:
    """The stored value of one of the plain fields (text, email, URL, source, boolean, object): the one cleaning
    both `create_contact` and `update_contact` apply. Phones, references, custom fields and files need the
    organization and are the services' own."""
    field = FIELDS[name]
    if field.kind == FieldKind.TEXT:
        text = clean_text(name, value)
        return (text or None) if field.empty_is_null else text
    return _CLEANERS[field.kind](name, value)


PLAIN_KINDS = (FieldKind.TEXT, *_CLEANERS)
PLAIN_FIELDS = field_names(*PLAIN_KINDS)
