"""Every error of /api/v1/ is an RFC 9457 problem (`application/problem+json`), one test per class of bad input."""

from __future__ import annotations

import pytest

from contacts.models import Contact
from contacts.services import credentials
from tests.factories import ContactFactory, make_api_key

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def test_no_key_is_a_401_with_a_bearer_challenge(client):
    response = client.get("/api/v1/contacts")

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "type": "urn:crm:problem:unauthenticated",
        "title": "Authentication required",
        "status": 401,
        "detail": "Authentication required",
        "errors": [],
    }


def test_a_wrong_or_revoked_key_is_a_401_invalid_token(client, organization):
    key, secret = make_api_key(organization)
    credentials.revoke(key)

    for token in (secret, "crm_notakeyatall"):
        response = client.get("/api/v1/contacts", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
        assert response.json()["detail"] == "Invalid, expired or revoked API key"


def test_a_missing_scope_is_a_403_naming_it(client_for, organization):
    reader = client_for(organization, ["contacts:read"])

    response = reader.post("/api/v1/contacts", {"name": "X"}, format="json")

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert response.json() == {
        "type": "urn:crm:problem:forbidden",
        "title": "Missing permission",
        "status": 403,
        "detail": "Missing permission contacts:write",
        "errors": [],
    }
    assert Contact.objects.count() == 0


def test_a_read_scope_is_needed_to_list(client_for, organization):
    writer = client_for(organization, ["contacts:write"])

    response = writer.get("/api/v1/contacts")

    assert (response.status_code, response.json()["detail"]) == (403, "Missing permission contacts:read")


def test_malformed_json_is_a_400(api):
    response = api.post("/api/v1/contacts", '{"name": ', content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert (body["type"], body["title"], body["status"]) == (
        "urn:crm:problem:malformed-request",
        "The request body is malformed",
        400,
    )
    assert body["detail"].startswith("Malformed request body: JSON parse error")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(None, "malformed")]


def test_a_body_that_is_not_an_object_is_a_400(api):
    response = api.post("/api/v1/contacts", [{"name": "X"}], format="json")

    assert response.status_code == 400
    assert response.json() == {
        "type": "urn:crm:problem:invalid-request",
        "title": "The request is invalid",
        "status": 400,
        "detail": "The request body must be a JSON object",
        "errors": [{"field": None, "code": "invalid", "message": "The request body must be a JSON object"}],
    }


def test_wrong_types_are_each_named_with_a_code(api):
    body = {"name": 5, "is_favorite": "yes", "branch": "1", "tags": "vip", "custom_fields": [], "id": "x", "nope": 1}

    response = api.post("/api/v1/contacts", body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "type": "urn:crm:problem:invalid-request",
        "title": "The request is invalid",
        "status": 400,
        "detail": "Must be a string.",
        "errors": [
            {"field": "name", "code": "invalid", "message": "Must be a string."},
            {"field": "is_favorite", "code": "invalid", "message": "Must be true or false."},
            {"field": "branch", "code": "invalid", "message": "Must be an integer."},
            {"field": "tags", "code": "not_a_list", "message": 'Expected a list of items but got type "str".'},
            {
                "field": "custom_fields",
                "code": "not_a_dict",
                "message": 'Expected a dictionary of items but got type "list".',
            },
            {"field": "id", "code": "read_only", "message": "id is read-only."},
            {"field": "nope", "code": "unknown_field", "message": "nope is not a field of this resource."},
        ],
    }
    assert Contact.objects.count() == 0


def test_a_value_the_service_refuses_is_a_400_naming_the_field(api):
    response = api.post("/api/v1/contacts", {"email": "not an email"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "email", "code": "invalid", "message": "'not an email' is not a valid email address"}
    ]


def test_a_bad_phone_carries_the_services_code(api):
    response = api.post("/api/v1/contacts", {"phone": "call me"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "phone", "code": "invalid_phone_number", "message": "'call me' is not a phone number"}
    ]


def test_an_unknown_path_is_a_404_problem_even_without_a_key(client):
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json() == {
        "type": "urn:crm:problem:not-found",
        "title": "Not found",
        "status": 404,
        "detail": "Not found",
        "errors": [],
    }


def test_a_malformed_uuid_is_a_404(api):
    assert api.get("/api/v1/contacts/not-a-uuid").status_code == 404


def test_a_method_the_resource_lacks_is_a_405_with_allow(api, organization):
    contact = ContactFactory(organization=organization)

    for response in (api.put(f"/api/v1/contacts/{contact.uuid}", {}, format="json"), api.options("/api/v1/contacts")):
        assert response.status_code == 405
        assert response["Content-Type"] == PROBLEM
        assert response.json()["type"] == "urn:crm:problem:method-not-allowed"
    assert api.delete("/api/v1/contacts").json() == {
        "type": "urn:crm:problem:method-not-allowed",
        "title": "Method not allowed",
        "status": 405,
        "detail": 'Method "DELETE" not allowed.',
        "errors": [],
    }
    assert api.delete("/api/v1/contacts")["Allow"] == "GET, POST, HEAD"


def test_a_body_that_is_not_json_is_a_415(api):
    response = api.post("/api/v1/contacts", "name=X", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json() == {
        "type": "urn:crm:problem:unsupported-media-type",
        "title": "Unsupported media type",
        "status": 415,
        "detail": 'Unsupported media type "application/x-www-form-urlencoded" in request.',
        "errors": [],
    }


def test_unstorable_text_is_a_400(api):
    response = api.post("/api/v1/contacts", {"name": "a\u0000b"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "name",
            "code": "unstorable_text",
            "message": "name must not contain NUL characters or unpaired surrogates",
        }
    ]


def test_rate_limit_headers_and_the_429(api, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"v1": "2/min"}}

    first = api.get("/api/v1/contacts")
    second = api.get("/api/v1/contacts")
    third = api.get("/api/v1/contacts")

    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert (first["RateLimit-Limit"], first["RateLimit-Remaining"], first["RateLimit-Policy"]) == ("2", "1", "2;w=60")
    assert second["RateLimit-Remaining"] == "0"
    assert 0 < int(first["RateLimit-Reset"]) <= 60
    assert third["Content-Type"] == PROBLEM
    assert third["RateLimit-Remaining"] == "0"
    assert 0 < int(third["Retry-After"]) <= 60
    assert third.json() == {
        "type": "urn:crm:problem:rate-limited",
        "title": "Too many requests",
        "status": 429,
        "detail": "Too many requests",
        "errors": [],
    }


def test_the_services_field_names_are_the_apis(api):
    response = api.post("/api/v1/contacts", {"avatar_url": "ftp://example.com/a.png"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "avatar_url", "code": "invalid", "message": "The avatar URL must be an http or https URL"}
    ]


def test_an_accept_the_api_cannot_answer_is_a_406(api):
    response = api.get("/api/v1/contacts", HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response["Content-Type"] == PROBLEM
    assert response.json() == {
        "type": "urn:crm:problem:not-acceptable",
        "title": "Not acceptable",
        "status": 406,
        "detail": "Could not satisfy the request Accept header.",
        "errors": [],
    }


def test_a_body_over_the_limit_is_a_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = api.post("/api/v1/contacts", {"note": "x" * 200}, format="json")

    assert response.status_code == 413
    assert response.json() == {
        "type": "urn:crm:problem:too-large",
        "title": "The request is too large",
        "status": 413,
        "detail": "The request body is too large",
        "errors": [{"field": None, "code": "too_large", "message": "The request body is too large"}],
    }
    assert Contact.objects.count() == 0


def test_head_answers_like_get_without_a_body(api, organization):
    contact = ContactFactory(organization=organization)

    response = api.head(f"/api/v1/contacts/{contact.uuid}")

    assert (response.status_code, response.content) == (200, b"")


def test_answers_are_never_cached(api):
    assert api.get("/api/v1/contacts")["Cache-Control"] == "no-store"
    assert api.get("/api/v1/nothing")["Cache-Control"] == "no-store"


def test_the_dialects_stay_where_they_were(client):
    # Mounted next to every dialect, the native API takes none of their paths.
    assert client.get("/callbell/v1/contacts").status_code == 401
    assert client.get("/healthz").status_code == 200
