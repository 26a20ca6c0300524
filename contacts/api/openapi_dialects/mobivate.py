"""Mobivate's address book operations, as docs/dialects/mobivate.md states them."""

from __future__ import annotations

from contacts.api.dialects.mobivate.errors import error_name
from contacts.api.openapi_dialects._schema import (
    DESCRIPTIONS,
    INTEGER,
    NULLABLE_STRING,
    STRING,
    Schema,
    component,
    constrained,
    json_body,
    obj,
    operation,
    path,
    query,
    responses,
)

# Each status has one error name (docs: "Errors"), the one the dialect's renderer gives it.
ERROR_NAMES = {status: error_name(status) for status in (400, 401, 403, 404, 405, 413, 415, 429, 500, 503)}
ERROR = component(
    "MobivateError",
    obj(
        {
            "success": {"const": False},
            "error": obj(
                {
                    "name": {"type": "string", "enum": list(ERROR_NAMES.values())},
                    "statusCode": INTEGER,
                    "message": STRING,
                }
            ),
        }
    ),
)


def error(status: int) -> Schema:
    return constrained(
        ERROR, error={"properties": {"name": {"const": ERROR_NAMES[status]}, "statusCode": {"const": status}}}
    )


RECORD = component(
    "MobivateRecord",
    obj(
        {
            "id": {"type": "string", "format": "uuid"},
            "alias": NULLABLE_STRING,
            "msisdn": {"type": ["string", "null"], "pattern": "^[0-9]+$", "description": "Digits, no `+`."},
            "meta": {
                "type": "object",
                "description": "The contact's custom fields. Values from this dialect are text; structured values "
                "set elsewhere (locations, multi-choice lists) keep their JSON shape.",
                "additionalProperties": {"type": ["string", "object", "array"]},
            },
            "created_on": {
                "type": "string",
                "format": "date-time",
                "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$",
                "description": "UTC with milliseconds and `Z`.",
            },
        }
    ),
)
_META_VALUE = {"type": ["string", "number", "boolean", "null"]}
_META: Schema = {
    "type": "object",
    "maxProperties": 100,
    "propertyNames": {"minLength": 1, "maxLength": 100},
    "additionalProperties": _META_VALUE,
    "description": "Scalar values, stored as text custom fields; `null` clears a key (update) or is left out.",
}
_ALIAS: Schema = {
    "type": ["string", "number"],
    "minLength": 1,
    "maxLength": 255,
    "description": "1 to 255 characters after trimming; a JSON number is taken as its text. Unique.",
}
_MSISDN: Schema = {
    "type": ["string", "integer"],
    "description": "International digits, with or without `+`, spaces, dashes or a leading `00`. Unique.",
}
WRITE = component(
    "MobivateContactWrite", obj({"alias": _ALIAS, "msisdn": _MSISDN, "meta": _META}, required=["alias", "msisdn"])
)
UPDATE = component(
    "MobivateContactUpdate",
    obj({"alias": _ALIAS, "msisdn": _MSISDN, "meta": {**_META, "type": ["object", "null"]}}, required=[]),
)
ONE = component("MobivateRecordResponse", obj({"success": {"const": True}, "record": RECORD}))
LIST = component(
    "MobivateRecordList",
    obj(
        {
            "success": {"const": True},
            "records": {"type": "array", "items": RECORD},
            "offset": INTEGER,
            "limit": INTEGER,
            "total": {**INTEGER, "description": "All the organization's contacts."},
        }
    ),
)
DELETED = component("MobivateDeleted", obj({"success": {"const": True}}))

_COMMON = {
    401: "No bearer key, or one that is unknown, revoked or expired (with `WWW-Authenticate`).",
    403: "The key lacks the endpoint's permission.",
    429: "Over the key's rate, with `Retry-After`.",
    500: "An unexpected failure.",
    503: "The database or cache is unreachable; nothing was written (`Retry-After`).",
}
_WRITES = {
    400: "Missing or invalid field, malformed JSON, body not an object, duplicate alias or msisdn.",
    413: "The body is over `DATA_UPLOAD_MAX_MEMORY_SIZE`.",
    415: "The body is not `application/json`.",
}


def create(operation_id: str):
    return operation(
        operation_id,
        "Create a contact (200, as Mobivate answers)",
        responses(error, {**_WRITES, **_COMMON}, _200=(ONE, "The created record.")),
        request=json_body(WRITE),
    )


list_contacts = operation(
    "mobivate_contacts_list",
    "List address book contacts",
    responses(error, {400: "A list parameter out of range.", **_COMMON}, _200=(LIST, "One page.")),
    parameters=[
        query("sortField", {"type": "string", "enum": ["created_on", "alias", "msisdn"], "default": "created_on"}),
        query("sortDir", {"type": "string", "enum": ["ASC", "DESC"], "default": "DESC"}, "Any letter case."),
        query("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000_000, "default": 0}),
        query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}),
    ],
)
update = operation(
    "mobivate_contact_update",
    "Update a contact by its id (uuid)",
    responses(
        error,
        {**_WRITES, 400: f"{_WRITES[400]} Also an unknown contact (`Contact not found`).", **_COMMON},
        _200=(ONE, "The updated record."),
    ),
    request=json_body(UPDATE),
    body_required=False,
    parameters=[path("reference", {"type": "string", "format": "uuid"}, "The record's `id`.")],
)
delete = operation(
    "mobivate_contact_delete",
    "Delete a contact by its msisdn",
    responses(error, {404: "No contact with that msisdn.", **_COMMON}, _200=(DELETED, "Deleted.")),
    parameters=[path("reference", STRING, "The msisdn, read as on create (`4479000000001`, `+44…`, `0044…`).")],
)

DESCRIPTIONS.update(
    {
        "mobivate_contacts_list": "Permission `read:Contacts`. Sorting is stable; contacts without an alias or phone "
        "sort last. An `offset` past the end gives an empty page with the real `total`.",
        "mobivate_addressbook_contact_create": "Permission `create:Contacts`. Answers 200, as Mobivate does. `alias` "
        "and `msisdn` are unique in the organization.",
        "mobivate_contact_create": "The path of the contract's curl example; the same endpoint as `POST "
        "/addressbook/contacts`. Permission `create:Contacts`.",
        "mobivate_contact_update": "Permission `update:Contacts`. Fields left out stay; `meta` is merged into the "
        "stored values, a `null` value clears that key.",
        "mobivate_contact_delete": "Permission `delete:Contacts`. The msisdn is read as on create.",
    }
)
