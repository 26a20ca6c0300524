"""The OpenAPI description (`/api/schema/`) and its two pages, Swagger UI (`/api/docs/`) and Redoc
(`/api/docs/redoc/`), served from drf-spectacular-sidecar under the site's Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

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
    assert {path: native.get(path) for path in NATIVE_PATHS} == NATIVE_PATHS


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
    assert schemes["sfmcOAuth2"]["flows"] == {"clientCredentials": {"tokenUrl": "/sfmc/v2/token", "scopes": {}}}


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


def test_the_native_api_describes_itself_without_a_warning_and_the_schema_is_valid():
    """`manage.py spectacular --validate --fail-on-warn` still fails on the dialects' views (unannotated bodies);
    none of its warnings or errors may come from the native API."""
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
    assert policy_of(response) == POLICY
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
