"""One contact reads the same everywhere: a contact created through each dialect, read back through every dialect
(5 x 5), shows the same name, phone and email in each dialect's own shape, and an empty value as the dialect's
declared empty value (null in all five), never "".

The names follow one rule (contacts/selectors.py): a dialect's `name` is the contact's name, else its full name;
Contactship's `full_name` is the full name, else the name. Mobivate has no name field, and SFMC's email search
shows only contact keys, of the contacts that have one."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from contacts.models import Contact
from contacts.models.credentials import ALL_SCOPES
from contacts.services import credentials
from tests.dialects.base import Awal
from tests.factories import make_api_key
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

DIALECTS = ["mobivate", "contactship", "callbell", "awal", "sfmc"]
CREATED = {
    "mobivate": Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"),
    "contactship": Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"),
    "sfmc": Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"),
}
CREATED["callbell"] = CREATED["awal"] = CREATED["contactship"]

SFMC_CREATE = {
    "contactKey": "juan@ejemplo.com",
    "attributeSets": [
        {
            "name": "Email Addresses",
            "items": [
                {
                    "values": [
                        {"name": "Email Address", "value": "juan@ejemplo.com"},
                        {"name": "HTML Enabled", "value": True},
                    ]
                }
            ],
        },
        {
            "name": "Email Demographics",
            "items": [{"values": [{"name": "First Name", "value": "Juan"}, {"name": "Last Name", "value": "Pérez"}]}],
        },
        {
            "name": "MobileConnect Demographics",
            "items": [
                {"values": [{"name": "Mobile Number", "value": "212-456-7890"}, {"name": "Locale", "value": "US"}]}
            ],
        },
    ],
}


class Dialects:
    """Credentials for all five dialects in one organization, and one create and one read through each."""

    def __init__(self, organization) -> None:
        self.organization = organization
        key = make_api_key(organization)[1]
        self.mobivate = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")
        self.contactship = APIClient(HTTP_X_API_KEY=key)
        self.callbell = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")
        self.awal = Awal.authenticate(APIClient(), organization)
        client, _ = credentials.create_oauth_client(organization=organization, name="SFMC", client_id="x", secret="s")
        _, token = credentials.issue_access_token(client, scopes=ALL_SCOPES, scope_text="")
        self.sfmc = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")

    def create(self, dialect: str) -> Contact:
        """The contract's own example in each dialect, with one person's values: Juan Pérez, +1 212 456 7890."""
        if dialect == "mobivate":
            body = {"alias": "juan", "msisdn": "12124567890", "meta": {"CITY": "Quito"}}
            response = self.mobivate.post("/mobivate/addressbook/contacts", body, format="json")
        elif dialect == "contactship":
            body = {"phone_number": "+12124567890", "full_name": "Juan Pérez", "email": "juan@ejemplo.com"}
            response = self.contactship.post("/contactship/v1/contacts", body, format="json")
        elif dialect == "callbell":
            body = {"identifier": "12124567890", "source": "whatsapp", "name": "Juan Pérez"}
            response = self.callbell.post("/callbell/v1/contacts", body, format="json")
        elif dialect == "awal":
            fields = {"name": "Juan", "full_name": "Juan Pérez", "phone": "12124567890", "email": "juan@ejemplo.com"}
            response = self.awal.create(fields)
        else:
            response = self.sfmc.post("/sfmc/contacts/v1/contacts", SFMC_CREATE, format="json")
        assert response.status_code in (200, 201), response.content
        return Contact.objects.get(organization=self.organization)

    def read(self, dialect: str, contact: Contact) -> dict:
        """The contact as `dialect` shows it, without its envelope."""
        if dialect == "mobivate":
            response = self.mobivate.get("/mobivate/addressbook/contacts")
            assert response.status_code == 200
            [record] = response.json()["records"]
            return record
        if dialect == "contactship":
            response = self.contactship.get(f"/contactship/v1/contacts/{contact.uuid}")
            assert response.status_code == 200
            return response.json()
        if dialect == "callbell":
            response = self.callbell.get(f"/callbell/v1/contacts/{contact.uuid.hex}")
            assert response.status_code == 200
            [shown] = response.json()["contact"]
            return shown
        if dialect == "awal":
            response = self.awal.get(f"/contacts/{contact.pk}")
            assert response.status_code == 200
            return response.json()["data"]
        response = self.sfmc.post(
            "/sfmc/contacts/v1/addresses/email/search",
            {"channelAddressList": ["juan@ejemplo.com"], "maximumCount": 5},
            format="json",
        )
        assert response.status_code == 200
        [entity] = response.json()["channelAddressResponseEntities"]
        return entity


# What each creating dialect writes, in the canonical fields the readers show.
NAME = {"mobivate": None, "contactship": None, "callbell": "Juan Pérez", "awal": "Juan", "sfmc": "Juan Pérez"}
FULL_NAME = {
    "mobivate": None,
    "contactship": "Juan Pérez",
    "callbell": None,
    "awal": "Juan Pérez",
    "sfmc": "Juan Pérez",
}
EMAIL = {
    "mobivate": None,
    "contactship": "juan@ejemplo.com",
    "callbell": None,
    "awal": "juan@ejemplo.com",
    "sfmc": "juan@ejemplo.com",
}
# Only Callbell's create names a source; the others' contacts came through the API.
SOURCE = {"mobivate": "api", "contactship": "api", "callbell": "whatsapp", "awal": "api", "sfmc": "api"}

# What the readers show: Callbell's and Awal's `name` falls back to the full name, Contactship's `full_name` to
# the name.
SHOWN_NAME = {
    "mobivate": None,
    "contactship": "Juan Pérez",
    "callbell": "Juan Pérez",
    "awal": "Juan",
    "sfmc": "Juan Pérez",
}
SHOWN_FULL_NAME = {
    "mobivate": None,
    "contactship": "Juan Pérez",
    "callbell": "Juan Pérez",
    "awal": "Juan Pérez",
    "sfmc": "Juan Pérez",
}


def expected(creator: str, reader: str, contact: Contact) -> dict:
    """The exact body `reader` shows for the contact `creator` wrote. Ids come from the row; every shown value
    is a literal above."""
    if reader == "mobivate":
        return {
            "id": str(contact.uuid),
            "alias": "juan" if creator == "mobivate" else None,
            "msisdn": "12124567890",
            "meta": {"CITY": "Quito"} if creator == "mobivate" else {},
            "created_on": CREATED["mobivate"],
        }
    if reader == "contactship":
        return {
            "id": str(contact.uuid),
            "created_at": CREATED["contactship"],
            "phone_number": "+12124567890",
            "full_name": SHOWN_FULL_NAME[creator],
            "country": None,
            "email": EMAIL[creator],
            "description": None,
            "additional_data": [{"type": "text", "field": "CITY", "value": "Quito"}] if creator == "mobivate" else [],
            "organization_id": contact.organization.public_id,
        }
    if reader == "callbell":
        return {
            "uuid": contact.uuid.hex,
            "name": SHOWN_NAME[creator],
            "phoneNumber": "12124567890",
            "avatarUrl": None,
            "blockedAt": None,
            "createdAt": CREATED["callbell"],
            "source": SOURCE[creator],
            "funnelId": None,
            "closedAt": None,
            "href": f"http://testserver/admin/contacts/contact/{contact.pk}/change/",
            "conversationHref": None,
            "tags": [],
            "assignedUser": None,
            "customFields": {"CITY": "Quito"} if creator == "mobivate" else {},
            "team": None,
            "channel": None,
            "botStatus": None,
            "note": None,
        }
    if reader == "awal":
        return {
            "id": contact.pk,
            "name": SHOWN_NAME[creator],
            "phone": "12124567890",
            "email": EMAIL[creator],
            "contact_group_id": None,
            "is_favorite": False,
            "avatar": None,
            "created_at": CREATED["awal"],
        }
    keys = [{"contactKey": "juan@ejemplo.com", "createDate": CREATED["sfmc"]}] if creator == "sfmc" else []
    return {"contactKeyDetails": keys, "channelAddress": "juan@ejemplo.com"}


@pytest.mark.parametrize("reader", DIALECTS)
@pytest.mark.parametrize("creator", DIALECTS)
def test_a_contact_created_in_one_dialect_reads_the_same_in_every_other(organization, creator, reader):
    dialects = Dialects(organization)
    contact = dialects.create(creator)
    # The canonical row each creator writes: what the readers' names and emails are derived from.
    assert (contact.name or None, contact.full_name or None, contact.email or None, contact.phone_e164) == (
        NAME[creator],
        FULL_NAME[creator],
        EMAIL[creator],
        "+12124567890",
    )

    assert dialects.read(reader, contact) == expected(creator, reader, contact)


@pytest.mark.parametrize("reader", ["mobivate", "contactship", "callbell", "awal"])
def test_a_contact_without_name_email_or_phone_shows_null_for_each(organization, reader):
    """A contact SFMC created with only an email address: every dialect shows its missing values as null."""
    dialects = Dialects(organization)
    body = {"contactKey": "k-1", "attributeSets": [SFMC_CREATE["attributeSets"][0]]}
    assert dialects.sfmc.post("/sfmc/contacts/v1/contacts", body, format="json").status_code == 200
    contact = Contact.objects.get(organization=organization)

    shown = dialects.read(reader, contact)

    empty = {
        "mobivate": {"alias": None, "msisdn": None, "meta": {}},
        "contactship": {"phone_number": None, "full_name": None, "country": None, "description": None},
        "callbell": {"name": None, "phoneNumber": None, "avatarUrl": None, "note": None, "botStatus": None},
        "awal": {"name": None, "phone": None, "avatar": None, "contact_group_id": None},
    }[reader]
    assert {field: shown[field] for field in empty} == empty
    assert "" not in shown.values()
