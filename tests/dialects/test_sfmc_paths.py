"""SFMC paths and query parameter names match in any case, as Salesforce's do.

Salesforce's Node client (fuel-rest 3) lowercases the whole URL it resolves against `rest_instance_url`, so it
asks for `/contacts/v1/attributesetdefinitions?$pagesize=2&$page=2`; other clients copy the documented casing.
"""

from __future__ import annotations

import pytest

from contacts.models import Contact
from tests.dialects.base import Sfmc
from tests.factories import ContactFactory
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

UUID = Matches(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIMESTAMP = Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
TOKEN = Matches(r"[A-Za-z0-9_-]{40,}")
DEFINITION_KEYS = [
    "EmailAddresses",
    "EmailDemographics",
    "MobileConnectDemographics",
    "MobilePushDemographics",
    "GroupConnectLINEAddresses",
    "GroupConnectLINESubscriptions",
    "GroupConnectLINEDemographics",
]
NOT_FOUND = {"message": "Resource not found", "errorcode": 10006, "documentation": ""}


error = Sfmc.error
oauth_client = Sfmc.oauth_client_fixture()
sfmc = Sfmc.client_fixture()


def variants(path: str) -> list[str]:
    """The documented spelling, all lower case (fuel-rest), all upper case, and a mixed case."""
    mixed = "".join(char.upper() if index % 2 else char.lower() for index, char in enumerate(path))
    return list(dict.fromkeys([path, path.lower(), path.upper(), mixed]))


def email_contact(key: str) -> dict:
    return {
        "contactKey": key,
        "attributeSets": [
            {
                "name": "Email Addresses",
                "items": [
                    {"values": [{"name": "Email Address", "value": key}, {"name": "HTML Enabled", "value": True}]}
                ],
            }
        ],
    }


def operation_ok(contact: Contact, *, is_new: bool) -> dict:
    return {
        "operationStatus": "OK",
        "rowsAffetcted": 1,
        "contactKey": contact.contact_key,
        "contactId": contact.pk,
        "contactTypeID": 0,
        "isNewContactKey": is_new,
        "requestServiceMessageID": UUID,
        "hasErrors": False,
        "resultMessages": [],
        "serviceMessageID": UUID,
    }


# --- every route, in every case -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", variants("v2/token"))
def test_token_endpoint_in_any_case(api_client, oauth_client, path):
    body = {"grant_type": "client_credentials", "client_id": "sfmc", "client_secret": "s"}

    response = api_client.post(f"/sfmc/{path}", body, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 1080,
        "scope": "list_and_subscribers_read list_and_subscribers_write",
        "rest_instance_url": "http://testserver/sfmc/",
        "soap_instance_url": "http://testserver/sfmc/soap/",
    }


@pytest.mark.parametrize("path", variants("contacts/v1/contacts"))
def test_create_in_any_case(sfmc, path):
    response = sfmc.post(f"/sfmc/{path}", email_contact("a@example.com"), format="json")

    assert response.status_code == 200
    contact = Contact.objects.get()
    assert (contact.contact_key, contact.email) == ("a@example.com", "a@example.com")
    assert response.json() == operation_ok(contact, is_new=True)


@pytest.mark.parametrize("path", variants("contacts/v1/contacts"))
def test_update_in_any_case(sfmc, organization, path):
    contact = ContactFactory(organization=organization, contact_key="a@example.com", email="old@example.com")

    response = sfmc.patch(f"/sfmc/{path}", email_contact("a@example.com"), format="json")

    assert response.status_code == 200
    assert response.json() == operation_ok(contact, is_new=False)
    contact.refresh_from_db()
    assert contact.email == "a@example.com"


@pytest.mark.parametrize("path", variants("contacts/v1/contacts/actions/delete"))
def test_delete_in_any_case(sfmc, organization, path):
    ContactFactory(organization=organization, contact_key="gone")
    kept = ContactFactory(organization=organization, contact_key="kept")

    response = sfmc.post(f"/sfmc/{path}?type=keys", {"values": ["gone"]}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["operationID"], int) and body["operationID"] > 0
    assert body == {
        "operationInitiated": True,
        "operationID": body["operationID"],
        "requestServiceMessageID": UUID,
        "responseDateTime": TIMESTAMP,
        "hasErrors": False,
        "resultMessages": [],
        "serviceMessageID": UUID,
    }
    assert list(Contact.objects.all()) == [kept]


@pytest.mark.parametrize("path", variants("contacts/v1/addresses/email/search"))
def test_email_search_in_any_case(sfmc, organization, path):
    ContactFactory(organization=organization, email="a@example.com", contact_key="a-1")

    response = sfmc.post(f"/sfmc/{path}", {"channelAddressList": ["a@example.com"]}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "channelAddressResponseEntities": [
            {"contactKeyDetails": [{"contactKey": "a-1", "createDate": TIMESTAMP}], "channelAddress": "a@example.com"}
        ],
        "operationStatus": "OK",
        "requestServiceMessageID": UUID,
        "responseDateTime": TIMESTAMP,
        "hasErrors": False,
        "resultMessages": [],
        "serviceMessageID": UUID,
    }


@pytest.mark.parametrize("path", variants("contacts/v1/attributeSetDefinitions"))
def test_attribute_set_definitions_in_any_case(sfmc, path):
    response = sfmc.get(f"/sfmc/{path}")

    assert response.status_code == 200
    body = response.json()
    assert (body["page"], body["pageSize"], body["count"]) == (1, 50, 7)
    assert [item["key"] for item in body["items"]] == DEFINITION_KEYS


def test_the_path_fuel_rest_sends_is_answered(sfmc):
    """Exactly what fuel-rest 3.2.2 requests for `/contacts/v1/attributeSetDefinitions?$pageSize=2&$page=2`."""
    response = sfmc.get("/sfmc/contacts/v1/attributesetdefinitions?$pagesize=2&$page=2")

    assert response.status_code == 200
    body = response.json()
    assert (body["page"], body["pageSize"], body["count"]) == (2, 2, 7)
    assert [item["key"] for item in body["items"]] == ["MobileConnectDemographics", "MobilePushDemographics"]


@pytest.mark.parametrize(
    "path",
    ["CONTACTS/V1/NOTHING", "contacts/v2/contacts", "Contacts/V1/Contacts/Actions", "v2/tokens", "V2/TOKEN/x"],
)
def test_unknown_paths_stay_404_in_any_case(sfmc, path):
    response = sfmc.get(f"/sfmc/{path}")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("path", variants("contacts/v1/attributeSetDefinitions"))
def test_a_missing_token_is_401_in_any_case(api_client, path):
    response = api_client.get(f"/sfmc/{path}")

    assert response.status_code == 401
    assert response.json() == error("Not Authorized", 0)


# --- query parameter names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "$page=2&$pageSize=3",
        "$page=2&$pagesize=3",
        "$PAGE=2&$PAGESIZE=3",
        "$Page=2&$PaGeSiZe=3",
        "page=2&pagesize=3",
        "PAGE=2&PAGESIZE=3",
        "Page=2&PageSize=3",
    ],
)
def test_page_parameters_in_any_case(sfmc, query):
    response = sfmc.get(f"/sfmc/contacts/v1/attributeSetDefinitions?{query}")

    assert response.status_code == 200
    body = response.json()
    assert (body["page"], body["pageSize"], body["count"]) == (2, 3, 7)
    assert [item["key"] for item in body["items"]] == [
        "MobilePushDemographics",
        "GroupConnectLINEAddresses",
        "GroupConnectLINESubscriptions",
    ]


def test_a_parameter_repeated_in_another_case_with_the_same_value_is_fine(sfmc):
    response = sfmc.get("/sfmc/contacts/v1/attributeSetDefinitions?$pageSize=2&$pagesize=2")

    assert response.status_code == 200
    assert response.json()["pageSize"] == 2


@pytest.mark.parametrize(
    ("query", "name"),
    [("$pageSize=2&$pagesize=3", "$pageSize"), ("$page=1&$PAGE=2", "$page"), ("pagesize=2&PageSize=5", "pageSize")],
)
def test_a_parameter_repeated_with_different_values_is_a_400(sfmc, query, name):
    response = sfmc.get(f"/sfmc/contacts/v1/attributeSetDefinitions?{query}")

    assert response.status_code == 400
    assert response.json() == error(f"{name} is given more than once with different values", 10003)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("$pagesize=0", "$pageSize must be an integer from 1 to 100"),
        ("PAGESIZE=101", "$pageSize must be an integer from 1 to 100"),
        ("$PAGE=x", "$page must be an integer of at least 1"),
    ],
)
def test_bad_values_under_any_spelling_are_400(sfmc, query, message):
    response = sfmc.get(f"/sfmc/contacts/v1/attributeSetDefinitions?{query}")

    assert response.status_code == 400
    assert response.json() == error(message, 10003)


@pytest.mark.parametrize("query", ["type=keys", "TYPE=keys", "Type=Keys", "type=KEYS"])
def test_delete_type_in_any_case(sfmc, organization, query):
    ContactFactory(organization=organization, contact_key="gone")

    response = sfmc.post(f"/sfmc/contacts/v1/contacts/actions/delete?{query}", {"values": ["gone"]}, format="json")

    assert response.status_code == 200
    assert response.json()["operationInitiated"] is True
    assert not Contact.objects.exists()


@pytest.mark.parametrize("query", ["TYPE=IDS", "Type=ids"])
def test_delete_by_ids_in_any_case(sfmc, organization, query):
    contact = ContactFactory(organization=organization)

    response = sfmc.post(f"/sfmc/contacts/v1/contacts/actions/delete?{query}", {"values": [contact.pk]}, format="json")

    assert response.status_code == 200
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("query", "status", "expected"),
    [
        ("TYPE=", 400, error("The type query parameter is required: keys or ids", 10002)),
        ("Type=emails", 400, error("Unknown type 'emails': expected keys or ids", 10003)),
        ("type=keys&TYPE=ids", 400, error("type is given more than once with different values", 10003)),
    ],
)
def test_bad_delete_type_under_any_spelling(sfmc, organization, query, status, expected):
    ContactFactory(organization=organization, contact_key="kept")

    response = sfmc.post(f"/sfmc/contacts/v1/contacts/actions/delete?{query}", {"values": ["kept"]}, format="json")

    assert response.status_code == status
    assert response.json() == expected
    assert Contact.objects.count() == 1
