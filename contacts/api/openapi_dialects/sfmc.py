"""SFMC's token and contacts operations, as docs/dialects/sfmc.md states them."""

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
    json_body,
    obj,
    operation,
    query,
    responses,
)

# Each status and the errorcodes it carries (docs: "Errors of the REST endpoints").
ERROR_CODES = {
    400: [10000, 10002, 10003, 10004],
    401: [0],
    403: [20000, 20001, 20002],
    413: [10004],
    415: [10001],
    429: [50100],
    500: [50000],
    503: [50003],
}
ERROR = component(
    "SfmcError",
    obj(
        {
            "message": STRING,
            "errorcode": {"type": "integer", "enum": sorted({c for codes in ERROR_CODES.values() for c in codes})},
            "documentation": {"const": ""},
            "retryAfter": {"type": "integer", "description": "429 and 503 only: seconds, as `Retry-After`."},
        },
        required=["message", "errorcode", "documentation"],
        closed=True,
    ),
)


def error(status: int) -> Schema:
    narrowed = constrained(ERROR, errorcode={"enum": ERROR_CODES[status]})
    if status in (429, 503):
        narrowed["allOf"][1]["required"] = ["retryAfter"]
    return narrowed


OAUTH_ERRORS = {
    400: ["unsupported_grant_type", "invalid_request", "invalid_scope"],
    401: ["invalid_client"],
    415: ["invalid_request"],
    500: ["server_error"],
    503: ["temporarily_unavailable"],
}
OAUTH_ERROR = component(
    "SfmcOAuthError",
    obj(
        {
            "error": {"type": "string", "enum": sorted({c for codes in OAUTH_ERRORS.values() for c in codes})},
            "error_description": STRING,
            "error_uri": {"const": "https://developer.salesforce.com/docs"},
        },
        closed=True,
    ),
)


def _token_error(status: int) -> Schema:
    if status == 429:
        return error(429)
    return constrained(OAUTH_ERROR, error={"enum": OAUTH_ERRORS[status]})


_TOKEN_REQUEST = component(
    "SfmcTokenRequest",
    obj(
        {
            "grant_type": {"const": "client_credentials"},
            "client_id": {**STRING, "description": "Or HTTP Basic (`client_secret_basic`)."},
            "client_secret": {**STRING, "description": "Or HTTP Basic; never both."},
            "scope": {**STRING, "description": "Space-separated: SFMC's, canonical or Mobivate's scope names."},
            "account_id": {**STRING, "description": "Accepted and ignored."},
        },
        required=["grant_type"],
    ),
)
TOKEN = component(
    "SfmcToken",
    obj(
        {
            "access_token": {"type": "string", "minLength": 54, "maxLength": 54},
            "token_type": {"const": "Bearer"},
            "expires_in": {"const": 1080},
            "scope": STRING,
            "rest_instance_url": {"type": "string", "format": "uri"},
            "soap_instance_url": {"type": "string", "format": "uri"},
        },
        closed=True,
    ),
)
token = operation(
    "sfmc_token",
    "Client-credentials token",
    responses(
        _token_error,
        {
            400: "`unsupported_grant_type`, `invalid_request` or `invalid_scope`.",
            401: "`invalid_client` (by Basic, with `WWW-Authenticate`).",
            415: "A content type other than JSON or form-urlencoded.",
            429: "Over `THROTTLE_SFMC_TOKEN` per client IP, with `Retry-After`.",
            500: "An unexpected failure.",
            503: "The database or cache is unreachable (`Retry-After`).",
        },
        _200=(TOKEN, "A token; the response carries `Cache-Control: no-store`."),
    ),
    request={"application/json": _TOKEN_REQUEST, "application/x-www-form-urlencoded": _TOKEN_REQUEST},
)

_MESSAGE_ID = {"type": "string", "format": "uuid"}
_TIMESTAMP = {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"}
RESULT_MESSAGE = component(
    "SfmcResultMessage",
    obj(
        {
            "resultType": {"type": "string", "enum": ["Error", "Warning"]},
            "resultCode": {**STRING, "description": "`LocaleRequired`, `ContactNotFound`... (docs: the rules)."},
            "resultClass": {"const": "Contact"},
            "resultMessage": STRING,
        },
        closed=True,
    ),
)
_RESULT = {
    "requestServiceMessageID": _MESSAGE_ID,
    "hasErrors": BOOLEAN,
    "resultMessages": array(RESULT_MESSAGE),
    "serviceMessageID": _MESSAGE_ID,
}


def _contact_result(name: str, status: str) -> Schema:
    ok = status == "OK"
    return component(
        name,
        obj(
            {
                "operationStatus": {"const": status},
                "rowsAffetcted": {"const": 1 if ok else 0, "description": "Spelled as SFMC spells it."},
                "contactKey": NULLABLE_STRING,
                "contactId": INTEGER if ok else {"type": ["integer", "null"]},
                "contactTypeID": {"const": 0},
                "isNewContactKey": BOOLEAN,
                **_RESULT,
                "hasErrors": {"const": not ok},
            },
            closed=True,
        ),
    )


CONTACT_OK = _contact_result("SfmcContactResult", "OK")
CONTACT_FAIL = _contact_result("SfmcContactFailure", "FAIL")
_SCALAR = {"type": ["string", "number", "boolean", "null"]}
VALUES = array(obj({"name": STRING, "value": _SCALAR}, closed=True), minItems=1)
ATTRIBUTE_SET = component(
    "SfmcAttributeSet",
    {
        **obj(
            {
                "name": {
                    "type": "string",
                    "enum": [
                        "Email Addresses",
                        "Email Demographics",
                        "MobileConnect Demographics",
                        "MobilePush Demographics",
                        "GroupConnect LINE Addresses",
                        "GroupConnect LINE Subscriptions",
                        "GroupConnect LINE Demographics",
                    ],
                },
                "items": array(obj({"values": VALUES}, closed=True), minItems=1),
                "values": {**VALUES, "description": "A bare `values` is one item."},
            },
            required=["name"],
            closed=True,
        ),
        "oneOf": [{"required": ["items"]}, {"required": ["values"]}],
    },
)
CONTACT_REQUEST = component(
    "SfmcContactRequest",
    {
        **obj(
            {
                "contactKey": {"type": "string", "minLength": 1, "maxLength": 255},
                "contactID": {
                    "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9]+$"}],
                    "description": "The `contactId` this API returns.",
                },
                "attributeSets": array(ATTRIBUTE_SET, minItems=1),
            },
            required=["attributeSets"],
        ),
        # Either names the contact; neither is a FAIL `ContactKeyRequired`.
        "anyOf": [{"required": ["contactKey"]}, {"required": ["contactID"]}],
    },
)
_COMMON = {
    401: "`Not Authorized`: a missing, unknown or expired token (with `WWW-Authenticate`).",
    429: "Over the token's rate, with `retryAfter` and `Retry-After`.",
    500: "An unexpected failure; nothing is written.",
    503: "The database or cache is unreachable; nothing was written (`Retry-After`).",
}
_BODY = {
    400: "Malformed JSON or not an object (10000), a missing (10002) or invalid (10003) parameter, too many "
    "values (10004).",
    413: "The body is too large (10004).",
    415: "A content type other than `application/json` (10001).",
}
_WRITE = {403: "The token lacks `list_and_subscribers_write` (20002)."}
_READ = {403: "The token lacks `list_and_subscribers_read` (20001)."}
contact_create = operation(
    "sfmc_contact_create",
    "Create (or update) a contact",
    {
        **responses(error, {**_BODY, **_WRITE, **_COMMON}, _200=(CONTACT_OK, "Created, or updated by its key.")),
        **responses(
            lambda status: {"oneOf": [CONTACT_FAIL, error(400)]},
            {400: "A rule violation (the FAIL body, one `resultMessages` entry each) or a bad request."},
        ),
    },
    request=json_body(CONTACT_REQUEST),
)
contact_update = operation(
    "sfmc_contact_update",
    "Update a contact (a FAIL body with 200)",
    responses(
        error,
        {**_BODY, **_WRITE, **_COMMON},
        _200=({"oneOf": [CONTACT_OK, CONTACT_FAIL]}, "Updated, or the FAIL body of a rule violation."),
    ),
    request=json_body(CONTACT_REQUEST),
)
DELETE_REQUEST = component(
    "SfmcDeleteRequest",
    obj(
        {
            "values": array(
                {"oneOf": [STRING, INTEGER]},
                maxItems=100,
                description="Contact keys (`type=keys`) or ids, integers or digit strings (`type=ids`).",
            ),
            "DeleteOperationType": {"const": "ContactAndAttributes", "default": "ContactAndAttributes"},
        },
        required=["values"],
    ),
)
DELETED = component(
    "SfmcDeleteResult",
    obj(
        {
            "operationInitiated": {"const": True},
            "operationID": {"type": "integer", "minimum": 1},
            "responseDateTime": _TIMESTAMP,
            **_RESULT,
            "hasErrors": {"const": False},
        },
        closed=True,
    ),
)
contact_delete = operation(
    "sfmc_contacts_delete",
    "Delete contacts by keys or ids (unknown ones are warnings)",
    responses(error, {**_BODY, **_WRITE, **_COMMON}, _200=(DELETED, "Deleted at once.")),
    request=json_body(DELETE_REQUEST),
    parameters=[query("type", {"type": "string", "enum": ["keys", "ids"]}, "Any letter case.", required=True)],
)
SEARCH_REQUEST = component(
    "SfmcEmailSearchRequest",
    obj(
        {
            "channelAddressList": array(STRING, maxItems=100),
            "maximumCount": {"type": "integer", "minimum": 1, "maximum": 100, "default": 1},
        },
        required=["channelAddressList"],
    ),
)
SEARCH_RESULT = component(
    "SfmcEmailSearchResult",
    obj(
        {
            "channelAddressResponseEntities": array(
                obj(
                    {
                        "contactKeyDetails": array(obj({"contactKey": STRING, "createDate": _TIMESTAMP}, closed=True)),
                        "channelAddress": STRING,
                    },
                    closed=True,
                )
            ),
            "operationStatus": {"const": "OK"},
            "responseDateTime": _TIMESTAMP,
            **_RESULT,
            "hasErrors": {"const": False},
        },
        closed=True,
    ),
)
email_search = operation(
    "sfmc_email_search",
    "Find contacts by email address",
    responses(error, {**_BODY, **_READ, **_COMMON}, _200=(SEARCH_RESULT, "One entity per address, in order.")),
    request=json_body(SEARCH_REQUEST),
)
_NAME = obj({"value": STRING}, closed=True)
ATTRIBUTE_SET_DEFINITION = component(
    "SfmcAttributeSetDefinition",
    obj(
        {
            "id": {"type": "string", "format": "uuid"},
            "key": STRING,
            "name": _NAME,
            "fullyQualifiedName": STRING,
            "isReadOnly": {"const": False},
            "attributes": array(
                obj(
                    {
                        "id": {"type": "string", "format": "uuid"},
                        "key": STRING,
                        "name": _NAME,
                        "dataType": {
                            "type": "string",
                            "enum": ["EmailAddress", "Boolean", "Text", "Phone", "Locale", "Number"],
                        },
                        "isNullable": BOOLEAN,
                        "displayOrder": INTEGER,
                        "fullyQualifiedName": STRING,
                        "parentId": {"type": "string", "format": "uuid"},
                    },
                    closed=True,
                )
            ),
        },
        closed=True,
    ),
)
DEFINITIONS = component(
    "SfmcAttributeSetDefinitions",
    obj(
        {
            "page": {"type": "integer", "minimum": 1},
            "pageSize": {"type": "integer", "minimum": 1, "maximum": 100},
            "count": INTEGER,
            "items": array(ATTRIBUTE_SET_DEFINITION),
        },
        closed=True,
    ),
)
_PAGE = {"type": "integer", "minimum": 1, "default": 1}
_PAGE_SIZE = {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}
attribute_sets = operation(
    "sfmc_attribute_set_definitions",
    "Attribute set definitions",
    responses(
        error,
        {400: "A bad page or page size, or one given twice with different values (10003).", **_READ, **_COMMON},
        _200=(DEFINITIONS, "One page of the seven sets."),
    ),
    parameters=[
        query("$page", _PAGE, "1-based; also `page`, any letter case."),
        query("$pageSize", _PAGE_SIZE, "Also `pageSize`, any letter case."),
    ],
)

DESCRIPTIONS.update(
    {
        "sfmc_token": "JSON or form-urlencoded; the client authenticates in the body or with HTTP Basic. Tokens live "
        "20 minutes; `expires_in` says 1080.",
        "sfmc_contact_create": "Scope `list_and_subscribers_write`. Creates the contact, or updates the one with "
        "that `contactKey`. A rule violation is the FAIL body with 400.",
        "sfmc_contact_update": "Scope `list_and_subscribers_write`. Only updates; a rule violation "
        "(`ContactNotFound` included) is the FAIL body with 200, as SFMC's updateContacts answers.",
        "sfmc_contacts_delete": "Scope `list_and_subscribers_write`. Deletion is immediate; keys or ids that name no "
        "contact are `Warning` result messages, not failures.",
        "sfmc_email_search": "Scope `list_and_subscribers_read`. Matching ignores case; one entity per requested "
        "address, in request order.",
        "sfmc_attribute_set_definitions": "Scope `list_and_subscribers_read`. The seven attribute sets this dialect "
        "understands; parameter names match in any case.",
    }
)
