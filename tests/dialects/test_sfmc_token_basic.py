"""`POST /sfmc/v2/token` with HTTP Basic client authentication (RFC 6749 section 2.3.1, `client_secret_basic`),
the default of requests-oauthlib and Authlib, next to the JSON and form bodies SFMC documents."""

from __future__ import annotations

import base64
import json

import pytest

from contacts.models import AccessToken
from contacts.services import credentials
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

TOKEN_URL = "/sfmc/v2/token"
FORM = "application/x-www-form-urlencoded"
CLIENT_ID = "demo-sfmc-client"
SECRET = "demo-sfmc-secret-do-not-use-in-production"
OAUTH_ERROR_URI = "https://developer.salesforce.com/docs"
TOKEN = Matches(r"[A-Za-z0-9_-]{40,}")
AUTHENTICATION_FAILED = (
    "Client authentication failed. Make sure that the client ID and client secret are valid and that the client "
    "is active."
)
MALFORMED = "The Authorization header must be 'Basic ' followed by the base64 encoding of client_id:client_secret: "


def oauth_error(error: str, description: str) -> dict:
    return {"error": error, "error_description": description, "error_uri": OAUTH_ERROR_URI}


def basic(raw: bytes | str) -> str:
    raw = raw.encode() if isinstance(raw, str) else raw
    return "Basic " + base64.b64encode(raw).decode()


def token_body(scope: str = "list_and_subscribers_read list_and_subscribers_write") -> dict:
    return {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 1080,
        "scope": scope,
        "rest_instance_url": "http://testserver/sfmc/",
        "soap_instance_url": "http://testserver/sfmc/soap/",
    }


@pytest.fixture
def oauth_client(organization):
    client, _ = credentials.create_oauth_client(
        organization=organization, name="SFMC", client_id=CLIENT_ID, secret=SECRET
    )
    return client


def post_form(api_client, body: str, authorization: str | None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return api_client.post(TOKEN_URL, data=body, content_type=FORM, **headers)


def test_basic_with_a_form_body_gets_a_token(api_client, oauth_client):
    response = post_form(api_client, "grant_type=client_credentials", basic(f"{CLIENT_ID}:{SECRET}"))

    assert response.status_code == 200
    assert response.json() == token_body()
    assert response["Cache-Control"] == "no-store"
    assert AccessToken.objects.get().client == oauth_client


def test_basic_with_a_json_body_gets_a_token(api_client, oauth_client):
    response = api_client.post(
        TOKEN_URL,
        data=json.dumps({"grant_type": "client_credentials", "scope": "list_and_subscribers_read"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic(f"{CLIENT_ID}:{SECRET}"),
    )

    assert response.status_code == 200
    assert response.json() == token_body("list_and_subscribers_read")
    assert AccessToken.objects.get().scopes == ["contacts:read"]


@pytest.mark.parametrize("scheme", ["basic", "BASIC", "Basic"])
def test_the_scheme_is_case_insensitive(api_client, oauth_client, scheme):
    header = basic(f"{CLIENT_ID}:{SECRET}").replace("Basic", scheme)

    response = post_form(api_client, "grant_type=client_credentials", header)

    assert response.status_code == 200


def test_the_same_client_id_in_the_body_is_allowed(api_client, oauth_client):
    response = post_form(
        api_client, f"grant_type=client_credentials&client_id={CLIENT_ID}", basic(f"{CLIENT_ID}:{SECRET}")
    )

    assert response.status_code == 200
    assert response.json() == token_body()


def test_form_encoded_id_and_secret_are_decoded(api_client, organization):
    """Section 2.3.1: both are form-urlencoded before they are joined, so a colon or `+` survives."""
    credentials.create_oauth_client(organization=organization, name="odd", client_id="odd:id", secret="p@ss w+rd:%")

    response = post_form(api_client, "grant_type=client_credentials", basic("odd%3Aid:p%40ss+w%2Brd%3A%25"))

    assert response.status_code == 200
    assert AccessToken.objects.get().client.client_id == "odd:id"


def test_a_secret_with_a_colon_needs_no_encoding(api_client, organization):
    credentials.create_oauth_client(organization=organization, name="colon", client_id="colon", secret="a:b:c")

    response = post_form(api_client, "grant_type=client_credentials", basic("colon:a:b:c"))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "raw",
    [f"{CLIENT_ID}:wrong", f"nobody:{SECRET}", f"{CLIENT_ID}:", f"{CLIENT_ID.upper()}:{SECRET}"],
)
def test_bad_basic_credentials_are_401_with_a_basic_challenge(api_client, oauth_client, raw):
    response = post_form(api_client, "grant_type=client_credentials", basic(raw))

    assert response.status_code == 401
    assert response.json() == oauth_error("invalid_client", AUTHENTICATION_FAILED)
    assert response["WWW-Authenticate"] == 'Basic realm="sfmc"'
    assert AccessToken.objects.count() == 0


def test_a_revoked_client_by_basic_is_401(api_client, oauth_client):
    credentials.revoke(oauth_client)

    response = post_form(api_client, "grant_type=client_credentials", basic(f"{CLIENT_ID}:{SECRET}"))

    assert response.status_code == 401
    assert response.json() == oauth_error("invalid_client", AUTHENTICATION_FAILED)
    assert response["WWW-Authenticate"] == 'Basic realm="sfmc"'


def test_bad_body_credentials_get_no_basic_challenge(api_client, oauth_client):
    response = post_form(api_client, f"grant_type=client_credentials&client_id={CLIENT_ID}&client_secret=x", None)

    assert response.status_code == 401
    assert response.json() == oauth_error("invalid_client", AUTHENTICATION_FAILED)
    assert "WWW-Authenticate" not in response


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        pytest.param("Basic", "expected exactly one base64 value after 'Basic'", id="no-value"),
        pytest.param("Basic a b", "expected exactly one base64 value after 'Basic'", id="two-values"),
        pytest.param("Basic !!!not-base64", "the value is not base64 of UTF-8 text", id="not-base64"),
        pytest.param("Basic ZGVtbw", "the value is not base64 of UTF-8 text", id="bad-padding"),
        pytest.param(basic(b"\xff\xfe:secret"), "the value is not base64 of UTF-8 text", id="not-utf8"),
        pytest.param(
            basic(CLIENT_ID), "the decoded value has no colon between client_id and client_secret", id="no-colon"
        ),
        pytest.param(basic(f":{SECRET}"), "client_id is empty or contains a NUL character", id="empty-id"),
        pytest.param(basic("demo\x00:x"), "client_id is empty or contains a NUL character", id="nul-in-id"),
        pytest.param(basic("demo%00:x"), "client_id is empty or contains a NUL character", id="encoded-nul"),
    ],
)
def test_a_malformed_basic_header_is_401_never_500(api_client, oauth_client, header, reason):
    response = post_form(api_client, "grant_type=client_credentials", header)

    assert response.status_code == 401
    assert response.json() == oauth_error("invalid_client", MALFORMED + reason)
    assert response["WWW-Authenticate"] == 'Basic realm="sfmc"'
    assert AccessToken.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "description"),
    [
        pytest.param(
            "grant_type=client_credentials&client_id=someone-else",
            "client_id in the body differs from the client in the Authorization header",
            id="other-client-id",
        ),
        pytest.param(
            f"grant_type=client_credentials&client_secret={SECRET}",
            "The client secret was sent both in the Authorization header and in the body; send it once",
            id="same-secret-twice",
        ),
        pytest.param(
            f"grant_type=client_credentials&client_id={CLIENT_ID}&client_secret=other",
            "The client secret was sent both in the Authorization header and in the body; send it once",
            id="other-secret",
        ),
    ],
)
def test_conflicting_credentials_are_400(api_client, oauth_client, body, description):
    response = post_form(api_client, body, basic(f"{CLIENT_ID}:{SECRET}"))

    assert response.status_code == 400
    assert response.json() == oauth_error("invalid_request", description)
    assert "WWW-Authenticate" not in response
    assert AccessToken.objects.count() == 0


def test_a_different_client_id_in_a_json_body_is_400(api_client, oauth_client):
    response = api_client.post(
        TOKEN_URL,
        {"grant_type": "client_credentials", "client_id": 12},
        format="json",
        HTTP_AUTHORIZATION=basic(f"{CLIENT_ID}:{SECRET}"),
    )

    assert response.status_code == 400
    assert response.json() == oauth_error(
        "invalid_request", "client_id in the body differs from the client in the Authorization header"
    )


def test_other_authorization_schemes_leave_the_body_in_charge(api_client, oauth_client):
    response = post_form(
        api_client,
        f"grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={SECRET}",
        "Bearer some-old-token",
    )

    assert response.status_code == 200
    assert response.json() == token_body()


def test_grant_type_is_still_required_with_basic(api_client, oauth_client):
    response = post_form(api_client, "", basic(f"{CLIENT_ID}:{SECRET}"))

    assert response.status_code == 400
    assert response.json() == oauth_error("invalid_request", "grant_type is required")
