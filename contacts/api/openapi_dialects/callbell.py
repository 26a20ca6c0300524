"""Callbell's contact operations, as docs/dialects/callbell.md states them."""

from __future__ import annotations

from contacts.api.openapi_dialects._schema import (
    BOOLEAN,
    DESCRIPTIONS,
    NULL,
    NULLABLE_STRING,
    STRING,
    Schema,
    array,
    component,
    constrained,
    json_body,
    nullable,
    obj,
    operation,
    path,
    query,
    responses,
)

# Each status and its `code` (400 has two: a bad parameter, or a body that is not JSON).
ERROR_CODES = {
    400: ["validation_error", "invalid_json"],
    401: ["unauthorized"],
    403: ["forbidden"],
    404: ["not_found"],
    405: ["method_not_allowed"],
    406: ["not_acceptable"],
    409: ["conflict"],
    413: ["payload_too_large"],
    415: ["unsupported_media_type"],
    422: ["unknown_reference"],
    429: ["rate_limited"],
    500: ["internal_error"],
    503: ["service_unavailable"],
}
ERROR = component(
    "CallbellError",
    obj(
        {
            "error": obj(
                {
                    "code": {"type": "string", "enum": [code for codes in ERROR_CODES.values() for code in codes]},
                    "message": STRING,
                    "details": {
                        "type": "object",
                        "additionalProperties": STRING,
                        "description": "Each parameter at fault (as the client named it) → its message; `{}` "
                        "when no single parameter is.",
                    },
                }
            )
        }
    ),
)


def error(status: int) -> Schema:
    return constrained(ERROR, error={"properties": {"code": {"enum": ERROR_CODES[status]}}})


SOURCES = ["whatsapp", "sms", "email", "facebook", "instagram", "telegram", "line", "push", "api", "import", "manual"]
_UUID_HEX = {"type": "string", "pattern": "^[0-9a-f]{32}$", "description": "32 lowercase hex digits, no dashes."}
_ANY_UUID = {"type": "string", "pattern": "^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$"}
_TIMESTAMP = {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"}
_BOT_STATUS = {"enum": ["bot_start", "bot_end"]}
_ALWAYS_NULL = {**NULL, "description": "Always `null`: no blocking, funnels, conversations or channels here."}

TEAM = component(
    "CallbellTeam",
    {
        **obj({"uuid": _UUID_HEX, "name": STRING, "createdAt": _TIMESTAMP}, closed=True),
        "description": "Callbell's team object without `default` and `members`, which this project does not keep.",
    },
)
CONTACT = component(
    "CallbellContact",
    obj(
        {
            "uuid": _UUID_HEX,
            "name": NULLABLE_STRING,
            "phoneNumber": {"type": ["string", "null"], "pattern": "^[0-9]+$", "description": "E.164 without `+`."},
            "avatarUrl": {"type": ["string", "null"], "format": "uri"},
            "blockedAt": _ALWAYS_NULL,
            "createdAt": _TIMESTAMP,
            "source": {"type": "string", "enum": SOURCES},
            "funnelId": _ALWAYS_NULL,
            "closedAt": _ALWAYS_NULL,
            "href": {"type": "string", "format": "uri", "description": "The contact's page in the admin."},
            "conversationHref": _ALWAYS_NULL,
            "tags": array(STRING),
            "assignedUser": {"type": ["string", "null"], "format": "email"},
            "customFields": {
                "type": "object",
                "description": "Name → value: every type as a string, checkbox (multichoice) a list of strings.",
                "additionalProperties": {"oneOf": [STRING, array(STRING)]},
            },
            "team": nullable(TEAM),
            "channel": _ALWAYS_NULL,
            "botStatus": {"oneOf": [{"type": "string", **_BOT_STATUS}, NULL]},
            "note": {"type": ["string", "null"], "maxLength": 1000},
        },
        closed=True,
    ),
)
_WRITE: dict[str, Schema] = {
    "tags": {
        "oneOf": [array(STRING), STRING],
        "description": "Tag names (matched ignoring case; each must exist), or one comma-separated string.",
    },
    "custom_fields": {
        "type": "object",
        "description": "Custom field name → value, validated by the field's type.",
        "additionalProperties": {"type": ["string", "number", "boolean", "array", "null"]},
    },
    "assigned_user": {**NULLABLE_STRING, "description": "The email of a member of the organization."},
    "team_uuid": {**NULLABLE_STRING, "description": 'A team\'s uuid, with or without dashes; `null` or `""` none.'},
    "bot_status": {"type": "string", **_BOT_STATUS},
    "note": {"type": ["string", "null"], "maxLength": 1000},
}
CREATE = component(
    "CallbellContactCreate",
    obj(
        {
            "identifier": {**STRING, "description": "The contact's phone number, whatever the source."},
            "source": {**STRING, "enum": SOURCES, "description": "Any letter case."},
            "name": STRING,
            **_WRITE,
            "channel_uuid": {
                "type": ["string", "null"],
                "format": "uuid",
                "description": "Checked to be a UUID, not stored.",
            },
        },
        required=["identifier", "source", "name"],
        closed=True,
    ),
)
UPDATE = component(
    "CallbellContactUpdate",
    obj(
        {"name": STRING, **_WRITE, "unassign_user": BOOLEAN},
        required=[],
        closed=True,
    ),
)
WRAPPED = component("CallbellContactWrapped", obj({"contact": array(CONTACT, minItems=1, maxItems=1)}, closed=True))
LIST = component("CallbellContactList", obj({"contacts": array(CONTACT, maxItems=25)}, closed=True))
ONE = component("CallbellContactOne", obj({"contact": CONTACT}, closed=True))
DESTROYED = component("CallbellDestroyed", obj({"status": {"const": "contact was destroyed"}}, closed=True))

_COMMON = {
    401: "No bearer key, or a wrong, expired or revoked one (with `WWW-Authenticate`).",
    403: "The key lacks the endpoint's permission.",
    406: "An `Accept` header that excludes JSON.",
    429: "Over the rate limit, with `Retry-After`.",
    500: "An unexpected failure.",
    503: "The database or cache is unreachable; nothing was written (`Retry-After`).",
}
_BODY = {
    400: "A missing, invalid or unknown parameter, or a body that is not a JSON object (`validation_error`); "
    "malformed JSON (`invalid_json`).",
    413: "The body is over `DATA_UPLOAD_MAX_MEMORY_SIZE`.",
    415: "The body is not `application/json`.",
    422: "A tag, custom field, user or team the organization does not have.",
}
_NOT_FOUND = {404: "No such contact in the organization."}
_CONTACT_UUID = path("contact_uuid", _ANY_UUID, "The contact's uuid, with or without dashes.")

list_contacts = operation(
    "callbell_contacts_list",
    "List contacts (25 a page, newest first)",
    responses(error, {400: "A bad `page` or filter.", **_COMMON}, _200=(LIST, "One page; past the end, `[]`.")),
    parameters=[
        query("page", {"type": "integer", "minimum": 1, "maximum": 999_999_999, "default": 1}),
        query("source", {"type": "string", "enum": SOURCES}, "Contacts of that source (any letter case)."),
        query(
            "tags",
            array(STRING, maxItems=50),
            "Comma-separated tag names (any letter case); a contact must have every one.",
            style="form",
            explode=False,
        ),
        query("team_uuid", _ANY_UUID, "The contacts of that team."),
    ],
)
create = operation(
    "callbell_contact_create",
    "Create a contact",
    responses(
        error,
        {**_BODY, 409: "The identifier is already a contact of the organization.", **_COMMON},
        _200=(WRAPPED, "The created contact, in an array of one."),
    ),
    request=json_body(CREATE),
)
retrieve = operation(
    "callbell_contact_retrieve",
    "Read a contact",
    responses(error, {**_NOT_FOUND, **_COMMON}, _200=(WRAPPED, "The contact, in an array of one.")),
    parameters=[_CONTACT_UUID],
)
update = operation(
    "callbell_contact_update",
    "Update a contact (only the parameters given change)",
    responses(error, {**_BODY, **_NOT_FOUND, **_COMMON}, _200=(WRAPPED, "The contact, in an array of one.")),
    request=json_body(UPDATE),
    body_required=False,
    parameters=[_CONTACT_UUID],
)
delete = operation(
    "callbell_contact_delete",
    "Delete a contact",
    responses(error, {**_NOT_FOUND, **_COMMON}, _200=(DESTROYED, "Deleted.")),
    parameters=[_CONTACT_UUID],
)
by_phone = operation(
    "callbell_contact_by_phone",
    "Find a contact by phone number",
    responses(
        error,
        {400: "Not a phone number, or a `channel_uuid` that is not a UUID.", **_NOT_FOUND, **_COMMON},
        _200=(ONE, "The contact itself, not in an array."),
    ),
    parameters=[
        path("number", STRING, "Read like `identifier`: with or without `+`, spaces, a `00` prefix."),
        query("channel_uuid", {"type": "string", "format": "uuid"}, "Checked to be a UUID, otherwise ignored."),
    ],
)

DESCRIPTIONS.update(
    {
        "callbell_contacts_list": "Permission `contacts:read`. 25 a page, newest first; filters combine. No totals, "
        "as Callbell documents it.",
        "callbell_contact_create": "Permission `contacts:create`. Tags, custom fields, user and team must already "
        "exist (422). A parameter Callbell does not document is a 400.",
        "callbell_contact_retrieve": "Permission `contacts:read`. The contact in an array of one, as Callbell answers.",
        "callbell_contact_update": "Permission `contacts:update`. `tags` replaces, `custom_fields` merges; "
        "`identifier`, `source` and `channel_uuid` cannot be changed (400). A rejected PATCH changes nothing.",
        "callbell_contact_delete": "Permission `contacts:delete`.",
        "callbell_contact_by_phone": "Permission `contacts:read`. The contact itself, not in an array, as Callbell "
        "answers.",
    }
)
