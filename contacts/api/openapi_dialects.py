"""The dialects' request and response bodies in the OpenAPI description, as docs/dialects/<vendor>.md shows
them; the views carry them with `@extend_schema` (`contacts/api/openapi.py` holds the schemes and hooks)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as s

_text = s.CharField


def _nullable_text(**kwargs: Any) -> s.CharField:
    return s.CharField(allow_null=True, **kwargs)


def _object(**kwargs: Any) -> s.DictField:
    return s.DictField(child=s.JSONField(), **kwargs)  # an object of any values


def _body(component: str, /, **fields: s.Field) -> s.Serializer:
    return inline_serializer(name=component, fields=fields)


def _errors(schema: s.Serializer, statuses: dict[int, str]) -> dict[int, OpenApiResponse]:
    return {status: OpenApiResponse(schema, description=description) for status, description in statuses.items()}


def _operation(operation_id: str, summary: str, responses: dict, request: Any = None, **kwargs: Any):
    return extend_schema(operation_id=operation_id, summary=summary, request=request, responses=responses, **kwargs)


MOBIVATE_RECORD = _body(
    "MobivateRecord",
    id=s.UUIDField(),
    alias=_nullable_text(),
    msisdn=_nullable_text(help_text="Digits, no `+`."),
    meta=_object(),
    created_on=_text(),
)
MOBIVATE_ERROR = _body(
    "MobivateError",
    success=s.BooleanField(default=False),
    error=_body("MobivateErrorDetail", name=_text(), statusCode=s.IntegerField(), message=_text()),
)
_MOBIVATE_ERRORS = {400: "Invalid, or unknown contact.", 401: "No valid key.", 403: "No scope.", 429: "Throttled."}
MOBIVATE_WRITE = _body("MobivateContactWrite", alias=_text(), msisdn=_text(), meta=_object(required=False))
MOBIVATE_UPDATE = _body(
    "MobivateContactUpdate", alias=_text(required=False), msisdn=_text(required=False), meta=_object(required=False)
)
MOBIVATE_ONE = _body("MobivateRecordResponse", success=s.BooleanField(default=True), record=MOBIVATE_RECORD)
MOBIVATE_LIST = _body(
    "MobivateRecordList",
    success=s.BooleanField(default=True),
    records=MOBIVATE_RECORD.__class__(many=True),
    offset=s.IntegerField(),
    limit=s.IntegerField(),
    total=s.IntegerField(),
)


def mobivate_create(operation_id: str):
    return _operation(
        operation_id,
        "Create a contact (200, as Mobivate answers)",
        {200: MOBIVATE_ONE, **_errors(MOBIVATE_ERROR, _MOBIVATE_ERRORS)},
        MOBIVATE_WRITE,
    )


mobivate_list = _operation(
    "mobivate_contacts_list",
    "List address book contacts",
    {200: MOBIVATE_LIST, **_errors(MOBIVATE_ERROR, _MOBIVATE_ERRORS)},
)
mobivate_update = _operation(
    "mobivate_contact_update",
    "Update a contact by its id (uuid)",
    {200: MOBIVATE_ONE, **_errors(MOBIVATE_ERROR, _MOBIVATE_ERRORS)},
    MOBIVATE_UPDATE,
)
mobivate_delete = _operation(
    "mobivate_contact_delete",
    "Delete a contact by its msisdn",
    {
        200: _body("MobivateDeleted", success=s.BooleanField(default=True)),
        **_errors(MOBIVATE_ERROR, {**_MOBIVATE_ERRORS, 404: "No contact with that msisdn."}),
    },
)

AWAL_CONTACT = _body(
    "AwalContact",
    id=s.IntegerField(),
    name=_nullable_text(),
    phone=_nullable_text(),
    email=_nullable_text(),
    contact_group_id=s.IntegerField(allow_null=True),
    is_favorite=s.BooleanField(),
    avatar=_nullable_text(),
    created_at=_text(),
)
AWAL_ERROR = _body(
    "AwalError", error=_text(), message=_text(), details=_object(), request_id=_text(help_text="`req_<hex>`")
)
AWAL_RATE_LIMITED = _body("AwalRateLimited", error=_text(default="Rate limit exceeded"), message=_text())
_AWAL_ERRORS = {401: "Bad signature.", 403: "No scope.", 404: "Unknown contact or sender.", 422: "Invalid."}


def _awal_form(component: str, *, partial: bool) -> s.Serializer:
    optional = "email branch_id contact_group_id description address full_name"
    return _body(
        component,
        **{name: _text(required=not partial) for name in ("name", "phone")},
        **{name: _text(required=False) for name in optional.split()},
        is_favorite=s.BooleanField(required=False),
        file=s.FileField(required=False),
        avatar=_text(required=False, help_text="An avatar URL."),
    )


def _awal_envelope(name: str, data: s.Field | None = None, **extra: s.Field) -> s.Serializer:
    fields = {"status": s.BooleanField(default=True), "message": _text()}
    if data is not None:
        fields["data"] = data
    return _body(name, **fields, **extra)


def _awal(operation_id: str, summary: str, status: int, body: s.Serializer, request: Any = None):
    responses = {status: body, **_errors(AWAL_ERROR, _AWAL_ERRORS), 429: OpenApiResponse(AWAL_RATE_LIMITED)}
    return _operation(operation_id, summary, responses, request)


AWAL_META = _body(
    "AwalPageMeta",
    current_page=s.IntegerField(),
    per_page=s.IntegerField(),
    total=s.IntegerField(),
    last_page=s.IntegerField(),
)
awal_list = _awal(
    "awal_contacts_list",
    "Search and page contacts",
    200,
    _awal_envelope("AwalContactList", AWAL_CONTACT.__class__(many=True), meta=AWAL_META),
)
AWAL_ONE = _awal_envelope("AwalContactResponse", AWAL_CONTACT)
awal_create = _awal(
    "awal_contact_create",
    "Create a contact",
    201,
    AWAL_ONE,
    {"multipart/form-data": _awal_form("AwalContactForm", partial=False)},
)
awal_retrieve = _awal("awal_contact_retrieve", "Read a contact", 200, AWAL_ONE)
awal_update = _awal(
    "awal_contact_update",
    "Update a contact (partial)",
    200,
    AWAL_ONE,
    {"multipart/form-data": _awal_form("AwalContactPatchForm", partial=True)},
)
awal_delete = _awal("awal_contact_delete", "Delete a contact", 200, _awal_envelope("AwalMessage"))

_CALLBELL_NULLABLE = "name phoneNumber avatarUrl blockedAt funnelId closedAt conversationHref assignedUser channel"
CALLBELL_CONTACT = _body(
    "CallbellContact",
    uuid=_text(),
    createdAt=_text(),
    source=_text(),
    href=_text(),
    tags=s.ListField(child=_text()),
    customFields=_object(),
    team=_body("CallbellTeam", uuid=_text(), name=_text(), default=s.BooleanField(), members=s.IntegerField()),
    **{name: _nullable_text() for name in f"{_CALLBELL_NULLABLE} botStatus note".split()},
)
CALLBELL_ERROR = _body(
    "CallbellError", error=_body("CallbellErrorDetail", code=_text(), message=_text(), details=_object())
)
_CALLBELL_ERRORS = {400: "Invalid.", 401: "No valid key.", 403: "No scope.", 404: "Not found.", 429: "Throttled."}
_CALLBELL_WRITE = {
    "tags": s.ListField(child=_text(), required=False),
    "custom_fields": _object(required=False),
    "assigned_user": _text(required=False),
    "team_uuid": _text(required=False),
    "bot_status": s.ChoiceField(choices=["bot_start", "bot_end"], required=False),
    "note": _text(required=False, max_length=1000),
}
CALLBELL_CREATE = _body(
    "CallbellContactCreate",
    identifier=_text(),
    source=_text(),
    name=_text(),
    channel_uuid=s.UUIDField(required=False),
    **_CALLBELL_WRITE,
)
CALLBELL_UPDATE = _body(
    "CallbellContactUpdate", name=_text(required=False), unassign_user=s.BooleanField(required=False), **_CALLBELL_WRITE
)
CALLBELL_WRAPPED = _body("CallbellContactWrapped", contact=CALLBELL_CONTACT.__class__(many=True))


def _callbell(operation_id: str, summary: str, body: s.Serializer, request: Any = None):
    return _operation(operation_id, summary, {200: body, **_errors(CALLBELL_ERROR, _CALLBELL_ERRORS)}, request)


callbell_list = _callbell(
    "callbell_contacts_list",
    "List contacts",
    _body("CallbellContactList", contacts=CALLBELL_CONTACT.__class__(many=True)),
)
callbell_create = _callbell("callbell_contact_create", "Create a contact", CALLBELL_WRAPPED, CALLBELL_CREATE)
callbell_retrieve = _callbell("callbell_contact_retrieve", "Read a contact", CALLBELL_WRAPPED)
callbell_update = _callbell("callbell_contact_update", "Update a contact", CALLBELL_WRAPPED, CALLBELL_UPDATE)
callbell_delete = _callbell(
    "callbell_contact_delete",
    "Delete a contact",
    _body("CallbellDestroyed", status=_text(default="contact was destroyed")),
)
callbell_by_phone = _callbell(
    "callbell_contact_by_phone", "Find a contact by phone number", _body("CallbellContactOne", contact=CALLBELL_CONTACT)
)

CONTACTSHIP_ITEM = _body(
    "ContactshipAdditionalData",
    type=s.ChoiceField(choices=["text", "number", "date", "boolean"]),
    field=_text(max_length=100),
    value=_nullable_text(),
)
CONTACTSHIP_CONTACT = _body(
    "ContactshipContact",
    id=s.UUIDField(),
    created_at=_text(),
    **{name: _nullable_text() for name in ["phone_number", "full_name", "country", "email", "description"]},
    additional_data=CONTACTSHIP_ITEM.__class__(many=True),
    organization_id=_text(),
)
CONTACTSHIP_ERROR = _body("ContactshipError", statusCode=s.IntegerField(), error=_text(), message=_text())
_CONTACTSHIP_ERRORS = {400: "Invalid.", 401: "No valid key.", 403: "No scope.", 404: "Not found.", 429: "Throttled."}


def _contactship_write(name: str, *, partial: bool) -> s.Serializer:
    required = {"required": False} if partial else {}
    return _body(
        name,
        phone_number=_text(**required),
        full_name=_text(**required),
        country=_nullable_text(required=False),
        email=_nullable_text(required=False),
        description=_nullable_text(required=False),
        additional_data=CONTACTSHIP_ITEM.__class__(many=True, required=False),
    )


def _contactship(operation_id: str, summary: str, status: int, body: Any, request: Any = None, **kwargs: Any):
    responses = {status: body, **_errors(CONTACTSHIP_ERROR, _CONTACTSHIP_ERRORS)}
    return _operation(operation_id, summary, responses, request, **kwargs)


contactship_list = _contactship(
    "contactship_contacts_list", "List contacts (a bare array)", 200, CONTACTSHIP_CONTACT.__class__(many=True)
)
contactship_create = _contactship(
    "contactship_contact_create",
    "Create a contact",
    201,
    CONTACTSHIP_CONTACT,
    _contactship_write("ContactshipContactCreate", partial=False),
)
contactship_retrieve = _contactship("contactship_contact_retrieve", "Read a contact", 200, CONTACTSHIP_CONTACT)
contactship_update = _contactship(
    "contactship_contact_update",
    "Update a contact",
    200,
    CONTACTSHIP_CONTACT,
    _contactship_write("ContactshipContactUpdate", partial=True),
)
contactship_delete = _contactship(
    "contactship_contact_delete", "Delete a contact", 204, OpenApiResponse(description="No body.")
)

SFMC_ERROR = _body("SfmcError", message=_text(), errorcode=s.IntegerField(), documentation=_text())
_SFMC_ERRORS = {
    400: "Malformed JSON, missing or invalid parameter (errorcode 10000-10004).",
    401: "Not Authorized: missing, unknown or expired token.",
    403: "The token lacks the scope (errorcode 20001/20002).",
    429: "Rate limited (errorcode 50100, with retryAfter).",
}
SFMC_OAUTH_ERROR = _body("SfmcOAuthError", error=_text(), error_description=_text(), error_uri=_text())
SFMC_TOKEN_REQUEST = _body(
    "SfmcTokenRequest",
    grant_type=s.ChoiceField(choices=["client_credentials"]),
    client_id=_text(required=False),
    client_secret=_text(required=False),
    scope=_text(required=False),
    account_id=_text(required=False),
)
SFMC_TOKEN = _body(
    "SfmcToken",
    access_token=_text(),
    token_type=_text(default="Bearer"),
    expires_in=s.IntegerField(),
    scope=_text(),
    rest_instance_url=_text(),
    soap_instance_url=_text(),
)


def _sfmc_result() -> dict[str, s.Field]:
    return dict(
        requestServiceMessageID=_text(),
        serviceMessageID=_text(),
        responseDateTime=_text(required=False),
        operationStatus=_text(),
        hasErrors=s.BooleanField(),
        resultMessages=s.ListField(child=_object()),
    )


def _sfmc_body(name: str, **fields: s.Field) -> s.Serializer:
    return inline_serializer(name=name, fields={**_sfmc_result(), **fields})


def _sfmc(operation_id: str, summary: str, body: Any, request: Any = None, errors: dict | None = None):
    responses = {200: body, **_errors(SFMC_ERROR, errors or _SFMC_ERRORS)}
    return _operation(operation_id, summary, responses, request)


sfmc_token = _operation(
    "sfmc_token",
    "Client-credentials token",
    {
        200: SFMC_TOKEN,
        **_errors(SFMC_OAUTH_ERROR, {400: "invalid_request or invalid_scope.", 401: "invalid_client.", 415: "Type."}),
        429: OpenApiResponse(SFMC_ERROR, description="Rate limited."),
    },
    {"application/json": SFMC_TOKEN_REQUEST, "application/x-www-form-urlencoded": SFMC_TOKEN_REQUEST},
)
SFMC_CONTACT_REQUEST = _body(
    "SfmcContactRequest", contactKey=_text(), attributeSets=s.ListField(child=_object(), required=False)
)
SFMC_CONTACT_RESULT = _sfmc_body(
    "SfmcContactResult", contactKey=_text(), contactID=s.IntegerField(), isNewContactKey=s.BooleanField()
)
sfmc_contact_create = _sfmc(
    "sfmc_contact_create", "Create (or update) a contact", SFMC_CONTACT_RESULT, SFMC_CONTACT_REQUEST
)
sfmc_contact_update = _sfmc(
    "sfmc_contact_update", "Update a contact (a FAIL body with 200)", SFMC_CONTACT_RESULT, SFMC_CONTACT_REQUEST
)
sfmc_contact_delete = _sfmc(
    "sfmc_contacts_delete",
    "Delete contacts by keys or ids",
    _sfmc_body("SfmcDeleteResult", operationID=s.IntegerField(), operationInitiated=s.BooleanField()),
    _body(
        "SfmcDeleteRequest",
        values=s.ListField(child=s.JSONField()),
        DeleteOperationType=_text(required=False),
    ),
)
sfmc_email_search = _sfmc(
    "sfmc_email_search",
    "Find contacts by email address",
    _sfmc_body("SfmcEmailSearchResult", channelAddressResponseEntities=s.ListField(child=_object())),
    _body(
        "SfmcEmailSearchRequest",
        channelAddressList=s.ListField(child=_text()),
        maximumCount=s.IntegerField(required=False),
    ),
)
sfmc_attribute_sets = _sfmc(
    "sfmc_attribute_set_definitions",
    "Attribute set definitions",
    _body(
        "SfmcAttributeSetDefinitions",
        page=s.IntegerField(),
        pageSize=s.IntegerField(),
        count=s.IntegerField(),
        items=s.ListField(child=_object()),
    ),
)
