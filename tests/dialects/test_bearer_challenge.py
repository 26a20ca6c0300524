"""401s of the Bearer dialects (SFMC, Mobivate, Callbell) say why, as RFC 6750 section 3 has them do.

OAuth clients refresh their token and retry only when the challenge carries `error="invalid_token"` (fuel-rest
tests `/^Bearer\\s.+?invalid_token/`); a request with no Bearer credentials gets a challenge without an error
(section 3.1). The bodies stay each vendor's own.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contacts.models import AccessToken
from contacts.models.credentials import ALL_SCOPES
from contacts.services import credentials
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db

SFMC_URL = "/sfmc/contacts/v1/attributeSetDefinitions"
MOBIVATE_URL = "/mobivate/addressbook/contacts"
CALLBELL_URL = "/callbell/v1/contacts"

SFMC_NOT_AUTHORIZED = {"message": "Not Authorized", "errorcode": 0, "documentation": ""}
NO_ERROR = 'Bearer realm="{realm}"'
INVALID_TOKEN = 'Bearer realm="{realm}", error="invalid_token"'
INVALID_REQUEST = 'Bearer realm="{realm}", error="invalid_request"'


def mobivate_error(message: str) -> dict:
    return {"success": False, "error": {"name": "UnauthorizedError", "statusCode": 401, "message": message}}


def callbell_error(message: str) -> dict:
    return {"error": {"code": "unauthorized", "message": message, "details": {}}}


# (dialect url, realm, body for: no credentials, bad credential, malformed header)
DIALECTS = {
    "sfmc": (SFMC_URL, "sfmc", SFMC_NOT_AUTHORIZED, SFMC_NOT_AUTHORIZED, SFMC_NOT_AUTHORIZED),
    "mobivate": (
        MOBIVATE_URL,
        "api",
        mobivate_error("Authentication required"),
        mobivate_error("Invalid, expired or revoked API key"),
        mobivate_error("Invalid Authorization header: expected 'Bearer <token>'"),
    ),
    "callbell": (
        CALLBELL_URL,
        "api",
        callbell_error("Authentication required"),
        callbell_error("Invalid, expired or revoked API key"),
        callbell_error("Invalid Authorization header: expected 'Bearer <token>'"),
    ),
}


@pytest.fixture
def oauth_client(organization):
    client, _ = credentials.create_oauth_client(organization=organization, name="SFMC", client_id="sfmc", secret="s")
    return client


def sfmc_token(oauth_client) -> str:
    _, raw = credentials.issue_access_token(oauth_client, scopes=list(ALL_SCOPES), scope_text="")
    return raw


def assert_challenge(response, status: int, body: dict, challenge: str) -> None:
    assert response.status_code == status
    assert response.json() == body
    assert response["WWW-Authenticate"] == challenge


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("header", [None, "Basic c2ZtYzpz", "Token abc", "Digest username=x"])
def test_no_bearer_credentials_get_a_challenge_without_error(api_client, organization, dialect, header):
    url, realm, missing, _, _ = DIALECTS[dialect]
    headers = {"HTTP_AUTHORIZATION": header} if header else {}

    response = api_client.get(url, **headers)

    assert_challenge(response, 401, missing, NO_ERROR.format(realm=realm))


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "header",
    ["Bearer crm_unknown000000000000000000000000", "bearer crm_unknown000000000000000000000000", "BEARER x"],
)
def test_an_unknown_token_is_invalid_token(api_client, organization, dialect, header):
    url, realm, _, bad, _ = DIALECTS[dialect]

    response = api_client.get(url, HTTP_AUTHORIZATION=header)

    assert_challenge(response, 401, bad, INVALID_TOKEN.format(realm=realm))


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("header", ["Bearer", "Bearer two parts", "Bearer  a b c"])
def test_a_malformed_bearer_header_is_invalid_request(api_client, organization, dialect, header):
    url, realm, _, _, malformed = DIALECTS[dialect]

    response = api_client.get(url, HTTP_AUTHORIZATION=header)

    assert_challenge(response, 401, malformed, INVALID_REQUEST.format(realm=realm))


@pytest.mark.parametrize("dialect", ["mobivate", "callbell"])
@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_an_expired_or_revoked_api_key_is_invalid_token(api_client, organization, dialect, state):
    url, realm, _, bad, _ = DIALECTS[dialect]
    key, secret = make_api_key(organization)
    if state == "expired":
        key.expires_at = timezone.now() - dt.timedelta(seconds=1)
    else:
        key.revoked_at = timezone.now()
    key.save()

    response = api_client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert_challenge(response, 401, bad, INVALID_TOKEN.format(realm=realm))


@pytest.mark.parametrize("dialect", ["mobivate", "callbell"])
def test_a_valid_api_key_gets_no_challenge(api_client, api_key, dialect):
    url = DIALECTS[dialect][0]

    response = api_client.get(url, HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")

    assert response.status_code == 200
    assert "WWW-Authenticate" not in response


def test_an_expired_sfmc_token_is_invalid_token(api_client, oauth_client):
    token = sfmc_token(oauth_client)
    AccessToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    response = api_client.get(SFMC_URL, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert_challenge(response, 401, SFMC_NOT_AUTHORIZED, INVALID_TOKEN.format(realm="sfmc"))


def test_a_token_of_a_revoked_client_is_invalid_token(api_client, oauth_client):
    token = sfmc_token(oauth_client)
    credentials.revoke(oauth_client)

    response = api_client.get(SFMC_URL, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert_challenge(response, 401, SFMC_NOT_AUTHORIZED, INVALID_TOKEN.format(realm="sfmc"))


def test_a_deleted_sfmc_token_is_invalid_token(api_client, oauth_client):
    token = sfmc_token(oauth_client)
    AccessToken.objects.all().delete()

    response = api_client.post(
        "/sfmc/contacts/v1/contacts", {"contactKey": "a"}, format="json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert_challenge(response, 401, SFMC_NOT_AUTHORIZED, INVALID_TOKEN.format(realm="sfmc"))


def test_an_api_key_sent_to_sfmc_is_invalid_token(api_client, api_key):
    response = api_client.get(SFMC_URL, HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")

    assert_challenge(response, 401, SFMC_NOT_AUTHORIZED, INVALID_TOKEN.format(realm="sfmc"))


def test_a_valid_sfmc_token_gets_no_challenge(api_client, oauth_client):
    response = api_client.get(SFMC_URL, HTTP_AUTHORIZATION=f"Bearer {sfmc_token(oauth_client)}")

    assert response.status_code == 200
    assert "WWW-Authenticate" not in response


@pytest.mark.parametrize(
    ("url", "header", "challenge"),
    [
        ("/contactship/v1/contacts", "Bearer crm_unknown000000000000000000000000", "ApiKey"),
        ("/awal/contacts", "Bearer crm_unknown000000000000000000000000", 'HMAC-SHA256 realm="awal"'),
    ],
)
def test_dialects_without_bearer_keep_their_own_challenge(api_client, organization, url, header, challenge):
    headers = {"HTTP_AUTHORIZATION": header}
    if url.startswith("/awal"):
        headers.update(
            HTTP_X_AWAL_SIGNATURE_256="sha256=" + "0" * 64,
            HTTP_X_TIMESTAMP=str(int(timezone.now().timestamp())),
            HTTP_X_DOMAIN="acme",
            HTTP_X_CLIENT_ID="nobody",
        )

    response = api_client.get(url, **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == challenge
