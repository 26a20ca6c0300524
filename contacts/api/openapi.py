"""The OpenAPI description of every surface (drf-spectacular, `/api/schema/`).

- One security scheme per way a client proves who it is: the API key as a Bearer token (the native API, Mobivate,
  Callbell), the API key in `x-api-key` (Contactship), Awal's HMAC signature, and SFMC's OAuth2 client credentials.
  A Bearer requirement names the scope the operation needs.
- `preprocess`: one path per route, without the optional trailing slash the routes accept.
- `postprocess`: each dialect's operations under the dialect's own tag, the native API's under its resource's.
- The native API's bodies (`ContactSchema`, `ProblemSchema`, the vocabulary entries) describe what
  `contacts/api/native/serializers.py` renders; `VocabularySchema` documents each vocabulary the one pair of views
  serves.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.html import escape
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularRedocView
from rest_framework import serializers
from rest_framework.request import Request

from contacts.api import openapi_dialects, registry
from contacts.models import ContactSource, CustomFieldType

PROBLEM = "application/problem+json"
NATIVE_PREFIX = "/api/v1/"

# --- security schemes ---------------------------------------------------------------------------------------------


SFMC_SCOPES = {"list_and_subscribers_read": "Read contacts.", "list_and_subscribers_write": "Write contacts."}


def _scopes(auto_schema: AutoSchema) -> list[str]:
    scope = getattr(auto_schema.view, "required_scopes", {}).get(auto_schema.method.upper())
    return [str(scope)] if scope else []


class BearerApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "contacts.api.auth.BearerApiKeyAuthentication"
    name = "bearerApiKey"

    def get_security_requirement(self, auto_schema: AutoSchema) -> dict[str, list[str]]:
        return {self.name: _scopes(auto_schema)}

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (`manage.py create_api_key`) as `Authorization: Bearer <key>`. Each "
            "operation names the scope the key must carry.",
        }


class HeaderApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "contacts.api.auth.HeaderApiKeyAuthentication"
    name = "apiKeyHeader"

    def get_security_requirement(self, auto_schema: AutoSchema) -> dict[str, list[str]]:
        return {self.name: _scopes(auto_schema)}  # OpenAPI 3.1: the roles (scopes) the key must carry

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {"type": "apiKey", "in": "header", "name": "x-api-key", "description": "An API key (Contactship)."}


class AwalSignatureScheme(OpenApiAuthenticationExtension):
    target_class = "contacts.api.dialects.awal.auth.AwalSignatureAuthentication"
    name = "awalSignature"

    def get_security_requirement(self, auto_schema: AutoSchema) -> dict[str, list[str]]:
        return {self.name: _scopes(auto_schema)}

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Awal-Signature-256",
            "description": "`sha256=<hex>`: the HMAC-SHA256, keyed by the client's shared secret "
            "(`manage.py create_hmac_client`), of METHOD + PATH + QUERY_STRING (with its `?`) + X-Timestamp + "
            "BODY, with no separators. Sent with `X-Timestamp` (Unix seconds, within 300 s of the server clock), "
            "`X-Domain` (the organization's slug) and `X-Client-ID`. A signature on a write is accepted once.",
        }


class SfmcAccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "contacts.api.auth.AccessTokenAuthentication"
    name = "sfmcOAuth2"

    def get_security_requirement(self, auto_schema: AutoSchema) -> dict[str, list[str]]:
        scopes = _scopes(auto_schema)  # SFMC's two names (docs/dialects/sfmc.md, "Scopes")
        return {self.name: [f"list_and_subscribers_{'read' if scopes == ['contacts:read'] else 'write'}"]}

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "oauth2",
            "description": "OAuth2 client credentials (`manage.py create_oauth_client`): POST the client id and "
            "secret to `/sfmc/v2/token`, then send `Authorization: Bearer <access_token>`.",
            "flows": {"clientCredentials": {"tokenUrl": "/sfmc/v2/token", "scopes": SFMC_SCOPES}},
        }


class GroupReferenceScheme(OpenApiSerializerFieldExtension):
    target_class = "contacts.api.native.fields.GroupReferenceField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        return {"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "A group's id or name."}


# --- hooks --------------------------------------------------------------------------------------------------------


def preprocess(endpoints: list[tuple], **kwargs: Any) -> list[tuple]:
    """One path per route: the optional trailing slash (`/?$`) dropped, and a route spelled twice (with and
    without its slash) listed once."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for path, path_regex, method, callback in endpoints:
        if path.endswith("/") and (path_regex.endswith("/?$") or path_regex.endswith("/?\\Z")):
            path = path.rstrip("/")
        key = (path.rstrip("/"), method)
        if key in seen:
            continue
        seen.add(key)
        kept.append((path, path_regex, method, callback))
    return kept


NATIVE_TAGS = {
    "contacts": ("Contacts", "The organization's contacts: list with filters and keyset pages, lookup, writes."),
    "tags": ("Tags", "Tag names contacts carry."),
    "groups": ("Groups", "Contact groups."),
    "custom-fields": ("Custom fields", "Custom-field definitions: key, type, choices."),
    "branches": ("Branches", "Branches contacts belong to."),
    "teams": ("Teams", "Teams, known by uuid."),
    "sender-numbers": ("Sender numbers", "The organization's sender numbers."),
}


def _tag_of(path: str, dialects: list) -> str | None:
    if path.startswith(NATIVE_PREFIX):
        resource = path[len(NATIVE_PREFIX) :].split("/")[0]
        return NATIVE_TAGS[resource][0] if resource in NATIVE_TAGS else None
    for dialect in dialects:
        if path.startswith(dialect.mount):
            return dialect.title
    return None


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Tags: the native API's by resource, each dialect's its own (with a link to its vendor's documentation);
    the dialects' components (`contacts.api.openapi_dialects`)."""
    dialects = registry.dialects()
    for path, operations in result.get("paths", {}).items():
        tag = _tag_of(path, dialects)
        for operation in operations.values():
            if isinstance(operation, dict) and tag:
                operation["tags"] = [tag]
    openapi_dialects.finish(result)
    tags = [{"name": name, "description": f"Native API: {text}"} for name, text in NATIVE_TAGS.values()]
    tags += [
        {
            "name": d.title,
            "description": f"The {d.title} dialect, mounted at `{d.mount}`.",
            **({"externalDocs": {"url": d.vendor_docs}} if getattr(d, "vendor_docs", None) else {}),
        }
        for d in dialects
    ]
    result["tags"] = tags
    return result


# --- native bodies ------------------------------------------------------------------------------------------------


class ProblemErrorSchema(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The input at fault, in the API's own names.")
    code = serializers.CharField()
    message = serializers.CharField()


class ProblemSchema(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField(help_text="`urn:crm:problem:<kind>`")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = ProblemErrorSchema(many=True)

    class Meta:
        ref_name = "Problem"


class BranchRefSchema(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TeamRefSchema(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


def _text() -> serializers.CharField:  # a text the contact may not have: null
    return serializers.CharField(allow_null=True)


class ContactSchema(serializers.Serializer):
    id = serializers.UUIDField()
    name = _text()
    full_name = _text()
    phone = serializers.CharField(allow_null=True, help_text="E.164")
    phone_valid = serializers.BooleanField()
    email = _text()
    alias = _text()
    contact_key = _text()
    country = _text()
    description = _text()
    address = _text()
    note = _text()
    is_favorite = serializers.BooleanField()
    source = serializers.ChoiceField(choices=ContactSource.values)
    avatar_url = _text()
    branch = BranchRefSchema(allow_null=True)
    team = TeamRefSchema(allow_null=True)
    assigned_user = serializers.EmailField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    groups = BranchRefSchema(many=True)
    custom_fields = serializers.DictField(child=serializers.JSONField())
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Contact"


def _page(name: str, item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    meta = type("Meta", (), {"ref_name": f"{name}Page"})
    return type(
        f"{name}PageSchema",
        (serializers.Serializer,),
        {
            "results": item(many=True),
            "next_cursor": serializers.CharField(allow_null=True),
            "next": serializers.URLField(allow_null=True),
            "Meta": meta,
        },
    )


ContactPageSchema = _page("Contact", ContactSchema)


def _entry(ref: str, id_field: serializers.Field, **fields: serializers.Field) -> type[serializers.Serializer]:
    attrs = {"id": id_field, **fields, "created_at": serializers.DateTimeField()}
    return type(f"{ref}Schema", (serializers.Serializer,), {**attrs, "Meta": type("Meta", (), {"ref_name": ref})})


ENTRY_SCHEMAS = {
    "Tag": _entry("Tag", serializers.IntegerField(), name=serializers.CharField()),
    "Group": _entry("Group", serializers.IntegerField(), name=serializers.CharField(), description=_text()),
    "Custom field": _entry(
        "CustomField",
        serializers.IntegerField(),
        key=serializers.CharField(),
        label=serializers.CharField(),
        type=serializers.ChoiceField(choices=CustomFieldType.values),
        choices=serializers.ListField(child=serializers.CharField()),
    ),
    "Branch": _entry("Branch", serializers.IntegerField(), name=serializers.CharField()),
    "Team": _entry("Team", serializers.UUIDField(), name=serializers.CharField()),
    "Sender number": _entry(
        "SenderNumber",
        serializers.IntegerField(),
        phone=serializers.CharField(),
        external_id=serializers.CharField(),
        label=serializers.CharField(),
    ),
}
PAGE_SCHEMAS = {label: _page(schema.Meta.ref_name, schema) for label, schema in ENTRY_SCHEMAS.items()}


def problem(text: str) -> OpenApiResponse:
    return OpenApiResponse(ProblemSchema, description=text)


# The problems any authenticated operation may answer; each operation adds its own.
COMMON_PROBLEMS = {
    (401, PROBLEM): problem("No API key, or one that is unknown, expired or revoked."),
    (403, PROBLEM): problem("The key lacks the operation's scope."),
    (406, PROBLEM): problem("The client accepts neither JSON nor problem details."),
    (429, PROBLEM): problem("Over the key's rate limit; `Retry-After` says when to retry."),
}
WRITE_PROBLEMS = {
    (400, PROBLEM): problem("Invalid input: `errors` names each field at fault."),
    (409, PROBLEM): problem("A unique value is taken, or a request with this Idempotency-Key is still running."),
    (413, PROBLEM): problem("The body is too large."),
    (415, PROBLEM): problem("The body is not JSON."),
    (422, PROBLEM): problem("The Idempotency-Key was used with another request."),
}
NOT_FOUND = {(404, PROBLEM): problem("No such entry in the key's organization.")}
LIST_PROBLEMS = {(400, PROBLEM): problem("An unknown or invalid parameter, or a bad cursor.")}

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="1 to 255 printable ASCII characters. The same key with the same body within 24 h replays the "
    "stored response; with another body it is a 422.",
)
PAGING = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 100 (default 50)."),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="`next_cursor` of the previous page."),
]


class VocabularySchema(AutoSchema):
    """The operations of one vocabulary (the view's `vocabulary`): its tag, its bodies, its path parameter."""

    def _vocabulary(self) -> Any:
        return self.view.vocabulary

    def _detail(self) -> bool:
        return "{entry_id}" in self.path

    def get_tags(self) -> list[str]:
        return [self._vocabulary().label]

    def get_operation_id(self) -> str:
        slug = self._vocabulary().label.lower().replace(" ", "_")
        verb = {"get": "retrieve" if self._detail() else "list", "post": "create", "patch": "update"}
        return f"v1_{slug}_{verb.get(self.method.lower(), self.method.lower())}"

    def get_override_parameters(self) -> list[OpenApiParameter]:
        parameters: list[OpenApiParameter] = []
        if self._detail():
            kind = OpenApiTypes.UUID if self._vocabulary().by_uuid else OpenApiTypes.INT
            parameters.append(OpenApiParameter("entry_id", kind, OpenApiParameter.PATH))
        elif self.method == "GET":
            parameters += PAGING
        if self.method in ("POST", "PATCH", "DELETE"):
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def get_request_serializer(self) -> Any:
        vocabulary = self._vocabulary()
        return {"POST": vocabulary.create_serializer, "PATCH": vocabulary.update_serializer}.get(self.method)

    def get_response_serializers(self) -> Any:
        entry = ENTRY_SCHEMAS[self._vocabulary().label]
        responses: dict[Any, Any] = dict(COMMON_PROBLEMS)
        if self.method == "GET":
            responses[200] = entry if self._detail() else PAGE_SCHEMAS[self._vocabulary().label]
            responses.update(NOT_FOUND if self._detail() else LIST_PROBLEMS)
        elif self.method == "POST":
            responses[201] = entry
            responses.update(WRITE_PROBLEMS)
        elif self.method == "PATCH":
            responses[200] = entry
            responses.update({**WRITE_PROBLEMS, **NOT_FOUND})
        else:
            responses[204] = OpenApiResponse(description="Deleted.")
            responses.update({**NOT_FOUND, (409, PROBLEM): problem("Still in use, or the key is in use.")})
        return responses


# --- docs pages ---------------------------------------------------------------------------------------------------

_REDOC_PAGE = """<!DOCTYPE html>
<html>
  <head>
    <title>{title}</title>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
  </head>
  <body>
    <redoc spec-url="{schema_url}"></redoc>
    <script src="{script}"></script>
  </body>
</html>
"""


class OfflineRedocView(SpectacularRedocView):
    """Redoc from the sidecar's bundle with nothing fetched from another host (drf-spectacular's own page
    preconnects to Google Fonts) and no inline script."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        page = _REDOC_PAGE.format(
            title=escape(self.title or "API"),
            schema_url=escape(self._get_schema_url(request)),
            script=escape(self._redoc_standalone()),
        )
        return HttpResponse(page, content_type="text/html; charset=utf-8")
