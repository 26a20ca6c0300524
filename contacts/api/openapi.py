"""The OpenAPI description of every surface (drf-spectacular, `/api/schema/`).

- One security scheme per way a client proves who it is: the API key as a Bearer token (the native API, Mobivate,
  Callbell), the API key in `x-api-key` (Contactship), Awal's HMAC signature, and SFMC's OAuth2 client credentials.
  A Bearer requirement names the scope the operation needs.
- `preprocess`: one path per route, without the optional trailing slash the routes accept.
- `postprocess`: each dialect's operations under the dialect's own tag, the native API's under its resource's.
- `DocumentedAutoSchema`: an operation's description is what its `extend_schema` says, never a view's docstring
  (written for this code's readers, and inherited by every subclass).
- The native API's bodies and problems are in `openapi_native.py`, the dialects' in `openapi_dialects/`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema

from contacts.api import openapi_dialects, registry

PROBLEM = "application/problem+json"
NATIVE_PREFIX = "/api/v1/"


class DocumentedAutoSchema(AutoSchema):
    """The project's schema class (`DEFAULT_SCHEMA_CLASS`)."""

    def get_description(self) -> str:
        # `extend_schema(description=...)` overrides this; a docstring is for this code's readers.
        return ""


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
    "events": ("History", "Every contact's change events, in the order they were written."),
    "webhooks": ("Webhooks", "Endpoints the organization's change events are delivered to, signed."),
}
# Any write that takes an Idempotency-Key can refuse a malformed one (400) or one used with another request (422).
IDEMPOTENCY_PROBLEMS = {
    "400": "Invalid input: `errors` names each field at fault (a malformed Idempotency-Key among them).",
    "422": "The Idempotency-Key was used with another request.",
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
            if isinstance(operation, dict) and path.startswith(NATIVE_PREFIX):
                _add_idempotency_problems(operation)
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


def _add_idempotency_problems(operation: dict[str, Any]) -> None:
    if not any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])):
        return
    for status, text in IDEMPOTENCY_PROBLEMS.items():
        operation["responses"].setdefault(
            status,
            {"description": text, "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}},
        )
