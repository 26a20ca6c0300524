"""The dialect registry (contacts/api/registry.py): every dialect is mounted from its own declaration, with the
shared catch-all in its vendor's body, and a dialect registered from outside (tests/fake_dialect) gets its mount,
catch-all, authentication, throttling and error body without a line in crm/urls.py."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.urls import clear_url_caches
from rest_framework.test import APIClient

from contacts.api import registry
from contacts.api.dialects.awal.errors import AwalError
from contacts.api.dialects.sfmc.errors import OAuthError, SfmcRequestError
from contacts.api.errors import DialectError
from tests import fake_dialect
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
AWAL_REQUEST_ID = Matches(r"req_[0-9a-f]{32}")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def test_every_dialect_package_is_registered():
    assert [(d.name, d.mount, d.urls, d.docs) for d in registry.dialects()] == [
        ("awal", "/awal/", "contacts.api.dialects.awal.urls", "docs/dialects/awal.md"),
        ("callbell", "/callbell/", "contacts.api.dialects.callbell.urls", "docs/dialects/callbell.md"),
        ("contactship", "/contactship/", "contacts.api.dialects.contactship.urls", "docs/dialects/contactship.md"),
        ("mobivate", "/mobivate/", "contacts.api.dialects.mobivate.urls", "docs/dialects/mobivate.md"),
        ("sfmc", "/sfmc/", "contacts.api.dialects.sfmc.urls", "docs/dialects/sfmc.md"),
    ]


def test_a_declaration_takes_the_conventions_from_where_it_lives():
    mobivate = registry.get("mobivate")

    assert (mobivate.package, mobivate.prefix, mobivate.throttle_scope, mobivate.auth_label) == (
        "contacts.api.dialects.mobivate",
        "mobivate",
        "mobivate",
        "Bearer API key",
    )
    assert (mobivate.render_error.__qualname__, mobivate.base_view_class.__qualname__) == (
        "render_mobivate_error",
        "MobivateAPIView",
    )
    assert [cls.__name__ for cls in mobivate.authentication_classes] == ["BearerApiKeyAuthentication"]


def test_a_declaration_outside_the_dialects_package_is_its_own_package():
    fake = fake_dialect.DIALECT

    assert (fake.name, fake.package, fake.urls, fake.mount, fake.docs) == (
        "fake",
        "tests.fake_dialect",
        "tests.fake_dialect.urls",
        "/fake/",
        "docs/architecture.md",
    )
    assert (fake.error_renderer, fake.base_view, dict(fake.throttle_rates)) == (
        "errors.render_fake_error",
        "views.FakeAPIView",
        {"fake": "2/min"},
    )


def test_a_declaration_that_counts_against_a_scope_without_a_rate_is_refused():
    with pytest.raises(ValueError, match=r"Dialect 'odd' counts against scopes it gives no rate: \['odd_read'\]"):
        registry.Dialect(package="tests.odd", title="Odd", rates="1/s", read_throttle_scope="odd_read", vendor_docs="x")


def test_every_dialect_has_its_doc_page():
    assert [d.docs for d in registry.dialects() if not (ROOT / d.docs).is_file()] == []


def test_throttle_rates_come_from_the_registry_and_the_environment_overrides_them():
    assert registry.throttle_rates({}) == {
        "awal_write": "100/min",
        "awal_read": "200/min",
        "callbell": "300/s",
        "contactship": "600/min",
        "mobivate": "600/min",
        "sfmc": "2500/min",
        "sfmc_token": "60/min",
    }
    overridden = registry.throttle_rates({"THROTTLE_CALLBELL": "100/s", "THROTTLE_AWAL_READ": "5/min"})
    assert (overridden["callbell"], overridden["awal_read"], overridden["awal_write"]) == ("100/s", "5/min", "100/min")


def test_every_dialect_error_derives_from_the_one_base():
    assert [issubclass(cls, DialectError) for cls in (AwalError, SfmcRequestError, OAuthError)] == [True, True, True]


# An unknown path under each mount, without credentials and whatever the method, is that vendor's own 404.
UNKNOWN_PATHS = [
    (
        "/mobivate/nothing/here",
        {"success": False, "error": {"name": "NotFoundError", "statusCode": 404, "message": "Not found"}},
    ),
    ("/mobivate/", {"success": False, "error": {"name": "NotFoundError", "statusCode": 404, "message": "Not found"}}),
    (
        "/contactship/v2/contacts",
        {"statusCode": 404, "error": "Not Found", "message": "Cannot {method} /contactship/v2/contacts"},
    ),
    ("/callbell/v1/nothing", {"error": {"code": "not_found", "message": "Not found", "details": {}}}),
    ("/callbell/", {"error": {"code": "not_found", "message": "Not found", "details": {}}}),
    (
        "/awal/contacts/x/y",
        {
            "error": "resource_not_found",
            "message": "No Awal endpoint at {method} /awal/contacts/x/y",
            "details": {},
            "request_id": AWAL_REQUEST_ID,
        },
    ),
    ("/sfmc/contacts/v1/nothing", {"message": "Resource not found", "errorcode": 10006, "documentation": ""}),
    ("/sfmc/", {"message": "Resource not found", "errorcode": 10006, "documentation": ""}),
]


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize(("path", "body"), UNKNOWN_PATHS)
def test_an_unknown_path_under_every_mount_is_the_vendors_404(api_client, method, path, body):
    response = api_client.generic(method, path)

    assert response.status_code == 404
    assert response.json() == _with_method(body, method)
    assert "Allow" not in response
    assert response["Cache-Control"] == "no-store"


def test_the_awal_catch_all_keeps_awals_headers(api_client):
    response = api_client.get("/awal/nothing")

    assert response.status_code == 404
    assert response["X-Request-ID"] == response.json()["request_id"]
    assert (response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]) == ("200", "200")


def test_a_path_with_a_newline_is_still_the_vendors_404(api_client):
    response = api_client.get("/callbell/v1/a%0Ab")

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found", "details": {}}}


def _with_method(body: dict, method: str) -> dict:
    return {
        key: _with_method(value, method) if isinstance(value, dict) else _format(value, method)
        for key, value in body.items()
    }


def _format(value, method: str):
    return value.format(method=method) if isinstance(value, str) else value


# --- A dialect registered from outside contacts/api/dialects --------------------------------------------------


def _reload_urls() -> None:
    import crm.urls

    importlib.reload(crm.urls)
    clear_url_caches()


@pytest.fixture
def fake_registered():
    registry.register(fake_dialect.DIALECT)
    _reload_urls()
    yield fake_dialect.DIALECT
    registry.unregister(fake_dialect.DIALECT.name)
    _reload_urls()


def test_a_registered_dialect_is_mounted_and_authenticated_by_its_declaration(fake_registered, api_client, api_key):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")

    response = api_client.get("/fake/contacts")

    assert response.status_code == 200
    assert response.json() == {"organization": "acme"}
    assert response["Cache-Control"] == "no-store"


def test_a_registered_dialect_renders_its_errors_with_its_renderer(fake_registered, api_client):
    response = api_client.get("/fake/contacts", HTTP_AUTHORIZATION="Bearer crm_nope")

    assert response.status_code == 401
    assert response.json() == {"fault": {"kind": "unauthenticated", "text": "Invalid, expired or revoked API key"}}
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


def test_a_registered_dialect_gets_the_shared_catch_all(fake_registered, api_client):
    response = api_client.delete("/fake//no/such/thing")

    assert response.status_code == 404
    assert response.json() == {"fault": {"kind": "not_found", "text": "nothing at DELETE /fake//no/such/thing"}}


def test_a_registered_dialects_own_error_renders_itself(fake_registered, api_client, api_key):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")

    response = api_client.post("/fake/contacts", {}, format="json")

    assert response.status_code == 418
    assert response.json() == {"teapot": "/fake/contacts"}


def test_a_registered_dialect_is_throttled_at_its_declared_rate(fake_registered, api_client, api_key):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")

    statuses = [api_client.get("/fake/contacts").status_code for _ in range(3)]
    refused = api_client.get("/fake/contacts")

    assert statuses == [200, 200, 429]
    assert refused.json() == {"fault": {"kind": "throttled", "text": "Too many requests"}}
    assert refused["Retry-After"] == "60"


def test_an_unregistered_dialect_is_not_mounted(api_client):
    response = api_client.get("/fake/contacts")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
