"""SFMC `POST /sfmc/v2/token` (client credentials) and the access tokens it issues."""

import datetime as dt
import hashlib
import json
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from contacts.models import AccessToken
from contacts.services import credentials
from tests.dialects.sfmc_support import assert_sfmc_rate_limited
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "sfmc"
TOKEN_URL = "/sfmc/v2/token"
CONTACTS_URL = "/sfmc/contacts/v1/contacts"
OAUTH_ERROR_URI = "https://developer.salesforce.com/docs"
NOT_AUTHORIZED = {"message": "Not Authorized", "errorcode": 0, "documentation": ""}


TOKEN = Matches(r"[A-Za-z0-9_-]{40,}")


@pytest.fixture
def oauth_client(organization):
    client, _ = credentials.create_oauth_client(
        organization=organization,
        name="SFMC",
        client_id="demo-sfmc-client",
        secret="demo-sfmc-secret-do-not-use-in-production",
    )
    return client


def token_request(**changes):
    body = json.loads((FIXTURES / "token_request.json").read_text())
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def oauth_error(error: str, description: str) -> dict:
    return {"error": error, "error_description": description, "error_uri": OAUTH_ERROR_URI}


def test_token_for_the_documented_request(api_client, oauth_client):
    before = timezone.now()
    response = api_client.post(TOKEN_URL, token_request(), format="json")

    assert response.status_code == 200
    assert response.json() == {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 1080,
        "scope": "list_and_subscribers_read list_and_subscribers_write",
        "rest_instance_url": "http://testserver/sfmc/",
        "soap_instance_url": "http://testserver/sfmc/soap/",
    }
    assert response["Cache-Control"] == "no-store"
    raw = response.json()["access_token"]
    stored = AccessToken.objects.get()
    # Only the digest is stored, never the token itself.
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert not AccessToken.objects.filter(digest=raw).exists()
    assert stored.client == oauth_client
    assert stored.organization == oauth_client.organization
    assert sorted(stored.scopes) == ["contacts:create", "contacts:delete", "contacts:read", "contacts:update"]
    assert stored.scope_text == "list_and_subscribers_read list_and_subscribers_write"
    lifetime = stored.expires_at - before
    assert dt.timedelta(minutes=19, seconds=59) < lifetime <= dt.timedelta(minutes=20, seconds=5)


def test_token_then_create_contact_end_to_end(api_client, oauth_client):
    token = api_client.post(TOKEN_URL, token_request(), format="json").json()["access_token"]
    body = {
        "contactKey": "e2e@example.com",
        "attributeSets": [
            {
                "name": "Email Addresses",
                "items": [
                    {
                        "values": [
                            {"name": "Email Address", "value": "e2e@example.com"},
                            {"name": "HTML Enabled", "value": True},
                        ]
                    }
                ],
            }
        ],
    }
    response = api_client.post(CONTACTS_URL, body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["operationStatus"] == "OK"


def test_token_accepts_form_encoded_body(api_client, oauth_client):
    response = api_client.post(
        TOKEN_URL,
        data=urlencode(token_request(scope="list_and_subscribers_read")),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert response.json()["scope"] == "list_and_subscribers_read"
    assert AccessToken.objects.get().scopes == ["contacts:read"]


def test_token_without_scope_gets_every_scope_of_the_client(api_client, organization):
    credentials.create_oauth_client(
        organization=organization,
        name="limited",
        client_id="limited",
        secret="s3cret",
        scopes=["contacts:read", "contacts:create"],
    )
    body = {"grant_type": "client_credentials", "client_id": "limited", "client_secret": "s3cret"}
    response = api_client.post(TOKEN_URL, body, format="json")

    assert response.status_code == 200
    assert response.json()["scope"] == "list_and_subscribers_read contacts:create"
    assert AccessToken.objects.get().scopes == ["contacts:create", "contacts:read"]


def test_requested_scope_string_is_echoed_verbatim(api_client, oauth_client):
    response = api_client.post(
        TOKEN_URL, token_request(scope="contacts:read  list_and_subscribers_write"), format="json"
    )

    assert response.status_code == 200
    assert response.json()["scope"] == "contacts:read  list_and_subscribers_write"


def test_scope_beyond_the_client_is_invalid_scope(api_client, organization):
    credentials.create_oauth_client(
        organization=organization, name="reader", client_id="reader", secret="s3cret", scopes=["contacts:read"]
    )
    body = {
        "grant_type": "client_credentials",
        "client_id": "reader",
        "client_secret": "s3cret",
        "scope": "list_and_subscribers_write",
    }
    response = api_client.post(TOKEN_URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == oauth_error(
        "invalid_scope", "The requested scope exceeds the scopes granted to the client"
    )
    assert AccessToken.objects.count() == 0


def test_unknown_scope_is_invalid_scope(api_client, oauth_client):
    response = api_client.post(TOKEN_URL, token_request(scope="email_read"), format="json")

    assert response.status_code == 400
    assert response.json() == oauth_error("invalid_scope", "Unknown scope: email_read")


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"client_secret": "wrong"}, id="wrong-secret"),
        pytest.param({"client_id": "nobody"}, id="unknown-client"),
    ],
)
def test_bad_client_is_invalid_client(api_client, oauth_client, changes):
    response = api_client.post(TOKEN_URL, token_request(**changes), format="json")

    assert response.status_code == 401
    assert response.json() == oauth_error(
        "invalid_client",
        "Client authentication failed. Make sure that the client ID and client secret are valid "
        "and that the client is active.",
    )
    assert AccessToken.objects.count() == 0


def test_revoked_client_is_invalid_client(api_client, oauth_client):
    credentials.revoke(oauth_client)
    response = api_client.post(TOKEN_URL, token_request(), format="json")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_other_grant_type_is_unsupported(api_client, oauth_client):
    response = api_client.post(TOKEN_URL, token_request(grant_type="password"), format="json")

    assert response.status_code == 400
    assert response.json() == oauth_error(
        "unsupported_grant_type", "Only the client_credentials grant type is supported"
    )


@pytest.mark.parametrize(
    ("body", "description"),
    [
        pytest.param(token_request(grant_type=None), "grant_type is required", id="no-grant-type"),
        pytest.param(token_request(client_id=None), "client_id is required and must be a string", id="no-client-id"),
        pytest.param(
            token_request(client_secret=12), "client_secret is required and must be a string", id="numeric-secret"
        ),
        pytest.param(token_request(scope=["a"]), "scope must be a space-separated string", id="scope-list"),
        pytest.param(["grant_type"], "The request body must be a JSON object", id="array-body"),
    ],
)
def test_incomplete_request_is_invalid_request(api_client, oauth_client, body, description):
    response = api_client.post(TOKEN_URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == oauth_error("invalid_request", description)


def test_malformed_json_is_invalid_request(api_client, oauth_client):
    response = api_client.post(TOKEN_URL, data='{"grant_type": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json() == oauth_error("invalid_request", Matches(r"Malformed request body: JSON parse error - .+"))


def test_unsupported_content_type_is_invalid_request(api_client, oauth_client):
    response = api_client.post(TOKEN_URL, data="grant_type=client_credentials", content_type="text/plain")

    assert response.status_code == 415
    assert response.json() == oauth_error("invalid_request", 'Unsupported media type "text/plain" in request.')


def test_get_on_token_is_method_not_allowed(api_client):
    response = api_client.get(TOKEN_URL)

    assert response.status_code == 405
    assert response.json() == oauth_error("invalid_request", 'Method "GET" not allowed.')


def test_token_endpoint_is_rate_limited(api_client, oauth_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "sfmc_token": "1/min"},
    }
    assert api_client.post(TOKEN_URL, token_request(), format="json").status_code == 200

    response = api_client.post(TOKEN_URL, token_request(), format="json")

    assert_sfmc_rate_limited(response)
    assert AccessToken.objects.count() == 1


# --- using tokens -------------------------------------------------------------------------------------------------


def _definitions(api_client, token: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return api_client.get("/sfmc/contacts/v1/attributeSetDefinitions", **headers)


def test_issued_token_authenticates(api_client, oauth_client):
    token = api_client.post(TOKEN_URL, token_request(), format="json").json()["access_token"]

    assert _definitions(api_client, token).status_code == 200


def test_expired_token_is_not_authorized(api_client, oauth_client):
    token = api_client.post(TOKEN_URL, token_request(), format="json").json()["access_token"]
    later = timezone.now() + dt.timedelta(minutes=20, seconds=1)

    with mock.patch("django.utils.timezone.now", return_value=later):
        response = _definitions(api_client, token)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="sfmc", error="invalid_token"'


def test_token_is_still_valid_just_before_it_expires(api_client, oauth_client):
    token = api_client.post(TOKEN_URL, token_request(), format="json").json()["access_token"]
    later = timezone.now() + dt.timedelta(minutes=19, seconds=50)

    with mock.patch("django.utils.timezone.now", return_value=later):
        assert _definitions(api_client, token).status_code == 200


def test_token_of_revoked_client_is_not_authorized(api_client, oauth_client):
    token = api_client.post(TOKEN_URL, token_request(), format="json").json()["access_token"]
    credentials.revoke(oauth_client)

    response = _definitions(api_client, token)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHORIZED


@pytest.mark.parametrize(
    "token",
    [pytest.param(None, id="missing"), pytest.param("not-a-token", id="unknown"), pytest.param("", id="empty")],
)
def test_missing_or_unknown_token_is_not_authorized(api_client, token):
    response = _definitions(api_client, token)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHORIZED
