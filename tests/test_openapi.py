"""The OpenAPI description (`/api/schema/`) and its two pages, Swagger UI (`/api/docs/`) and Redoc
(`/api/docs/redoc/`), served from drf-spectacular-sidecar under the site's Content-Security-Policy."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from contacts.api.base import DialectAPIView
from tests.dialects.base import Awal, Callbell, CommittingAPIClient, Contactship, Mobivate, Sfmc
from tests.factories import TeamFactory
from tests.test_csp import EVENT_HANDLER, INLINE_SCRIPT, JAVASCRIPT_URL, POLICY, policy_of

pytestmark = pytest.mark.django_db

NATIVE_PATHS = {
    "/api/v1/contacts": {"get", "post"},
    "/api/v1/contacts/lookup": {"get"},
    "/api/v1/contacts/{contact_id}": {"get", "patch", "delete"},
    **{f"/api/v1/{name}": {"get", "post"} for name in ("tags", "groups", "custom-fields", "branches", "teams")},
    "/api/v1/sender-numbers": {"get", "post"},
    **{
        f"/api/v1/{name}/{{entry_id}}": {"get", "patch", "delete"}
        for name in ("tags", "groups", "custom-fields", "branches", "teams", "sender-numbers")
    },
    "/api/v1/contacts/batch": {"post"},
    "/api/v1/contacts/{contact_id}/history": {"get"},
    "/api/v1/events": {"get"},
    "/api/v1/webhooks": {"get", "post"},
    "/api/v1/webhooks/{endpoint_id}": {"get", "patch", "delete"},
    "/api/v1/webhooks/{endpoint_id}/rotate-secret": {"post"},
    "/api/v1/webhooks/{endpoint_id}/test": {"post"},
}
# Each dialect mount's paths, and the tag and security scheme its operations carry.
DIALECT_PATHS = {
    "Awal": ("awalSignature", {"/awal/contacts", "/awal/contacts/{contact_id}"}),
    "Callbell (WhatsApp)": (
        "bearerApiKey",
        {"/callbell/v1/contacts", "/callbell/v1/contacts/{contact_uuid}", "/callbell/v1/contacts/phone/{number}"},
    ),
    "Contactship": ("apiKeyHeader", {"/contactship/v1/contacts", "/contactship/v1/contacts/{identifier}"}),
    "Mobivate Bulk SMS address book": (
        "bearerApiKey",
        {"/mobivate/addressbook/contacts", "/mobivate/addressbook/contacts/{reference}", "/mobivate/contacts"},
    ),
    "Salesforce Marketing Cloud": (
        "sfmcOAuth2",
        {
            "/sfmc/contacts/v1/addresses/email/search",
            "/sfmc/contacts/v1/attributeSetDefinitions",
            "/sfmc/contacts/v1/contacts",
            "/sfmc/contacts/v1/contacts/actions/delete",
        },
    ),
}
PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture
def schema():
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_schema_is_openapi_3_1_with_every_native_path_and_method(schema):
    assert schema["openapi"] == "3.1.0"
    native = {path: set(ops) for path, ops in schema["paths"].items() if path.startswith("/api/v1/")}
    assert native == NATIVE_PATHS


def test_schema_lists_every_dialect_mount_under_its_tag_and_scheme(schema):
    for tag, (scheme, paths) in DIALECT_PATHS.items():
        tagged = {path for path, ops in schema["paths"].items() for op in ops.values() if op["tags"] == [tag]}
        assert tagged >= paths, tag
        for path in paths:
            for operation in schema["paths"][path].values():
                if path != "/sfmc/v2/token":
                    assert [next(iter(requirement)) for requirement in operation["security"]] == [scheme], path
    # SFMC's token endpoint takes no credentials: it is where they are exchanged.
    assert schema["paths"]["/sfmc/v2/token"]["post"]["tags"] == ["Salesforce Marketing Cloud"]


def test_the_four_security_schemes(schema):
    schemes = schema["components"]["securitySchemes"]
    assert set(schemes) == {"bearerApiKey", "apiKeyHeader", "awalSignature", "sfmcOAuth2"}
    assert {k: v for k, v in schemes["bearerApiKey"].items() if k != "description"} == {
        "type": "http",
        "scheme": "bearer",
    }
    assert {k: v for k, v in schemes["apiKeyHeader"].items() if k != "description"} == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
    }
    assert {k: v for k, v in schemes["awalSignature"].items() if k != "description"} == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Awal-Signature-256",
    }
    assert schemes["sfmcOAuth2"]["flows"] == {
        "clientCredentials": {
            "tokenUrl": "/sfmc/v2/token",
            "scopes": {
                "list_and_subscribers_read": "Read contacts.",
                "list_and_subscribers_write": "Write contacts.",
            },
        }
    }


def test_native_operations_name_their_scope_tag_and_problems(schema):
    listing = schema["paths"]["/api/v1/contacts"]["get"]
    assert listing["tags"] == ["Contacts"]
    assert listing["security"] == [{"bearerApiKey": ["contacts:read"]}]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ContactPage"
    }
    assert listing["responses"]["400"]["content"]["application/problem+json"]["schema"] == PROBLEM_SCHEMA
    assert {"tags", "updated_since", "q", "cursor", "limit", "ordering"} <= {p["name"] for p in listing["parameters"]}

    create = schema["paths"]["/api/v1/contacts"]["post"]
    assert create["security"] == [{"bearerApiKey": ["contacts:write"]}]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ContactWriteRequest"
    }
    assert set(create["responses"]) == {"201", "400", "401", "403", "406", "409", "413", "415", "422", "429"}

    patch = schema["paths"]["/api/v1/contacts/{contact_id}"]["patch"]
    assert patch["security"] == [{"bearerApiKey": ["contacts:write"]}]
    assert patch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PatchedContactWriteRequest"
    }
    assert schema["paths"]["/api/v1/contacts/{contact_id}"]["delete"]["security"] == [
        {"bearerApiKey": ["contacts:delete"]}
    ]

    team = schema["paths"]["/api/v1/teams/{entry_id}"]["get"]
    assert team["tags"] == ["Teams"]
    assert team["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Team"}
    assert team["responses"]["404"]["content"]["application/problem+json"]["schema"] == PROBLEM_SCHEMA
    assert [p["schema"] for p in team["parameters"] if p["name"] == "entry_id"] == [
        {"type": "string", "format": "uuid"}
    ]
    assert set(schema["components"]["schemas"]["Contact"]["properties"]) == {
        "id", "name", "full_name", "phone", "phone_valid", "email", "alias", "contact_key", "country",
        "description", "address", "note", "is_favorite", "source", "avatar_url", "branch", "team",
        "assigned_user", "tags", "groups", "custom_fields", "created_at", "updated_at",
    }  # fmt: skip
    assert set(schema["components"]["schemas"]["Problem"]["properties"]) == {
        "type",
        "title",
        "status",
        "detail",
        "errors",
    }


def test_every_native_write_lists_the_idempotency_keys_problems(schema):
    missing = [
        (method, path, status)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
        if "Idempotency-Key" in {parameter["name"] for parameter in operation.get("parameters", [])}
        for status in ("400", "422")
        if status not in operation["responses"]
    ]
    assert missing == []
    delete = schema["paths"]["/api/v1/contacts/{contact_id}"]["delete"]
    assert set(delete["responses"]) == {"204", "400", "401", "403", "404", "406", "422", "429"}
    assert delete["responses"]["422"]["description"] == "The Idempotency-Key was used with another request."


def test_native_parameters_and_bodies_state_what_the_api_enforces(schema):
    components = schema["components"]["schemas"]
    listing = schema["paths"]["/api/v1/contacts"]["get"]
    parameters = {p["name"]: p for p in listing["parameters"]}
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert parameters["limit"]["description"] == "1 to 200 (default 50)."
    assert listing["responses"]["422"]["description"] == (
        "A `custom_fields.KEY` filter names no custom field of the organization."
    )
    create = schema["paths"]["/api/v1/contacts"]["post"]
    key = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert (key["in"], key["schema"]) == (
        "header",
        {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    )
    assert components["ContactPage"]["properties"]["next_updated_since"] == {
        "type": ["string", "null"],
        "format": "date-time",
        "description": "On the last page of a walk with `updated_since`: where the next sync starts (pass it as "
        "`updated_since`); null otherwise.",
    }
    closed = ["ContactWriteRequest", "PatchedContactWriteRequest", "NameRequest", "CustomFieldCreateRequest",
              "BatchItemRequest", "WebhookWriteRequest"]  # fmt: skip
    assert {name: components[name]["additionalProperties"] for name in closed} == dict.fromkeys(closed, False)
    assert components["CustomFieldCreateRequest"]["properties"]["type"] == {
        "$ref": "#/components/schemas/CustomFieldTypeEnum"
    }
    assert components["CustomFieldTypeEnum"]["enum"] == [
        "text", "number", "date", "boolean", "location", "url", "email", "choice", "multichoice",
    ]  # fmt: skip


def test_native_operations_are_summarized_and_never_described_by_a_docstring(schema):
    summaries = {
        (method, path): operation.get("summary")
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
    }
    assert [key for key, summary in summaries.items() if not summary] == []
    assert summaries[("get", "/api/v1/sender-numbers")] == "List sender numbers"
    assert summaries[("get", "/api/v1/branches/{entry_id}")] == "Retrieve a branch"
    assert summaries[("post", "/api/v1/custom-fields")] == "Create a custom field"
    assert summaries[("delete", "/api/v1/teams/{entry_id}")] == "Delete a team"
    assert "description" not in schema["paths"]["/api/v1/contacts"]["get"]
    assert "description" not in schema["paths"]["/api/v1/tags"]["post"]
    assert {tag["name"] for tag in schema["tags"]} >= {"History", "Webhooks"}


def test_the_native_api_describes_itself_without_a_warning_and_the_schema_is_valid():
    """None of the generator's warnings or errors may come from the native API (the whole schema's are checked by
    `test_spectacular_validates_with_no_error_or_warning`)."""
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    assert [m for m in messages if "contacts/api/native" in m or "/api/v1/" in m or "Vocabulary" in m] == []


SCRIPT_SRC = re.compile(r"<script[^>]*\ssrc=\"([^\"]+)\"", re.IGNORECASE)


@pytest.mark.parametrize("url", ["/api/docs/", "/api/docs/redoc/"])
def test_docs_pages_load_only_this_sites_scripts_under_the_policy(url):
    response = Client().get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn." not in html and "jsdelivr" not in html and "googleapis" not in html
    # The pages' whole policy (styles and Redoc's worker relaxed) is tests/test_csp.py's; scripts stay this site's.
    assert policy_of(response)["script-src"] == POLICY["script-src"]
    assert INLINE_SCRIPT.findall(html) == []
    assert EVENT_HANDLER.findall(html) == []
    assert JAVASCRIPT_URL.findall(html) == []
    scripts = SCRIPT_SRC.findall(html)
    assert scripts and all(src.startswith("/") and not src.startswith("//") for src in scripts)


def test_swagger_ui_loads_the_sidecar_bundle_and_its_init_script_from_this_site():
    html = Client().get("/api/docs/").content.decode()
    scripts = SCRIPT_SRC.findall(html)

    assert scripts == [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
        "/api/docs/?script=",
    ]
    init = Client().get("/api/docs/?script=")
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert '"/api/schema/"' in init.content.decode()


def test_redoc_loads_the_sidecar_bundle_and_reads_the_schema():
    html = Client().get("/api/docs/redoc/").content.decode()

    assert SCRIPT_SRC.findall(html) == ["/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"]
    assert '<redoc spec-url="/api/schema/"></redoc>' in html


def test_spectacular_validates_with_no_error_or_warning(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


# --- the dialects' operations, as their docs in docs/dialects/ state them -----------------------------------------

DIALECT_PREFIXES = ("/mobivate/", "/callbell/", "/contactship/", "/awal/", "/sfmc/")
# Each dialect's error body component, and the statuses each of its operations documents.
DIALECT_ERRORS = {
    "/mobivate/": "MobivateError",
    "/callbell/": "CallbellError",
    "/contactship/": "ContactshipError",
    "/awal/": "AwalError",
    "/sfmc/contacts/": "SfmcError",
    "/sfmc/v2/": "SfmcOAuthError",
}
DIALECT_STATUSES = {
    "mobivate_contacts_list": {"200", "400", "401", "403", "429", "500", "503"},
    "mobivate_addressbook_contact_create": {"200", "400", "401", "403", "413", "415", "429", "500", "503"},
    "mobivate_contact_create": {"200", "400", "401", "403", "413", "415", "429", "500", "503"},
    "mobivate_contact_update": {"200", "400", "401", "403", "413", "415", "429", "500", "503"},
    "mobivate_contact_delete": {"200", "401", "403", "404", "429", "500", "503"},
    "callbell_contacts_list": {"200", "400", "401", "403", "406", "429", "500", "503"},
    "callbell_contact_create": {"200", "400", "401", "403", "406", "409", "413", "415", "422", "429", "500", "503"},
    "callbell_contact_retrieve": {"200", "401", "403", "404", "406", "429", "500", "503"},
    "callbell_contact_update": {"200", "400", "401", "403", "404", "406", "413", "415", "422", "429", "500", "503"},
    "callbell_contact_delete": {"200", "401", "403", "404", "406", "429", "500", "503"},
    "callbell_contact_by_phone": {"200", "400", "401", "403", "404", "406", "429", "500", "503"},
    "contactship_contacts_list": {"200", "400", "401", "403", "429", "500", "503"},
    "contactship_contact_create": {"201", "400", "401", "403", "409", "413", "415", "429", "500", "503"},
    "contactship_contact_retrieve": {"200", "400", "401", "403", "404", "429", "500", "503"},
    "contactship_contact_update": {"200", "400", "401", "403", "404", "409", "413", "415", "429", "500", "503"},
    "contactship_contact_delete": {"204", "401", "403", "404", "429", "500", "503"},
    "awal_contacts_list": {"200", "400", "401", "403", "404", "406", "422", "429", "500", "503"},
    "awal_contact_create": {"201", "400", "401", "403", "404", "406", "409", "413", "415", "422", "429", "500", "503"},
    "awal_contact_retrieve": {"200", "400", "401", "403", "404", "406", "429", "500", "503"},
    "awal_contact_update": {"200", "400", "401", "403", "404", "406", "409", "413", "415", "422", "429", "500", "503"},
    "awal_contact_delete": {"200", "400", "401", "403", "404", "406", "429", "500", "503"},
    "sfmc_token": {"200", "400", "401", "415", "429", "500", "503"},
    "sfmc_contact_create": {"200", "400", "401", "403", "413", "415", "429", "500", "503"},
    "sfmc_contact_update": {"200", "400", "401", "403", "413", "415", "429", "500", "503"},
    "sfmc_contacts_delete": {"200", "400", "401", "403", "413", "415", "429", "500", "503"},
    "sfmc_email_search": {"200", "400", "401", "403", "413", "415", "429", "500", "503"},
    "sfmc_attribute_set_definitions": {"200", "400", "401", "403", "429", "500", "503"},
}


def dialect_operations(schema):
    for path, operations in schema["paths"].items():
        if path.startswith(DIALECT_PREFIXES):
            for method, operation in operations.items():
                yield path, method, operation


def refs_in(value) -> set[str]:
    """Every `$ref` under `value`."""
    if isinstance(value, dict):
        found = {value["$ref"]} if "$ref" in value else set()
        return found.union(*(refs_in(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(refs_in(item) for item in value))
    return set()


def test_every_dialect_operation_lists_its_statuses_with_the_dialects_error_body(schema):
    seen = {}
    for path, method, operation in dialect_operations(schema):
        seen[operation["operationId"]] = set(operation["responses"])
        error = next(name for prefix, name in DIALECT_ERRORS.items() if path.startswith(prefix))
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                continue
            body = response["content"]["application/json"]["schema"]
            if status == "429" and path.startswith("/awal/"):
                assert body == {"$ref": "#/components/schemas/AwalRateLimited"}
            elif status == "429" and path == "/sfmc/v2/token":
                assert "#/components/schemas/SfmcError" in refs_in(body)
            else:
                assert f"#/components/schemas/{error}" in refs_in(body), (path, method, status)
    assert seen == DIALECT_STATUSES


def test_no_dialect_body_is_a_free_form_object(schema):
    """No `{}` and no object without properties where the docs give a shape: only maps (additionalProperties)
    the docs describe as maps."""

    def free_form(value, where):
        if isinstance(value, dict):
            if value == {} or (
                value.get("type") == "object" and not {"properties", "additionalProperties"} & set(value)
            ):
                yield where
            for key, item in value.items():
                yield from free_form(item, f"{where}/{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from free_form(item, f"{where}/{index}")

    dialect_components = {
        name: body
        for name, body in schema["components"]["schemas"].items()
        if name.startswith(("Mobivate", "Callbell", "Contactship", "Awal", "Sfmc"))
    }
    assert list(free_form(dialect_components, "components")) == []
    for path, method, operation in dialect_operations(schema):
        assert list(free_form(operation, f"{path} {method}")) == []


def test_mobivate_list_query_parameters(schema):
    parameters = schema["paths"]["/mobivate/addressbook/contacts"]["get"]["parameters"]
    assert {p["name"]: (p["in"], p["schema"]) for p in parameters} == {
        "sortField": ("query", {"type": "string", "enum": ["created_on", "alias", "msisdn"], "default": "created_on"}),
        "sortDir": ("query", {"type": "string", "enum": ["ASC", "DESC"], "default": "DESC"}),
        "offset": ("query", {"type": "integer", "minimum": 0, "maximum": 1000000000, "default": 0}),
        "limit": ("query", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}),
    }


def test_mobivate_error_names_are_fixed_per_status(schema):
    not_found = schema["paths"]["/mobivate/addressbook/contacts/{reference}"]["delete"]["responses"]["404"]
    assert not_found["content"]["application/json"]["schema"] == {
        "allOf": [
            {"$ref": "#/components/schemas/MobivateError"},
            {
                "properties": {
                    "error": {"properties": {"name": {"const": "NotFoundError"}, "statusCode": {"const": 404}}}
                }
            },
        ]
    }


def test_callbell_team_object_and_list_filters(schema):
    components = schema["components"]["schemas"]
    assert {k: v for k, v in components["CallbellTeam"].items() if k != "description"} == {
        "type": "object",
        "properties": {
            "uuid": {
                "type": "string",
                "pattern": "^[0-9a-f]{32}$",
                "description": "32 lowercase hex digits, no dashes.",
            },
            "name": {"type": "string"},
            "createdAt": {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"},
        },
        "required": ["uuid", "name", "createdAt"],
        "additionalProperties": False,
    }
    assert components["CallbellContact"]["properties"]["team"] == {
        "oneOf": [{"$ref": "#/components/schemas/CallbellTeam"}, {"type": "null"}]
    }
    listing = schema["paths"]["/callbell/v1/contacts"]["get"]["parameters"]
    assert {p["name"]: p["schema"] for p in listing}["page"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 999999999,
        "default": 1,
    }
    tags = next(p for p in listing if p["name"] == "tags")
    assert (tags["style"], tags["explode"], tags["schema"]) == (
        "form",
        False,
        {"type": "array", "items": {"type": "string"}, "maxItems": 50},
    )
    assert components["CallbellContactCreate"]["required"] == ["identifier", "source", "name"]
    assert components["CallbellContactCreate"]["additionalProperties"] is False


def test_contactship_additional_data_and_identifier_type(schema):
    components = schema["components"]["schemas"]
    assert components["ContactshipAdditionalData"] == {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["text", "date", "number", "location"]},
            "field": {"type": "string"},
            "value": {"type": "string"},
        },
        "required": ["type", "field", "value"],
        "additionalProperties": False,
    }
    retrieve = schema["paths"]["/contactship/v1/contacts/{identifier}"]["get"]["parameters"]
    assert {p["name"]: p["schema"] for p in retrieve}["identifierType"] == {
        "type": "string",
        "enum": ["id", "phone_number", "email"],
        "default": "id",
    }
    conflict = schema["paths"]["/contactship/v1/contacts"]["post"]["responses"]["409"]
    assert conflict["content"]["application/json"]["schema"]["allOf"][1] == {
        "properties": {"statusCode": {"const": 409}, "error": {"const": "Conflict"}}
    }


def test_awal_error_bodies_and_signed_headers(schema):
    components = schema["components"]["schemas"]
    awal_error = components["AwalError"]
    assert awal_error["required"] == ["error", "message", "details", "request_id"]
    assert awal_error["properties"]["request_id"]["pattern"] == "^req_[0-9a-f]{32}$"
    assert awal_error["properties"]["details"]["additionalProperties"] == {"type": "string"}
    assert components["AwalRateLimited"]["properties"]["error"] == {"const": "Rate limit exceeded"}
    create = schema["paths"]["/awal/contacts"]["post"]
    bad_request = create["responses"]["400"]["content"]["application/json"]["schema"]
    assert bad_request["allOf"][1] == {
        "properties": {"error": {"enum": ["missing_headers", "invalid_phone_number", "malformed_request"]}}
    }
    assert {(p["name"], p["in"], p["required"]) for p in create["parameters"]} == {
        ("phone_number_id", "query", True),
        ("X-Timestamp", "header", True),
        ("X-Domain", "header", True),
        ("X-Client-ID", "header", True),
    }
    assert set(create["requestBody"]["content"]) == {"multipart/form-data", "application/x-www-form-urlencoded"}
    assert create["requestBody"]["required"] is True
    assert components["AwalContactForm"]["required"] == ["name", "phone"]


def test_sfmc_attribute_sets_and_operation_bodies(schema):
    components = schema["components"]["schemas"]
    values = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "value": {"type": ["string", "number", "boolean", "null"]}},
            "required": ["name", "value"],
            "additionalProperties": False,
        },
        "minItems": 1,
    }
    attribute_set = components["SfmcAttributeSet"]
    assert attribute_set["properties"]["items"] == {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"values": values},
            "required": ["values"],
            "additionalProperties": False,
        },
        "minItems": 1,
    }
    assert attribute_set["oneOf"] == [{"required": ["items"]}, {"required": ["values"]}]
    assert attribute_set["properties"]["name"]["enum"] == [
        "Email Addresses",
        "Email Demographics",
        "MobileConnect Demographics",
        "MobilePush Demographics",
        "GroupConnect LINE Addresses",
        "GroupConnect LINE Subscriptions",
        "GroupConnect LINE Demographics",
    ]
    assert components["SfmcContactRequest"]["properties"]["attributeSets"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/SfmcAttributeSet"},
        "minItems": 1,
    }
    assert components["SfmcResultMessage"]["properties"]["resultType"] == {
        "type": "string",
        "enum": ["Error", "Warning"],
    }
    assert set(components["SfmcAttributeSetDefinition"]["properties"]["attributes"]["items"]["properties"]) == {
        "id", "key", "name", "dataType", "isNullable", "displayOrder", "fullyQualifiedName", "parentId",
    }  # fmt: skip
    create = schema["paths"]["/sfmc/contacts/v1/contacts"]["post"]["responses"]["400"]
    assert create["content"]["application/json"]["schema"]["oneOf"][0] == {
        "$ref": "#/components/schemas/SfmcContactFailure"
    }
    delete = schema["paths"]["/sfmc/contacts/v1/contacts/actions/delete"]["post"]["parameters"]
    assert [(p["name"], p["required"], p["schema"]) for p in delete] == [
        ("type", True, {"type": "string", "enum": ["keys", "ids"]})
    ]
    definitions = schema["paths"]["/sfmc/contacts/v1/attributeSetDefinitions"]["get"]["parameters"]
    assert {p["name"]: p["schema"] for p in definitions} == {
        "$page": {"type": "integer", "minimum": 1, "default": 1},
        "$pageSize": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    }


# --- real answers against the schema ------------------------------------------------------------------------------

DOCUMENT = "urn:crm:openapi"


class Conformance:
    """Validates bodies sent and received against the schema's operation, and records which
    (operationId, status) pairs were seen."""

    def __init__(self, schema: dict) -> None:
        self.schema = schema
        self.registry = Registry().with_resource(DOCUMENT, DRAFT202012.create_resource(schema))
        self.seen: set[tuple[str, str]] = set()

    def _validate(self, pointer: list[str], instance) -> None:
        escaped = "/".join(part.replace("~", "~0").replace("/", "~1") for part in pointer)
        validator = Draft202012Validator(
            {"$ref": f"{DOCUMENT}#/{escaped}"}, registry=self.registry, format_checker=FormatChecker()
        )
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]
        assert errors == [], (pointer, instance)

    def request(self, path: str, method: str, body, media: str = "application/json") -> None:
        self._validate(["paths", path, method, "requestBody", "content", media, "schema"], body)

    def response(self, path: str, method: str, response, status: int) -> dict | list | None:
        operation = self.schema["paths"][path][method]
        assert response.status_code == status, response.content
        assert str(status) in operation["responses"], (path, method, status)
        self.seen.add((operation["operationId"], str(status)))
        declared = operation["responses"][str(status)]
        missing = [
            name for name, header in declared.get("headers", {}).items() if header["required"] and name not in response
        ]
        assert missing == [], (path, method, status)
        content = declared.get("content")
        if content is None:
            assert response.content == b""
            return None
        body = response.json()
        self._validate(["paths", path, method, "responses", str(status), "content", "application/json", "schema"], body)
        return body


@pytest.fixture
def conformance(schema):
    return Conformance(schema)


@pytest.fixture
def api_client():
    return CommittingAPIClient()


@contextmanager
def failing(error: BaseException):
    """Every dialect request fails with `error` once authenticated: a bug (500) or an outage (503)."""
    real_initial = DialectAPIView.initial

    def initial(self, request, *args, **kwargs):
        real_initial(self, request, *args, **kwargs)
        raise error

    with mock.patch.object(DialectAPIView, "initial", initial):
        yield


def check_failures(conformance: Conformance, path: str, call) -> None:
    """The 500 and the 503 of one operation, `call()` sending its request."""
    with failing(RuntimeError("boom")):
        conformance.response(path, "get", call(), 500)
    with failing(OperationalError("server closed the connection unexpectedly")):
        conformance.response(path, "get", call(), 503)


def successes(conformance: Conformance, prefix: str) -> set[str]:
    """The dialect's operationIds whose success was seen."""
    return {op for op, status in conformance.seen if op.startswith(prefix) and status.startswith("2")}


def test_mobivate_answers_match_the_schema(conformance, api_client, api_key):
    client = Mobivate.authenticate(api_client, api_key[1])
    book = "/mobivate/addressbook/contacts"
    body = Mobivate.fixture("create_contact_request.json")
    conformance.request(book, "post", body)
    record = conformance.response(book, "post", client.post(book, body, format="json"), 200)["record"]
    other = {"alias": "mary", "msisdn": 447456789012, "meta": {"CITY": "Leeds", "VIP": True}}
    conformance.request("/mobivate/contacts", "post", other)
    conformance.response("/mobivate/contacts", "post", client.post("/mobivate/contacts", other, format="json"), 200)
    conformance.response(book, "get", client.get(book, {"sortField": "alias", "sortDir": "asc", "limit": 5}), 200)
    detail = "/mobivate/addressbook/contacts/{reference}"
    update = {"alias": "john-smith", "meta": {"CITY": None}}
    conformance.request(detail, "post", update)
    conformance.response(detail, "post", client.post(f"{book}/{record['id']}", update, format="json"), 200)
    conformance.response(detail, "delete", client.delete(f"{book}/4479000000001"), 200)

    conformance.response(book, "get", client.get(book, {"limit": 101}), 400)
    conformance.response(book, "post", client.post(book, {"msisdn": "447456789012"}, format="json"), 400)
    conformance.response(detail, "delete", client.delete(f"{book}/4479000000001"), 404)
    conformance.response(book, "post", client.post(book, "alias=x", content_type="text/plain"), 415)
    conformance.response(book, "get", CommittingAPIClient().get(book), 401)
    check_failures(conformance, book, lambda: client.get(book))
    assert successes(conformance, "mobivate_") == {
        "mobivate_addressbook_contact_create", "mobivate_contact_create", "mobivate_contacts_list",
        "mobivate_contact_update", "mobivate_contact_delete",
    }  # fmt: skip


def test_callbell_answers_match_the_schema(conformance, api_client, api_key, organization):
    client = Callbell.authenticate(api_client, api_key[1])
    team = TeamFactory(organization=organization, name="Support")
    contacts = "/callbell/v1/contacts"
    detail = "/callbell/v1/contacts/{contact_uuid}"
    body = Callbell.fixture("post_contacts_request.json")
    conformance.request(contacts, "post", body)
    created = conformance.response(contacts, "post", client.post(contacts, body, format="json"), 200)
    uuid = created["contact"][0]["uuid"]
    update = {"team_uuid": str(team.uuid), "bot_status": "bot_end", "note": "Call after 5pm", "tags": []}
    conformance.request(detail, "patch", update)
    patched = conformance.response(detail, "patch", client.patch(f"{contacts}/{uuid}", update, format="json"), 200)
    assert patched["contact"][0]["team"]["name"] == "Support"
    conformance.response(contacts, "get", client.get(contacts, {"page": 1, "source": "whatsapp"}), 200)
    conformance.response(detail, "get", client.get(f"{contacts}/{uuid}"), 200)
    phone = "/callbell/v1/contacts/phone/{number}"
    conformance.response(phone, "get", client.get(f"{contacts}/phone/123456789"), 200)

    conformance.response(contacts, "get", client.get(contacts, {"page": 0}), 400)
    conformance.response(contacts, "post", client.post(contacts, body, format="json"), 409)
    unknown_tag = {**body, "identifier": "31612345678", "tags": ["Nope"]}
    conformance.response(contacts, "post", client.post(contacts, unknown_tag, format="json"), 422)
    conformance.response(detail, "get", client.get(f"{contacts}/{'0' * 32}"), 404)
    conformance.response(detail, "get", client.get(f"{contacts}/{uuid}", HTTP_ACCEPT="text/html"), 406)
    conformance.response(detail, "delete", client.delete(f"{contacts}/{uuid}"), 200)
    conformance.response(detail, "delete", client.delete(f"{contacts}/{uuid}"), 404)
    check_failures(conformance, contacts, lambda: client.get(contacts))
    assert successes(conformance, "callbell_") == {
        "callbell_contact_create", "callbell_contact_update", "callbell_contacts_list", "callbell_contact_retrieve",
        "callbell_contact_by_phone", "callbell_contact_delete",
    }  # fmt: skip


def test_contactship_answers_match_the_schema(conformance, api_client, api_key):
    client = Contactship.authenticate(api_client, api_key[1])
    contacts = "/contactship/v1/contacts"
    detail = "/contactship/v1/contacts/{identifier}"
    body = Contactship.fixture("create_complete_request.json")
    conformance.request(contacts, "post", body)
    created = conformance.response(contacts, "post", client.post(contacts, body, format="json"), 201)
    update = {"email": None, "additional_data": [{"type": "number", "field": "presupuesto", "value": 1500}]}
    conformance.request(detail, "patch", update)
    conformance.response(detail, "patch", client.patch(f"{contacts}/{created['id']}", update, format="json"), 200)
    conformance.response(contacts, "get", client.get(contacts, {"full_name": "pérez", "limit": 20}), 200)
    found = client.get(f"{contacts}/+12124567890", {"identifierType": "phone_number"})
    conformance.response(detail, "get", found, 200)

    conformance.response(contacts, "get", client.get(contacts, {"limit": 501}), 400)
    conformance.response(contacts, "post", client.post(contacts, body, format="json"), 409)
    conformance.response(detail, "get", client.get(f"{contacts}/x", {"identifierType": "name"}), 400)
    conformance.response(detail, "delete", client.delete(f"{contacts}/{created['id']}"), 204)
    conformance.response(detail, "delete", client.delete(f"{contacts}/{created['id']}"), 404)
    conformance.response(contacts, "get", CommittingAPIClient().get(contacts), 401)
    check_failures(conformance, contacts, lambda: client.get(contacts))
    assert successes(conformance, "contactship_") == {
        "contactship_contact_create", "contactship_contact_update", "contactship_contacts_list",
        "contactship_contact_retrieve", "contactship_contact_delete",
    }  # fmt: skip


def test_awal_answers_match_the_schema(conformance, api_client, organization):
    client = Awal.authenticate(api_client, organization)
    contacts, detail = "/awal/contacts", "/awal/contacts/{contact_id}"
    form = {k: v for k, v in Awal.fixture("create_contact_request.json")["form"].items() if k != "contact_group_id"}
    conformance.request(contacts, "post", form, "multipart/form-data")
    created = conformance.response(contacts, "post", client.create(form), 201)["data"]
    conformance.response(contacts, "get", client.get("/contacts", "search=Ahmed&per_page=5"), 200)
    conformance.response(detail, "get", client.get(f"/contacts/{created['id']}"), 200)
    update = {"is_favorite": "0", "email": "ahmed.m@example.com"}
    conformance.request(detail, "patch", update, "multipart/form-data")
    conformance.response(detail, "patch", client.patch(created["id"], update), 200)

    conformance.response(contacts, "get", client.get("/contacts", headers={"X-Timestamp": None}), 400)
    conformance.response(contacts, "post", client.create({**form, "phone": "+96650000000"}), 400)
    # Another timestamp: the same signed create again would be a replay (401), not a conflict.
    again = client.create(form, timestamp=str(int(time.time()) - 5))
    conformance.response(contacts, "post", again, 409)
    conformance.response(contacts, "post", client.create({"name": "Sara", "phone": "966501234599", "email": "x"}), 422)
    conformance.response(contacts, "get", client.get("/contacts", "phone_number_id=999"), 404)
    conformance.response(contacts, "get", client.get("/contacts", timestamp="1"), 401)
    conformance.response(contacts, "get", client.get("/contacts", headers={"Accept": "text/html"}), 406)
    json_body = client.request(
        "POST", "/contacts", query="phone_number_id=123456", body=b"{}", content_type="application/json"
    )
    conformance.response(contacts, "post", json_body, 415)
    conformance.response(detail, "delete", client.delete(f"/contacts/{created['id']}"), 200)
    conformance.response(detail, "get", client.get(f"/contacts/{created['id']}"), 404)
    check_failures(conformance, contacts, lambda: client.get("/contacts"))
    assert successes(conformance, "awal_") == {
        "awal_contact_create", "awal_contacts_list", "awal_contact_retrieve", "awal_contact_update",
        "awal_contact_delete",
    }  # fmt: skip


def test_sfmc_answers_match_the_schema(conformance, api_client, organization):
    from contacts.services import credentials

    credentials.create_oauth_client(organization=organization, name="SFMC", client_id="sfmc", secret="s")
    token_body = {**Sfmc.fixture("token_request.json"), "client_id": "sfmc", "client_secret": "s"}
    conformance.request("/sfmc/v2/token", "post", token_body)
    token = conformance.response(
        "/sfmc/v2/token", "post", api_client.post("/sfmc/v2/token", token_body, format="json"), 200
    )
    wrong = {**token_body, "client_secret": "wrong"}
    conformance.response("/sfmc/v2/token", "post", api_client.post("/sfmc/v2/token", wrong, format="json"), 401)
    bad_grant = {**token_body, "grant_type": "password"}
    conformance.response("/sfmc/v2/token", "post", api_client.post("/sfmc/v2/token", bad_grant, format="json"), 400)
    client = CommittingAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")

    contacts = "/sfmc/contacts/v1/contacts"
    body = Sfmc.fixture("create_contact_request.json")
    conformance.request(contacts, "post", body)
    conformance.response(contacts, "post", client.post(contacts, body, format="json"), 200)
    conformance.request(contacts, "patch", body)
    conformance.response(contacts, "patch", client.patch(contacts, body, format="json"), 200)
    unknown = {**body, "contactKey": "nobody@example.com"}
    conformance.response(contacts, "patch", client.patch(contacts, unknown, format="json"), 200)  # FAIL, with 200
    no_locale = {"contactKey": "x", "attributeSets": [{"name": "MobileConnect Demographics", "values": [
        {"name": "Mobile Number", "value": "317-555-0123"}]}]}  # fmt: skip
    conformance.request(contacts, "post", no_locale)
    conformance.response(contacts, "post", client.post(contacts, no_locale, format="json"), 400)
    conformance.response(contacts, "post", client.post(contacts, "{", content_type="application/json"), 400)

    search = "/sfmc/contacts/v1/addresses/email/search"
    conformance.request(search, "post", Sfmc.fixture("email_search_request.json"))
    found = client.post(search, Sfmc.fixture("email_search_request.json"), format="json")
    assert conformance.response(search, "post", found, 200)["channelAddressResponseEntities"][0]["contactKeyDetails"]
    definitions = "/sfmc/contacts/v1/attributeSetDefinitions"
    conformance.response(definitions, "get", client.get(definitions, {"$pageSize": 3}), 200)
    conformance.response(definitions, "get", client.get(definitions, {"$pageSize": 0}), 400)

    delete = "/sfmc/contacts/v1/contacts/actions/delete"
    keys = {"values": ["acruz@example.com", "nobody@example.com"], "DeleteOperationType": "ContactAndAttributes"}
    conformance.request(delete, "post", keys)
    conformance.response(delete, "post", client.post(f"{delete}?type=keys", keys, format="json"), 200)
    conformance.response(delete, "post", client.post(delete, keys, format="json"), 400)
    conformance.response(delete, "post", client.post(f"{delete}?type=keys", "x", content_type="text/plain"), 415)
    conformance.response(definitions, "get", CommittingAPIClient().get(definitions), 401)
    check_failures(conformance, definitions, lambda: client.get(definitions))
    assert successes(conformance, "sfmc_") == {
        "sfmc_token", "sfmc_contact_create", "sfmc_contact_update", "sfmc_email_search",
        "sfmc_attribute_set_definitions", "sfmc_contacts_delete",
    }  # fmt: skip


def test_dialect_responses_declare_their_headers(schema):
    listing = schema["paths"]["/awal/contacts"]["get"]["responses"]
    assert set(listing["200"]["headers"]) == {
        "X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
    }  # fmt: skip
    assert listing["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    callbell = schema["paths"]["/callbell/v1/contacts"]["get"]["responses"]
    assert set(callbell["401"]["headers"]) == {"WWW-Authenticate"}
    assert set(callbell["429"]["headers"]) == {"Retry-After"}
    assert "headers" not in callbell["200"]
    assert "headers" not in schema["paths"]["/sfmc/v2/token"]["post"]["responses"]["401"]


def test_dialect_operations_name_the_permission_they_need(schema):
    security = {op["operationId"]: op.get("security") for _, _, op in dialect_operations(schema)}
    assert security["contactship_contact_delete"] == [{"apiKeyHeader": ["contacts:delete"]}]
    assert security["awal_contact_create"] == [{"awalSignature": ["contacts:create"]}]
    assert security["callbell_contact_update"] == [{"bearerApiKey": ["contacts:update"]}]
    assert security["mobivate_contacts_list"] == [{"bearerApiKey": ["contacts:read"]}]
    assert security["sfmc_email_search"] == [{"sfmcOAuth2": ["list_and_subscribers_read"]}]
    assert security["sfmc_contacts_delete"] == [{"sfmcOAuth2": ["list_and_subscribers_write"]}]


def test_each_dialect_operation_is_described_by_itself_not_by_its_views_docstring(schema):
    descriptions = {op["operationId"]: op["description"] for _, _, op in dialect_operations(schema)}
    assert set(descriptions) == set(DIALECT_STATUSES)
    assert descriptions["contactship_contact_delete"] == "Permission `contacts:delete`. Answers 204 with no body."
    assert descriptions["sfmc_contact_update"] == (
        "Scope `list_and_subscribers_write`. Only updates; a rule violation (`ContactNotFound` included) is the FAIL "
        "body with 200, as SFMC's updateContacts answers."
    )


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        ("/mobivate/addressbook/contacts", "post", {"msisdn": "4479000000001"}),  # no alias
        ("/mobivate/addressbook/contacts", "post", {"alias": "a", "msisdn": "1", "meta": {"CITY": {"x": 1}}}),
        ("/callbell/v1/contacts", "post", {"identifier": "1", "source": "whatsapp", "name": "A", "nmae": "typo"}),
        ("/callbell/v1/contacts", "post", {"identifier": "1", "source": "fax", "name": "A"}),
        ("/callbell/v1/contacts/{contact_uuid}", "patch", {"bot_status": "bot_paused"}),
        (
            "/contactship/v1/contacts",
            "post",
            {
                "phone_number": "+12125550100",
                "full_name": "A",
                "additional_data": [{"type": "boolean", "field": "vip", "value": "true"}],
            },
        ),
        ("/contactship/v1/contacts", "post", {"phone_number": "+12125550100", "full_name": "A", "id": "x"}),
        ("/sfmc/contacts/v1/contacts", "post", {"attributeSets": [{"name": "Email Addresses", "values": []}]}),
        ("/sfmc/contacts/v1/contacts", "post", {"contactKey": "k", "attributeSets": [{"name": "Email Addresses"}]}),
        (
            "/sfmc/contacts/v1/contacts/actions/delete",
            "post",
            {"values": ["k"], "DeleteOperationType": "AttributesOnly"},
        ),
        ("/sfmc/v2/token", "post", {"grant_type": "password"}),
    ],
)
def test_request_schemas_refuse_what_the_docs_refuse(conformance, path, method, body):
    with pytest.raises(AssertionError):
        conformance.request(path, method, body)


def test_awal_forms_refuse_a_phone_not_in_awals_format(conformance):
    conformance.request("/awal/contacts", "post", {"name": "Sara", "phone": "966501234599"}, "multipart/form-data")
    for phone in ("+966501234599", "0501234599", "9665-0123", "123"):
        with pytest.raises(AssertionError):
            conformance.request("/awal/contacts", "post", {"name": "Sara", "phone": phone}, "multipart/form-data")
