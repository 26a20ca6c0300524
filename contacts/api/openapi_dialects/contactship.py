"""Contactship's contact operations, as docs/dialects/contactship.md states them."""

from __future__ import annotations

from http import HTTPStatus

from contacts.api.openapi_dialects._schema import (
    DESCRIPTIONS,
    NULLABLE_STRING,
    STRING,
    Schema,
    array,
    component,
    constrained,
    json_body,
    obj,
    operation,
    path,
    query,
    responses,
)

ERROR = component(
    "ContactshipError",
    obj(
        {
            "statusCode": {"type": "integer"},
            "error": {**STRING, "description": "The HTTP reason phrase of `statusCode`."},
            "message": {**STRING, "description": "Starts with the input at fault, when one is (`phone_number: …`)."},
        },
        closed=True,
    ),
)


def error(status: int) -> Schema:
    return constrained(ERROR, statusCode={"const": status}, error={"const": HTTPStatus(status).phrase})


TYPES = ["text", "date", "number", "location"]
ITEM = component(
    "ContactshipAdditionalData",
    obj({"type": {"type": "string", "enum": TYPES}, "field": STRING, "value": STRING}, closed=True),
)
ITEM_WRITE = component(
    "ContactshipAdditionalDataWrite",
    obj(
        {
            "type": {"type": "string", "enum": TYPES},
            "field": {"type": "string", "minLength": 1, "maxLength": 100},
            "value": {
                "type": ["string", "number"],
                "description": "`date`: `YYYY-MM-DD`; `number`: numeric (a JSON number too); `text`, `location`: "
                "up to 10,000 characters.",
            },
        },
        closed=True,
    ),
)
CONTACT = component(
    "ContactshipContact",
    obj(
        {
            "id": {"type": "string", "format": "uuid"},
            "created_at": {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"},
            "phone_number": {"type": ["string", "null"], "pattern": "^\\+[0-9]+$"},
            "full_name": NULLABLE_STRING,
            "country": NULLABLE_STRING,
            "email": NULLABLE_STRING,
            "description": NULLABLE_STRING,
            "additional_data": array(ITEM),
            "organization_id": {"type": "string", "pattern": "^org_[0-9a-f]{16}$"},
        },
        closed=True,
    ),
)


def _write(name: str, *, partial: bool) -> Schema:
    fields = {
        "phone_number": {
            "type": ["string", "number"],
            "description": "International with `+`; separators ignored, `00` means `+`.",
        },
        "full_name": {"type": "string", "minLength": 1},
        "country": {"type": ["string", "null"], "maxLength": 100},
        "email": {"type": ["string", "null"], "format": "email"} if not partial else NULLABLE_STRING,
        "description": NULLABLE_STRING,
        "additional_data": {
            "oneOf": [array(ITEM_WRITE, maxItems=100), {"type": "null"}],
            "description": "Each `field` at most once." + (" Replaces the whole array." if partial else ""),
        },
    }
    return component(name, obj(fields, required=[] if partial else ["phone_number", "full_name"], closed=True))


_COMMON = {
    401: "No `x-api-key`, or a wrong, revoked or expired one.",
    403: "The key lacks the endpoint's permission.",
    429: "Over the key's rate, with `Retry-After`.",
    500: "An unexpected failure.",
    503: "The database or cache is unreachable; nothing was written (`Retry-After`).",
}
_BODY = {
    400: "A missing or invalid field, bad `additional_data`, a type clash, an unknown field, malformed JSON.",
    409: "The phone number is another contact's in the organization.",
    413: "The body is over `DATA_UPLOAD_MAX_MEMORY_SIZE`.",
    415: "The body is not `application/json`.",
}
_NOT_FOUND = {404: "No such contact in the organization."}
_ID = path("identifier", {"type": "string", "format": "uuid"}, "The contact's `id` (any UUID spelling).")
_FILTER = {"type": "string", "maxLength": 255}

list_contacts = operation(
    "contactship_contacts_list",
    "List contacts (a bare array, newest first)",
    responses(error, {400: "A bad filter, `limit` or `offset`.", **_COMMON}, _200=(array(CONTACT), "One page.")),
    parameters=[
        query("full_name", _FILTER, "Partial, case-insensitive."),
        query("email", _FILTER, "Partial, case-insensitive."),
        query("phone_number", _FILTER, "Partial, against the E.164 number; separators ignored."),
        query("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}),
        query("offset", {"type": "integer", "minimum": 0, "maximum": 2_147_483_647, "default": 0}),
    ],
)
create = operation(
    "contactship_contact_create",
    "Create a contact",
    responses(error, {**_BODY, **_COMMON}, _201=(CONTACT, "The created contact.")),
    request=json_body(_write("ContactshipContactCreate", partial=False)),
)
retrieve = operation(
    "contactship_contact_retrieve",
    "Read a contact by id, phone number or email",
    responses(error, {400: "An unknown `identifierType`.", **_NOT_FOUND, **_COMMON}, _200=(CONTACT, "The contact.")),
    parameters=[
        path("identifier", STRING, "An id, a phone number or an email, as `identifierType` says."),
        query("identifierType", {"type": "string", "enum": ["id", "phone_number", "email"], "default": "id"}),
    ],
)
update = operation(
    "contactship_contact_update",
    "Update a contact (partial)",
    responses(error, {**_BODY, **_NOT_FOUND, **_COMMON}, _200=(CONTACT, "The updated contact.")),
    request=json_body(_write("ContactshipContactUpdate", partial=True)),
    body_required=False,
    parameters=[_ID],
)
delete = operation(
    "contactship_contact_delete",
    "Delete a contact",
    responses(error, {**_NOT_FOUND, **_COMMON}, _204=(None, "No body.")),
    parameters=[_ID],
)

DESCRIPTIONS.update(
    {
        "contactship_contacts_list": "Permission `contacts:read`. A bare array, newest first; filters match "
        "partially, ignoring case, and must all match.",
        "contactship_contact_create": "Permission `contacts:create`. Answers 201. A field the contract does not "
        "define is a 400; `additional_data` fields are defined for the organization on first use.",
        "contactship_contact_retrieve": "Permission `contacts:read`. An identifier that cannot match anything is a "
        "404, not a 400.",
        "contactship_contact_update": "Permission `contacts:update`. Only the fields given change; "
        "`additional_data`, when given, replaces the whole array. Only an `id` identifies the contact here.",
        "contactship_contact_delete": "Permission `contacts:delete`. Answers 204 with no body.",
    }
)
