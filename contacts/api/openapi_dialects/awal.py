"""Awal's contact operations, as docs/dialects/awal.md states them: signed requests, form bodies, enveloped
answers."""

from __future__ import annotations

from contacts.api.openapi_dialects._schema import (
    BOOLEAN,
    DESCRIPTIONS,
    INTEGER,
    NULLABLE_STRING,
    STRING,
    Schema,
    array,
    component,
    constrained,
    header,
    obj,
    operation,
    path,
    query,
    responses,
)

# Each status and its `error` code (docs: "Errors"); 429 has a body of its own.
ERROR_CODES = {
    400: ["missing_headers", "invalid_phone_number", "malformed_request"],
    401: ["authentication_failed"],
    403: ["permission_denied"],
    404: ["resource_not_found"],
    405: ["method_not_allowed"],
    406: ["not_acceptable"],
    409: ["resource_conflict"],
    413: ["payload_too_large"],
    415: ["unsupported_media_type"],
    422: ["validation_failed"],
    500: ["internal_error"],
    503: ["service_unavailable"],
}
ERROR = component(
    "AwalError",
    obj(
        {
            "error": {"type": "string", "enum": [code for codes in ERROR_CODES.values() for code in codes]},
            "message": STRING,
            "details": {
                "type": "object",
                "additionalProperties": STRING,
                "description": "One message per field or header at fault; `{}` when none is.",
            },
            "request_id": {
                "type": "string",
                "pattern": "^req_[0-9a-f]{32}$",
                "description": "Also sent as the `X-Request-ID` header.",
            },
        }
    ),
)
RATE_LIMITED = component(
    "AwalRateLimited",
    obj(
        {
            "error": {"const": "Rate limit exceeded"},
            "message": {"type": "string", "pattern": "^Too many requests\\. Retry in [0-9]+ seconds?\\.$"},
        }
    ),
)


def error(status: int) -> Schema:
    if status == 429:
        return RATE_LIMITED
    return constrained(ERROR, error={"enum": ERROR_CODES[status]})


CONTACT = component(
    "AwalContact",
    obj(
        {
            "id": INTEGER,
            "name": NULLABLE_STRING,
            "phone": {"type": ["string", "null"], "pattern": "^[0-9]+$", "description": "E.164 digits, no `+`."},
            "email": NULLABLE_STRING,
            "contact_group_id": {"type": ["integer", "null"]},
            "is_favorite": BOOLEAN,
            "avatar": {"type": ["string", "null"], "format": "uri"},
            "created_at": {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"},
        },
        closed=True,
    ),
)
META = component(
    "AwalPageMeta",
    obj(
        {
            "current_page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
            "last_page": {"type": "integer", "minimum": 1},
        }
    ),
)


def _envelope(name: str, message: str, data: Schema | None = None, **extra: Schema) -> Schema:
    properties = {"status": {"const": True}, "message": {"const": message}}
    if data is not None:
        properties["data"] = data
    return component(name, obj({**properties, **extra}, closed=True))


_ID_FIELD: Schema = {
    "type": "string",
    "pattern": "^[0-9]*$",
    "description": "An id of the organization's; empty clears.",
}


def _form(name: str, *, partial: bool) -> Schema:
    fields = {
        "name": {"type": "string", "minLength": 1},
        "phone": {
            "type": "string",
            "pattern": "^[1-9][0-9]{6,14}$",
            "description": "International digits starting with the country code, no `+`.",
        },
        "email": {"type": "string", "format": "email"},
        "branch_id": _ID_FIELD,
        "contact_group_id": _ID_FIELD,
        "description": STRING,
        "address": STRING,
        "full_name": STRING,
        "is_favorite": {
            "type": "string",
            "pattern": "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|1|0)$",
            "description": "`true`, `false`, `1` or `0`, any letter case.",
        },
        "file": {
            "type": "string",
            "format": "binary",
            "description": "A JPG or PNG avatar, at most 5 MB and 25 megapixels.",
        },
        "avatar": {"type": "string", "description": "An `http` or `https` avatar URL, never fetched; empty clears."},
    }
    return component(name, obj(fields, required=[] if partial else ["name", "phone"]))


def _form_bodies(schema: Schema) -> dict[str, Schema]:
    return {"multipart/form-data": schema, "application/x-www-form-urlencoded": schema}


_HEADERS = [
    header("X-Timestamp", "Unix time in whole seconds, within 300 seconds of the server clock."),
    header("X-Domain", "The organization's slug."),
    header("X-Client-ID", "The HMAC client's id."),
]
_SENDER = query("phone_number_id", STRING, "One of the organization's sender numbers (404 otherwise).")
_CONTACT_ID = path("contact_id", INTEGER, "The contact's integer id.")
_COMMON = {
    400: "A signing header is missing or empty (`missing_headers`, `details` names each).",
    401: "Bad or stale timestamp, bad signature, unknown client, wrong `X-Domain`, replayed signature.",
    403: "The client lacks the endpoint's permission.",
    406: "An `Accept` header that excludes JSON.",
    429: "Over the client's read or write budget, with `Retry-After`.",
    500: "An unexpected failure.",
    503: "The database or cache is unreachable; nothing was written (`Retry-After`).",
}
_FORM = {
    400: "A missing signing header (`missing_headers`), `phone` not in Awal's format (`invalid_phone_number`), or "
    "an unparsable form (`malformed_request`).",
    409: "The phone belongs to another contact of the organization.",
    413: "A file over 5 MB, or a body over 6 MB.",
    415: "A body that is not `multipart/form-data` or `application/x-www-form-urlencoded`.",
    422: "Any other invalid field; `details` has one message per field.",
}


def _awal(operation_id: str, summary: str, statuses: dict[int, str], success: dict, **kwargs) -> object:
    parameters = [*kwargs.pop("parameters", []), *_HEADERS]
    return operation(
        operation_id, summary, responses(error, {**_COMMON, **statuses}, **success), parameters=parameters, **kwargs
    )


list_contacts = _awal(
    "awal_contacts_list",
    "Search and page contacts (newest first)",
    {404: "Unknown `phone_number_id`.", 422: "A bad `page` or `per_page`."},
    {"_200": (_envelope("AwalContactList", "Contacts retrieved successfully", array(CONTACT), meta=META), "A page.")},
    parameters=[
        _SENDER,
        query("search", STRING, "Name, full name or email (substring, any case); with digits, the phone too."),
        query("page", {"type": "integer", "minimum": 1, "default": 1}),
        query("per_page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 15}),
    ],
)
_CONTACT_ENVELOPES = {
    message: _envelope(f"AwalContact{verb}", f"Contact {message} successfully", CONTACT)
    for verb, message in [("Created", "created"), ("Retrieved", "retrieved"), ("Updated", "updated")]
}
create = _awal(
    "awal_contact_create",
    "Create a contact",
    {**_FORM, 404: "Unknown `phone_number_id`."},
    {"_201": (_CONTACT_ENVELOPES["created"], "The created contact.")},
    request=_form_bodies(_form("AwalContactForm", partial=False)),
    parameters=[query("phone_number_id", STRING, "One of the organization's sender numbers.", required=True)],
)
_UNKNOWN = {404: "Unknown contact id (or another organization's), or unknown `phone_number_id`."}
retrieve = _awal(
    "awal_contact_retrieve",
    "Read a contact",
    _UNKNOWN,
    {"_200": (_CONTACT_ENVELOPES["retrieved"], "The contact.")},
    parameters=[_CONTACT_ID, _SENDER],
)
update = _awal(
    "awal_contact_update",
    "Update a contact (only the fields sent)",
    {**_FORM, **_UNKNOWN},
    {"_200": (_CONTACT_ENVELOPES["updated"], "The updated contact.")},
    request=_form_bodies(_form("AwalContactPatchForm", partial=True)),
    body_required=False,
    parameters=[_CONTACT_ID, _SENDER],
)
delete = _awal(
    "awal_contact_delete",
    "Delete a contact",
    _UNKNOWN,
    {"_200": (_envelope("AwalContactDeleted", "Contact deleted successfully"), "Deleted.")},
    parameters=[_CONTACT_ID, _SENDER],
)

DESCRIPTIONS.update(
    {
        "awal_contacts_list": "Permission `contacts:read`, read budget. Newest first; `phone_number_id` is checked, "
        "not a filter.",
        "awal_contact_create": "Permission `contacts:create`, write budget. Answers 201. Validation errors are 422, "
        "except the phone format (400 `invalid_phone_number`).",
        "awal_contact_retrieve": "Permission `contacts:read`, read budget.",
        "awal_contact_update": "Permission `contacts:update`, write budget. Only the fields sent change; "
        "`contact_group_id` replaces the contact's groups with that one.",
        "awal_contact_delete": "Permission `contacts:delete`, write budget.",
    }
)
