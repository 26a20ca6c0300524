"""Mapping the file's columns to fields: header synonyms and custom field keys, then the user's overrides."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from contacts.errors import UnknownReference, ValidationFailed
from contacts.models import CustomField, Organization
from contacts.services.imports.options import CUSTOM_FIELD_PREFIX, IGNORE, IMPORT_FIELDS

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
