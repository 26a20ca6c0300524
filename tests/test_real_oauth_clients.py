"""The SFMC dialect driven by real OAuth 2.0 client libraries over HTTP, as an integration would use them.

requests-oauthlib (BackendApplicationClient + OAuth2Session.fetch_token) and Authlib (OAuth2Session) authenticate
at `/sfmc/v2/token`, then call the contacts API with the token, following `rest_instance_url`. Both default to
HTTP Basic client authentication (RFC 6749 section 2.3.1). The Node SDK (fuel-rest) is in tests/clients/.
"""

from __future__ import annotations

import pytest
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session

from contacts.models import AccessToken, Contact
from contacts.services import credentials

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ID = "demo-sfmc-client"
SECRET = "demo-sfmc-secret-do-not-use-in-production"
DEFINITION_KEYS = ["EmailAddresses", "EmailDemographics"]


@pytest.fixture(autouse=True)
def _plain_http(monkeypatch):
    # Both libraries refuse http:// token URLs unless told this is a test; the live server speaks plain HTTP.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def closing():
    """Registers sessions to close at the end of the test, so no kept-alive connection outlives it in a live
    server thread that would then close a database connection it no longer shares (SQLite)."""
    sessions: list = []

    def register(session):
        sessions.append(session)
        return session

    yield register
    for session in sessions:
        session.close()


@pytest.fixture
def oauth_client(organization):
    client, _ = credentials.create_oauth_client(
        organization=organization, name="SFMC", client_id=CLIENT_ID, secret=SECRET
    )
    return client


def record_requests(session) -> list:
    """Every request the session sends, as prepared (headers and body as they went on the wire)."""
    sent: list = []
    session.hooks["response"].append(lambda response, *args, **kwargs: sent.append(response.request))
    return sent


SCOPE = "list_and_subscribers_read list_and_subscribers_write"


def assert_token(token: dict, live_server, scope: object = SCOPE) -> None:
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 1080
    assert token["scope"] == scope
    assert token["rest_instance_url"] == f"{live_server.url}/sfmc/"


def assert_definitions_page(response) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["page"], body["pageSize"], body["count"]) == (1, 2, 7)
    assert [item["key"] for item in body["items"]] == DEFINITION_KEYS


# --- requests-oauthlib ----------------------------------------------------------------------------------------


def test_requests_oauthlib_fetch_token_with_its_default_basic_auth(closing, live_server, oauth_client):
    session = closing(OAuth2Session(client=BackendApplicationClient(client_id=CLIENT_ID)))
    sent = record_requests(session)

    token = session.fetch_token(token_url=f"{live_server.url}/sfmc/v2/token", client_id=CLIENT_ID, client_secret=SECRET)
    response = session.get(f"{token['rest_instance_url']}contacts/v1/attributeSetDefinitions?$pageSize=2")

    # oauthlib hands the scope back as a list.
    assert_token(token, live_server, SCOPE.split())
    assert_definitions_page(response)
    token_request = sent[0]
    assert token_request.headers["Authorization"].startswith("Basic ")
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "client_secret" not in token_request.body
    assert sent[1].headers["Authorization"] == f"Bearer {token['access_token']}"
    assert AccessToken.objects.get().client == oauth_client


def test_requests_oauthlib_with_the_client_in_the_body(closing, live_server, oauth_client):
    session = closing(OAuth2Session(client=BackendApplicationClient(client_id=CLIENT_ID)))
    sent = record_requests(session)

    token = session.fetch_token(
        token_url=f"{live_server.url}/sfmc/v2/token",
        client_id=CLIENT_ID,
        client_secret=SECRET,
        include_client_id=True,
    )
    response = session.get(f"{token['rest_instance_url']}contacts/v1/attributeSetDefinitions?$pageSize=2")

    assert_token(token, live_server, SCOPE.split())
    assert_definitions_page(response)
    assert "Authorization" not in sent[0].headers
    assert f"client_secret={SECRET}" in sent[0].body


def test_requests_oauthlib_with_a_base_url_ending_in_a_slash(closing, live_server, oauth_client):
    session = closing(OAuth2Session(client=BackendApplicationClient(client_id=CLIENT_ID)))

    token = session.fetch_token(
        token_url=f"{live_server.url}/sfmc/" + "/v2/token", client_id=CLIENT_ID, client_secret=SECRET
    )

    assert_token(token, live_server, SCOPE.split())


def test_requests_oauthlib_reports_a_wrong_secret_as_invalid_client(closing, live_server, oauth_client):
    from oauthlib.oauth2.rfc6749.errors import InvalidClientError

    session = closing(OAuth2Session(client=BackendApplicationClient(client_id=CLIENT_ID)))

    with pytest.raises(InvalidClientError) as raised:
        session.fetch_token(token_url=f"{live_server.url}/sfmc/v2/token", client_id=CLIENT_ID, client_secret="wrong")

    assert raised.value.status_code == 401
    assert raised.value.description == (
        "Client authentication failed. Make sure that the client ID and client secret are valid and that the "
        "client is active."
    )
    assert AccessToken.objects.count() == 0


# --- Authlib --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_fetch_token_then_call_the_api(closing, live_server, oauth_client, method):
    session = closing(AuthlibSession(CLIENT_ID, SECRET, token_endpoint_auth_method=method))
    sent = record_requests(session)

    token = session.fetch_token(f"{live_server.url}/sfmc/v2/token", grant_type="client_credentials")
    response = session.get(f"{token['rest_instance_url']}contacts/v1/attributeSetDefinitions?$pageSize=2")

    assert_token(token, live_server)
    assert_definitions_page(response)
    if method == "client_secret_basic":
        assert sent[0].headers["Authorization"].startswith("Basic ")
        assert "client_secret" not in sent[0].body
    else:
        assert "Authorization" not in sent[0].headers
        assert f"client_secret={SECRET}" in sent[0].body
    assert sent[1].headers["Authorization"] == f"Bearer {token['access_token']}"


def test_authlib_token_creates_a_contact(closing, live_server, oauth_client, organization):
    session = closing(AuthlibSession(CLIENT_ID, SECRET, token_endpoint_auth_method="client_secret_basic"))
    token = session.fetch_token(f"{live_server.url}/sfmc/v2/token", grant_type="client_credentials")
    body = {
        "contactKey": "authlib@example.com",
        "attributeSets": [
            {
                "name": "Email Addresses",
                "items": [
                    {
                        "values": [
                            {"name": "Email Address", "value": "authlib@example.com"},
                            {"name": "HTML Enabled", "value": True},
                        ]
                    }
                ],
            }
        ],
    }

    response = session.post(f"{token['rest_instance_url']}contacts/v1/contacts", json=body)

    assert response.status_code == 200, response.text
    contact = Contact.objects.get(organization=organization)
    assert contact.contact_key == "authlib@example.com"
    assert response.json()["contactId"] == contact.pk
    assert response.json()["isNewContactKey"] is True
