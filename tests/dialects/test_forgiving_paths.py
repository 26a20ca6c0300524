"""Every dialect forgives what a base URL with a trailing slash produces (`/mobivate//addressbook/contacts`) and a
trailing slash on its paths; other malformed paths get the dialect's own 404, never Django's HTML page.

Awal signs the path: `/awal//contacts` is signed with the double slash, exactly as the client sent it.
"""

from __future__ import annotations

import json
import time

import pytest

from contacts.models import AccessToken, Contact
from contacts.models.credentials import ALL_SCOPES
from contacts.services import credentials
from contacts.services.contacts import create_contact
from tests.dialects.base import (
    CLIENT_SECRET,
    SENDER_ID,
    Awal,
    AwalTestClient,
    awal_signature,
    encode_form,
)
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

UUID = Matches(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MOBIVATE_CREATED_ON = Matches(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
SECONDS = Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
SFMC_TIMESTAMP = Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
TOKEN = Matches(r"[A-Za-z0-9_-]{40,}")
AWAL_SECONDS = Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
AWAL_REQUEST_ID = Matches(r"req_[0-9a-f]{32}")


def doubled(mount: str, path: str) -> list[str]:
    """`path` under `mount` with two and three slashes after the mount, a trailing slash, and both."""
    return [f"{mount}//{path}", f"{mount}///{path}", f"{mount}/{path}/", f"{mount}//{path}/"]


# --- Mobivate -------------------------------------------------------------------------------------------------


@pytest.fixture
def mobivate(api_client, api_key):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    return api_client


def mobivate_record(contact: Contact) -> dict:
    return {
        "id": str(contact.uuid),
        "alias": "john",
        "msisdn": "4479000000001",
        "meta": {},
        "created_on": MOBIVATE_CREATED_ON,
    }


def mobivate_not_found() -> dict:
    return {"success": False, "error": {"name": "NotFoundError", "statusCode": 404, "message": "Not found"}}


@pytest.mark.parametrize("path", doubled("/mobivate", "addressbook/contacts"))
def test_mobivate_list(mobivate, organization, path):
    john = create_contact(organization=organization, alias="john", phone="+4479000000001")

    response = mobivate.get(path)

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "records": [mobivate_record(john)],
        "offset": 0,
        "limit": 10,
        "total": 1,
    }


@pytest.mark.parametrize("path", doubled("/mobivate", "contacts") + doubled("/mobivate", "addressbook/contacts"))
def test_mobivate_create(mobivate, organization, path):
    body = {"alias": "john", "msisdn": "4479000000001"}

    response = mobivate.post(path, data=json.dumps(body), content_type="application/json")

    assert response.status_code == 200
    john = Contact.objects.get(organization=organization)
    assert response.json() == {"success": True, "record": mobivate_record(john)}


@pytest.mark.parametrize("path", doubled("/mobivate", "addressbook/contacts/4479000000001"))
def test_mobivate_delete(mobivate, organization, path):
    create_contact(organization=organization, alias="john", phone="+4479000000001")

    response = mobivate.delete(path)

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    "path", ["/mobivate/addressbook//contacts", "/mobivate//addressbook//contacts", "/mobivate/addressbook/contacts//"]
)
def test_mobivate_other_double_slashes_are_its_404(mobivate, path):
    response = mobivate.get(path)

    assert response.status_code == 404
    assert response.json() == mobivate_not_found()


# --- Contactship ----------------------------------------------------------------------------------------------


@pytest.fixture
def contactship(api_client, api_key):
    api_client.credentials(HTTP_X_API_KEY=api_key[1])
    return api_client


def contactship_object(contact: Contact) -> dict:
    return {
        "id": str(contact.uuid),
        "created_at": SECONDS,
        "phone_number": "+12124567890",
        "full_name": "Ana",
        "country": None,
        "email": None,
        "description": None,
        "additional_data": [],
        "organization_id": contact.organization.public_id,
    }


@pytest.mark.parametrize("path", doubled("/contactship", "v1/contacts"))
def test_contactship_list(contactship, organization, path):
    ana = create_contact(organization=organization, full_name="Ana", phone="+12124567890")

    response = contactship.get(path)

    assert response.status_code == 200
    assert response.json() == [contactship_object(ana)]


@pytest.mark.parametrize("path", doubled("/contactship", "v1/contacts"))
def test_contactship_create(contactship, organization, path):
    body = {"phone_number": "+12124567890", "full_name": "Ana"}

    response = contactship.post(path, data=json.dumps(body), content_type="application/json")

    assert response.status_code == 201
    ana = Contact.objects.get(organization=organization)
    assert response.json() == contactship_object(ana)


@pytest.mark.parametrize("template", doubled("/contactship", "v1/contacts/{uuid}"))
def test_contactship_get_and_delete(contactship, organization, template):
    ana = create_contact(organization=organization, full_name="Ana", phone="+12124567890")
    path = template.format(uuid=ana.uuid)

    got = contactship.get(path)
    deleted = contactship.delete(path)

    assert got.status_code == 200
    assert got.json() == contactship_object(ana)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert not Contact.objects.exists()


@pytest.mark.parametrize("path", ["/contactship/v1//contacts", "/contactship//v1//contacts"])
def test_contactship_other_double_slashes_are_its_404(contactship, path):
    response = contactship.get(path)

    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "error": "Not Found", "message": f"Cannot GET {path}"}


# --- Callbell -------------------------------------------------------------------------------------------------


@pytest.fixture
def callbell(api_client, api_key):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key[1]}")
    return api_client


def callbell_object(contact: Contact) -> dict:
    return {
        "uuid": contact.uuid.hex,
        "name": "John",
        "phoneNumber": "14155550123",
        "avatarUrl": None,
        "blockedAt": None,
        "createdAt": SECONDS,
        "source": "api",
        "funnelId": None,
        "closedAt": None,
        "href": f"http://testserver/admin/contacts/contact/{contact.pk}/change/",
        "conversationHref": None,
        "tags": [],
        "assignedUser": None,
        "customFields": {},
        "team": None,
        "channel": None,
        "botStatus": None,
        "note": None,
    }


@pytest.fixture
def john(organization):
    return create_contact(organization=organization, name="John", phone="+14155550123", source="api")


@pytest.mark.parametrize("path", doubled("/callbell", "v1/contacts"))
def test_callbell_list(callbell, john, path):
    response = callbell.get(path)

    assert response.status_code == 200
    assert response.json() == {"contacts": [callbell_object(john)]}


@pytest.mark.parametrize("template", doubled("/callbell", "v1/contacts/{uuid}"))
def test_callbell_get_and_delete(callbell, john, template):
    path = template.format(uuid=john.uuid.hex)

    got = callbell.get(path)
    deleted = callbell.delete(path)

    assert got.status_code == 200
    assert got.json() == {"contact": [callbell_object(john)]}
    assert deleted.status_code == 200
    assert deleted.json() == {"status": "contact was destroyed"}
    assert not Contact.objects.exists()


@pytest.mark.parametrize("path", doubled("/callbell", "v1/contacts/phone/14155550123"))
def test_callbell_get_by_phone(callbell, john, path):
    response = callbell.get(path)

    assert response.status_code == 200
    assert response.json() == {"contact": callbell_object(john)}


@pytest.mark.parametrize("path", doubled("/callbell", "v1/contacts"))
def test_callbell_create(callbell, organization, path):
    body = {"source": "whatsapp", "identifier": "14155550123", "name": "John"}

    response = callbell.post(path, data=json.dumps(body), content_type="application/json")

    assert response.status_code == 200
    john = Contact.objects.get(organization=organization)
    assert response.json() == {"contact": [{**callbell_object(john), "source": "whatsapp"}]}


@pytest.mark.parametrize("path", ["/callbell/v1//contacts", "/callbell//v1//contacts"])
def test_callbell_other_double_slashes_are_its_404(callbell, path):
    response = callbell.get(path)

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found", "details": {}}}


# --- Awal -----------------------------------------------------------------------------------------------------


@pytest.fixture
def awal(api_client, organization) -> AwalTestClient:
    return Awal.authenticate(api_client, organization)


def awal_contact(contact: Contact) -> dict:
    return {
        "id": contact.pk,
        "name": "Ahmed",
        "phone": "966501234567",
        "email": None,
        "contact_group_id": None,
        "is_favorite": False,
        "avatar": None,
        "created_at": AWAL_SECONDS,
    }


def awal_paths(path: str) -> list[str]:
    """As `doubled`, relative to the `/awal` mount the test client adds (and signs)."""
    return [variant.removeprefix("/awal") for variant in doubled("/awal", path)]


@pytest.mark.parametrize("path", awal_paths("contacts"))
def test_awal_list_signed_with_the_path_as_sent(awal, organization, path):
    ahmed = create_contact(organization=organization, name="Ahmed", phone="+966501234567")

    response = awal.get(path)

    assert response.status_code == 200
    assert response.json() == {
        "status": True,
        "message": "Contacts retrieved successfully",
        "data": [awal_contact(ahmed)],
        "meta": {"current_page": 1, "per_page": 15, "total": 1, "last_page": 1},
    }


@pytest.mark.parametrize("path", awal_paths("contacts"))
def test_awal_create_signed_with_the_path_as_sent(awal, organization, path):
    body = encode_form({"name": "Ahmed", "phone": "966501234567"})

    response = awal.request("POST", path, query=f"phone_number_id={SENDER_ID}", body=body)

    assert response.status_code == 201
    ahmed = Contact.objects.get(organization=organization)
    assert response.json() == {"status": True, "message": "Contact created successfully", "data": awal_contact(ahmed)}


@pytest.mark.parametrize("template", awal_paths("contacts/{id}"))
def test_awal_get_and_delete_signed_with_the_path_as_sent(awal, organization, template):
    ahmed = create_contact(organization=organization, name="Ahmed", phone="+966501234567")
    path = template.format(id=ahmed.pk)

    got = awal.get(path)
    deleted = awal.delete(path)

    assert got.status_code == 200
    assert got.json() == {"status": True, "message": "Contact retrieved successfully", "data": awal_contact(ahmed)}
    assert deleted.status_code == 200
    assert deleted.json() == {"status": True, "message": "Contact deleted successfully"}
    assert not Contact.objects.exists()


@pytest.mark.parametrize(("sent", "signed"), [("//contacts", "/awal/contacts"), ("/contacts/", "/awal/contacts")])
def test_awal_signature_over_the_normalized_path_is_refused(awal, organization, sent, signed):
    """The client must sign what it sends; a server that normalized first would accept a different request."""
    timestamp = str(int(time.time()))
    signature = awal_signature(CLIENT_SECRET, "GET", signed, "", timestamp, b"")

    response = awal.get(sent, timestamp=timestamp, headers={"X-Awal-Signature-256": signature})

    assert response.status_code == 401
    assert response.json() == {
        "error": "authentication_failed",
        "message": "The signature does not match the request, or the client ID is unknown",
        "details": {},
        "request_id": AWAL_REQUEST_ID,
    }
    assert response["WWW-Authenticate"] == 'HMAC-SHA256 realm="awal"'


@pytest.mark.parametrize("path", ["/contacts//1", "/contacts/1//", "//contacts//"])
def test_awal_other_double_slashes_are_its_404(awal, path):
    response = awal.get(path)

    assert response.status_code == 404
    assert response.json() == {
        "error": "resource_not_found",
        "message": f"No Awal endpoint at GET /awal{path}",
        "details": {},
        "request_id": AWAL_REQUEST_ID,
    }


# --- SFMC -----------------------------------------------------------------------------------------------------


@pytest.fixture
def oauth_client(organization):
    client, _ = credentials.create_oauth_client(organization=organization, name="SFMC", client_id="sfmc", secret="s")
    return client


@pytest.fixture
def sfmc(api_client, oauth_client):
    _, raw = credentials.issue_access_token(oauth_client, scopes=list(ALL_SCOPES), scope_text="")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api_client


@pytest.mark.parametrize("path", [*doubled("/sfmc", "v2/token"), "/sfmc///V2/Token/"])
def test_sfmc_token_and_its_rest_instance_url(api_client, oauth_client, path):
    body = {"grant_type": "client_credentials", "client_id": "sfmc", "client_secret": "s"}

    response = api_client.post(path, body, format="json")

    assert response.status_code == 200
    # The URLs the client follows next are the canonical ones, whatever it called.
    assert response.json() == {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 1080,
        "scope": "list_and_subscribers_read list_and_subscribers_write",
        "rest_instance_url": "http://testserver/sfmc/",
        "soap_instance_url": "http://testserver/sfmc/soap/",
    }
    assert AccessToken.objects.count() == 1


@pytest.mark.parametrize("path", doubled("/sfmc", "contacts/v1/contacts"))
def test_sfmc_create(sfmc, organization, path):
    body = {
        "contactKey": "a@example.com",
        "attributeSets": [
            {
                "name": "Email Addresses",
                "items": [
                    {
                        "values": [
                            {"name": "Email Address", "value": "a@example.com"},
                            {"name": "HTML Enabled", "value": True},
                        ]
                    }
                ],
            }
        ],
    }

    response = sfmc.post(path, body, format="json")

    assert response.status_code == 200
    contact = Contact.objects.get(organization=organization)
    assert response.json() == {
        "operationStatus": "OK",
        "rowsAffetcted": 1,
        "contactKey": "a@example.com",
        "contactId": contact.pk,
        "contactTypeID": 0,
        "isNewContactKey": True,
        "requestServiceMessageID": UUID,
        "hasErrors": False,
        "resultMessages": [],
        "serviceMessageID": UUID,
    }


@pytest.mark.parametrize("path", doubled("/sfmc", "contacts/v1/contacts/actions/delete"))
def test_sfmc_delete(sfmc, organization, path):
    create_contact(organization=organization, contact_key="gone", email="gone@example.com")

    response = sfmc.post(f"{path}?type=keys", {"values": ["gone"]}, format="json")

    assert response.status_code == 200
    assert response.json()["operationInitiated"] is True
    assert response.json()["resultMessages"] == []
    assert not Contact.objects.exists()


@pytest.mark.parametrize("path", doubled("/sfmc", "contacts/v1/addresses/email/search"))
def test_sfmc_email_search(sfmc, organization, path):
    create_contact(organization=organization, contact_key="a-1", email="a@example.com")

    response = sfmc.post(path, {"channelAddressList": ["a@example.com"]}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "channelAddressResponseEntities": [
            {
                "contactKeyDetails": [{"contactKey": "a-1", "createDate": SFMC_TIMESTAMP}],
                "channelAddress": "a@example.com",
            }
        ],
        "operationStatus": "OK",
        "requestServiceMessageID": UUID,
        "responseDateTime": SFMC_TIMESTAMP,
        "hasErrors": False,
        "resultMessages": [],
        "serviceMessageID": UUID,
    }


@pytest.mark.parametrize("path", doubled("/sfmc", "contacts/v1/attributeSetDefinitions"))
def test_sfmc_attribute_set_definitions(sfmc, path):
    response = sfmc.get(f"{path}?$pageSize=1")

    assert response.status_code == 200
    body = response.json()
    assert (body["page"], body["pageSize"], body["count"]) == (1, 1, 7)
    assert [item["key"] for item in body["items"]] == ["EmailAddresses"]


@pytest.mark.parametrize(
    "path", ["/sfmc/v2//token", "/sfmc/contacts/v1//contacts", "/sfmc/contacts//v1/contacts/", "/sfmc/v2/token//"]
)
def test_sfmc_other_double_slashes_are_its_404(sfmc, path):
    response = sfmc.post(path, {}, format="json")

    assert response.status_code == 404
    assert response.json() == {"message": "Resource not found", "errorcode": 10006, "documentation": ""}
