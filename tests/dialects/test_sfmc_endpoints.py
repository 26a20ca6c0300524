"""SFMC sibling endpoints (delete, email search, attribute set definitions) and the dialect's error bodies."""

import json
from pathlib import Path
from unittest import mock

import pytest

from contacts.models import ChannelIdentity, Contact
from contacts.models.credentials import ALL_SCOPES
from contacts.services import credentials
from tests.dialects.sfmc_support import assert_sfmc_rate_limited
from tests.factories import ContactFactory
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "sfmc"
CONTACTS_URL = "/sfmc/contacts/v1/contacts"
DELETE_URL = "/sfmc/contacts/v1/contacts/actions/delete"
SEARCH_URL = "/sfmc/contacts/v1/addresses/email/search"
DEFINITIONS_URL = "/sfmc/contacts/v1/attributeSetDefinitions"


UUID = Matches(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIMESTAMP = Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def error(message: str, errorcode: int) -> dict:
    return {"message": message, "errorcode": errorcode, "documentation": ""}


@pytest.fixture
def oauth_client(organization):
    client, _ = credentials.create_oauth_client(organization=organization, name="SFMC", client_id="sfmc", secret="s")
    return client


def bearer(client, scopes=ALL_SCOPES) -> dict:
    _, raw = credentials.issue_access_token(client, scopes=list(scopes), scope_text="")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def sfmc(api_client, oauth_client):
    api_client.credentials(**bearer(oauth_client))
    return api_client


def sfmc_datetime(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# --- delete -----------------------------------------------------------------------------------------------------


def delete_body(*warnings) -> dict:
    return {
        "operationInitiated": True,
        "operationID": mock.ANY,
        "requestServiceMessageID": UUID,
        "responseDateTime": TIMESTAMP,
        "hasErrors": False,
        "resultMessages": [
            {"resultType": "Warning", "resultCode": "ContactNotFound", "resultClass": "Contact", "resultMessage": text}
            for text in warnings
        ],
        "serviceMessageID": UUID,
    }


def test_delete_by_keys_with_the_documented_body(sfmc, organization):
    sfmc.post(CONTACTS_URL, load("create_contact_request.json"), format="json")
    kept = ContactFactory(organization=organization, contact_key="kept")

    response = sfmc.post(f"{DELETE_URL}?type=keys", load("delete_by_keys_request.json"), format="json")

    assert response.status_code == 200
    body = response.json()
    assert body == delete_body()
    assert isinstance(body["operationID"], int)
    assert body["operationID"] > 0
    assert list(Contact.objects.all()) == [kept]
    assert ChannelIdentity.objects.count() == 0


def test_delete_by_ids_reports_unknown_ids_as_warnings(sfmc, organization, other_organization):
    first, second = ContactFactory(organization=organization), ContactFactory(organization=organization)
    theirs = ContactFactory(organization=other_organization)
    body = {"values": [first.pk, str(second.pk), theirs.pk], "DeleteOperationType": "ContactAndAttributes"}

    response = sfmc.post(f"{DELETE_URL}?type=ids", body, format="json")

    assert response.status_code == 200
    assert response.json() == delete_body(f"No contact with id {theirs.pk}")
    assert list(Contact.objects.all()) == [theirs]


def test_delete_of_unknown_keys_still_succeeds(sfmc):
    response = sfmc.post(f"{DELETE_URL}?type=keys", {"values": ["ghost"]}, format="json")

    assert response.status_code == 200
    assert response.json() == delete_body("No contact with key ghost")


@pytest.mark.parametrize(
    ("query", "body", "status", "expected"),
    [
        pytest.param("", {"values": ["a"]}, 400, error("The type query parameter is required: keys or ids", 10002), id="no-type"),
        pytest.param("?type=emails", {"values": ["a"]}, 400, error("Unknown type 'emails': expected keys or ids", 10003), id="bad-type"),
        pytest.param("?type=keys", {}, 400, error("values is required", 10002), id="no-values"),
        pytest.param("?type=keys", {"values": "a"}, 400, error("values must be a non-empty array", 10003), id="values-not-list"),
        pytest.param("?type=keys", {"values": [1]}, 400, error("values must be contact keys (non-empty strings)", 10003), id="numeric-key"),
        pytest.param("?type=ids", {"values": ["abc"]}, 400, error("values must be contact ids (positive integers)", 10003), id="non-numeric-id"),
        pytest.param(
            "?type=keys",
            {"values": ["a"], "DeleteOperationType": "AttributesOnly"},
            400,
            error("DeleteOperationType must be ContactAndAttributes (the only supported type)", 10003),
            id="operation-type",
        ),
        pytest.param("?type=keys", {"values": ["k"] * 101}, 400, error("values accepts at most 100 entries", 10004), id="too-many"),
        pytest.param("?type=keys", ["a"], 400, error("The request body must be a JSON object", 10000), id="array-body"),
    ],
)  # fmt: skip
def test_bad_delete_requests_are_rejected(sfmc, organization, query, body, status, expected):
    contact = ContactFactory(organization=organization, contact_key="a")

    response = sfmc.post(f"{DELETE_URL}{query}", body, format="json")

    assert response.status_code == status
    assert response.json() == expected
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_delete_needs_the_delete_scope(api_client, oauth_client, organization):
    ContactFactory(organization=organization, contact_key="a")
    headers = bearer(oauth_client, scopes=["contacts:read", "contacts:create", "contacts:update"])

    response = api_client.post(f"{DELETE_URL}?type=keys", {"values": ["a"]}, format="json", **headers)

    assert response.status_code == 403
    assert response.json() == error(
        "Insufficient privileges: the access token lacks the list_and_subscribers_write scope", 20002
    )
    assert Contact.objects.count() == 1


# --- email search -----------------------------------------------------------------------------------------------


def test_email_search_with_the_documented_body(sfmc, organization):
    older = ContactFactory(organization=organization, email="acruz@example.com", contact_key="acruz-1")
    newer = ContactFactory(organization=organization, email="ACruz@Example.com", contact_key="acruz-2")
    ContactFactory(organization=organization, email="acruz@example.com", contact_key=None)

    response = sfmc.post(SEARCH_URL, load("email_search_request.json"), format="json")

    assert response.status_code == 200
    assert response.json() == {
        "channelAddressResponseEntities": [
            {
                "contactKeyDetails": [
                    {"contactKey": "acruz-1", "createDate": sfmc_datetime(older.created_at)},
                    {"contactKey": "acruz-2", "createDate": sfmc_datetime(newer.created_at)},
                ],
                "channelAddress": "acruz@example.com",
            }
        ],
        "operationStatus": "OK",
        "requestServiceMessageID": UUID,
        "responseDateTime": TIMESTAMP,
        "hasErrors": False,
        "resultMessages": [],
        "serviceMessageID": UUID,
    }


def test_email_search_defaults_to_one_key_and_lists_unknown_addresses_empty(sfmc, organization, other_organization):
    ContactFactory(organization=organization, email="a@example.com", contact_key="a-1")
    ContactFactory(organization=organization, email="a@example.com", contact_key="a-2")
    ContactFactory(organization=other_organization, email="b@example.com", contact_key="theirs")

    response = sfmc.post(SEARCH_URL, {"channelAddressList": ["a@example.com", "b@example.com"]}, format="json")

    assert response.status_code == 200
    entities = response.json()["channelAddressResponseEntities"]
    assert entities == [
        {"contactKeyDetails": [{"contactKey": "a-1", "createDate": TIMESTAMP}], "channelAddress": "a@example.com"},
        {"contactKeyDetails": [], "channelAddress": "b@example.com"},
    ]


def test_email_search_query_count_does_not_grow_with_addresses(
    api_client, oauth_client, organization, django_assert_num_queries
):
    for index in range(20):
        ContactFactory(organization=organization, email=f"p{index}@example.com", contact_key=f"p{index}")
    headers = bearer(oauth_client)
    for size in (1, 20):
        body = {"channelAddressList": [f"p{index}@example.com" for index in range(size)], "maximumCount": 5}
        with django_assert_num_queries(4):  # savepoint, token, search, release
            response = api_client.post(SEARCH_URL, body, format="json", **headers)
        assert len(response.json()["channelAddressResponseEntities"]) == size


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({}, error("channelAddressList is required", 10002), id="missing"),
        pytest.param({"channelAddressList": []}, error("channelAddressList must be a non-empty array", 10003), id="empty"),
        pytest.param({"channelAddressList": [5]}, error("channelAddressList must contain email addresses (strings)", 10003), id="not-strings"),
        pytest.param({"channelAddressList": ["a@example.com"] * 101}, error("channelAddressList accepts at most 100 addresses", 10004), id="too-many"),
        pytest.param({"channelAddressList": ["a@example.com"], "maximumCount": 0}, error("maximumCount must be an integer from 1 to 100", 10003), id="bad-count"),
        pytest.param({"channelAddressList": ["a@example.com"], "maximumCount": True}, error("maximumCount must be an integer from 1 to 100", 10003), id="boolean-count"),
    ],
)  # fmt: skip
def test_bad_email_searches_are_rejected(sfmc, body, expected):
    response = sfmc.post(SEARCH_URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == expected


def test_email_search_needs_the_read_scope(api_client, oauth_client):
    headers = bearer(oauth_client, scopes=["contacts:create"])

    response = api_client.post(SEARCH_URL, {"channelAddressList": ["a@example.com"]}, format="json", **headers)

    assert response.status_code == 403
    assert response.json() == error(
        "Insufficient privileges: the access token lacks the list_and_subscribers_read scope", 20001
    )


# --- attribute set definitions ----------------------------------------------------------------------------------


def test_attribute_set_definitions_list_the_seven_sets(sfmc):
    response = sfmc.get(DEFINITIONS_URL)

    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("page", "pageSize", "count")} == {"page": 1, "pageSize": 50, "count": 7}
    assert [item["name"]["value"] for item in body["items"]] == [
        "Email Addresses",
        "Email Demographics",
        "MobileConnect Demographics",
        "MobilePush Demographics",
        "GroupConnect LINE Addresses",
        "GroupConnect LINE Subscriptions",
        "GroupConnect LINE Demographics",
    ]
    assert body["items"][0] == {
        "id": UUID,
        "key": "EmailAddresses",
        "name": {"value": "Email Addresses"},
        "fullyQualifiedName": "Email Addresses",
        "isReadOnly": False,
        "attributes": [
            {
                "id": UUID,
                "key": "EmailAddress",
                "name": {"value": "Email Address"},
                "dataType": "EmailAddress",
                "isNullable": False,
                "displayOrder": 1,
                "fullyQualifiedName": "Email Addresses.Email Address",
                "parentId": body["items"][0]["id"],
            },
            {
                "id": UUID,
                "key": "HTMLEnabled",
                "name": {"value": "HTML Enabled"},
                "dataType": "Boolean",
                "isNullable": False,
                "displayOrder": 2,
                "fullyQualifiedName": "Email Addresses.HTML Enabled",
                "parentId": body["items"][0]["id"],
            },
        ],
    }
    # Ids are stable across requests and servers.
    assert sfmc.get(DEFINITIONS_URL).json() == body


def test_attribute_set_definitions_are_paged(sfmc):
    response = sfmc.get(DEFINITIONS_URL, {"$page": "2", "$pageSize": "3"})

    assert response.status_code == 200
    body = response.json()
    assert (body["page"], body["pageSize"], body["count"]) == (2, 3, 7)
    assert [item["key"] for item in body["items"]] == [
        "MobilePushDemographics",
        "GroupConnectLINEAddresses",
        "GroupConnectLINESubscriptions",
    ]
    assert sfmc.get(DEFINITIONS_URL, {"page": "4", "pageSize": "3"}).json()["items"] == []


def test_attribute_set_definitions_query_count_does_not_grow_with_page_size(
    api_client, oauth_client, django_assert_num_queries
):
    headers = bearer(oauth_client)
    for size in ("1", "50"):
        with django_assert_num_queries(3):  # savepoint, token, release
            response = api_client.get(DEFINITIONS_URL, {"$pageSize": size}, **headers)
        assert len(response.json()["items"]) == min(int(size), 7)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"$page": "0"}, error("$page must be an integer of at least 1", 10003), id="page-zero"),
        pytest.param({"$pageSize": "x"}, error("$pageSize must be an integer from 1 to 100", 10003), id="size-text"),
        pytest.param({"pageSize": "101"}, error("$pageSize must be an integer from 1 to 100", 10003), id="size-big"),
    ],
)
def test_bad_paging_is_rejected(sfmc, query, expected):
    response = sfmc.get(DEFINITIONS_URL, query)

    assert response.status_code == 400
    assert response.json() == expected


def test_definitions_need_the_read_scope(api_client, oauth_client):
    response = api_client.get(DEFINITIONS_URL, **bearer(oauth_client, scopes=["contacts:create"]))

    assert response.status_code == 403
    assert response.json()["errorcode"] == 20001


# --- errors common to every endpoint ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_path_is_a_404_in_the_sfmc_body(api_client, method):
    response = getattr(api_client, method)("/sfmc/contacts/v1/nothing-here")

    assert response.status_code == 404
    assert response.json() == error("Resource not found", 10006)


def test_soap_instance_url_is_not_served(api_client):
    response = api_client.post("/sfmc/soap/", data="<Envelope/>", content_type="text/xml")

    assert response.status_code == 404
    assert response.json() == error("Resource not found", 10006)


def test_wrong_method_is_a_405(sfmc):
    response = sfmc.get(CONTACTS_URL)

    assert response.status_code == 405
    assert response.json() == error('Method "GET" not allowed.', 10005)


def test_unsupported_content_type_is_a_415(sfmc):
    response = sfmc.post(CONTACTS_URL, data="contactKey=a", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json() == error(
        'Unsupported media type "application/x-www-form-urlencoded" in request; send application/json', 10001
    )


def test_malformed_json_is_a_400(sfmc):
    response = sfmc.post(CONTACTS_URL, data='{"contactKey": "a",', content_type="application/json")

    assert response.status_code == 400
    assert response.json() == error(Matches(r"Malformed request body: JSON parse error - .+"), 10000)
    assert Contact.objects.count() == 0


def test_json_that_is_not_an_object_is_a_400(sfmc):
    response = sfmc.post(CONTACTS_URL, data="[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == error("The request body must be a JSON object", 10000)


def test_missing_token_is_not_authorized(api_client):
    response = api_client.post(CONTACTS_URL, load("create_contact_request.json"), format="json")

    assert response.status_code == 401
    assert response.json() == error("Not Authorized", 0)
    assert response["WWW-Authenticate"] == 'Bearer realm="sfmc"'
    assert Contact.objects.count() == 0


def test_api_key_is_not_an_access_token(api_client, api_key):
    _, secret = api_key

    response = api_client.get(DEFINITIONS_URL, HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 401
    assert response.json() == error("Not Authorized", 0)


def test_rate_limit_is_a_429_with_retry_after(sfmc, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "sfmc": "2/min"},
    }
    assert sfmc.get(DEFINITIONS_URL).status_code == 200
    assert sfmc.get(DEFINITIONS_URL).status_code == 200

    response = sfmc.post(CONTACTS_URL, load("create_contact_request.json"), format="json")

    assert_sfmc_rate_limited(response)
    assert Contact.objects.count() == 0


def test_unexpected_failure_is_a_500_in_the_sfmc_body_and_writes_nothing(sfmc):
    with mock.patch("contacts.services.contacts.write_channel_identities", side_effect=RuntimeError("boom")):
        response = sfmc.post(CONTACTS_URL, load("create_contact_request.json"), format="json")

    assert response.status_code == 500
    assert response.json() == error("An unexpected error occurred", 50000)
    assert Contact.objects.count() == 0
