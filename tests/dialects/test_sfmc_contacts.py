"""SFMC `POST` and `PATCH /sfmc/contacts/v1/contacts`: the contract's example, the attribute-set rules, upserts."""

import copy
import json
from pathlib import Path

import pytest

from contacts.models import ChannelIdentity, Contact
from contacts.models.credentials import ALL_SCOPES
from contacts.services import credentials
from contacts.services.contacts import create_contact
from tests.factories import ContactFactory
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "sfmc"
URL = "/sfmc/contacts/v1/contacts"


UUID4 = Matches(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

CONTRACT_ATTRIBUTES = {
    "Email Addresses": [{"Email Address": "acruz@example.com", "HTML Enabled": True}],
    "Email Demographics": [
        {
            "Last Name": "Cruz",
            "First Name": "Angela",
            "Text Profile Attribute": "value 1",
            "Number Profile Attribute": 12345,
        }
    ],
    "MobileConnect Demographics": [{"Mobile Number": "317-531-5555", "Locale": "US", "Status": 1}],
    "MobilePush Demographics": [{"Device ID": 958405948, "Application": 958405948}],
    "GroupConnect LINE Addresses": [{"Address ID": "addressId_from_api"}],
    "GroupConnect LINE Subscriptions": [{"Address ID": "addressId_from_api", "Channel ID": "1234567890"}],
    "GroupConnect LINE Demographics": [
        {
            "Address ID": "addressId_from_api",
            "Display Name": "display_name",
            "Picture Url": "picture_url",
            "Status Message": "status_message",
        }
    ],
}


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


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


def email_set(address="acruz@example.com", html=True):
    values = [{"name": "Email Address", "value": address}]
    if html is not None:
        values.append({"name": "HTML Enabled", "value": html})
    return {"name": "Email Addresses", "items": [{"values": values}]}


def attribute_set(name, **values):
    return {"name": name, "items": [{"values": [{"name": k.replace("_", " "), "value": v} for k, v in values.items()]}]}


def ok_body(contact: Contact, *, is_new: bool) -> dict:
    return {
        "operationStatus": "OK",
        "rowsAffetcted": 1,
        "contactKey": contact.contact_key,
        "contactId": contact.pk,
        "contactTypeID": 0,
        "isNewContactKey": is_new,
        "requestServiceMessageID": UUID4,
        "hasErrors": False,
        "resultMessages": [],
        "serviceMessageID": UUID4,
    }


def fail_body(*messages, contact_key="acruz@example.com", contact_id=None) -> dict:
    return {
        "operationStatus": "FAIL",
        "rowsAffetcted": 0,
        "contactKey": contact_key,
        "contactId": contact_id,
        "contactTypeID": 0,
        "isNewContactKey": False,
        "requestServiceMessageID": UUID4,
        "hasErrors": True,
        "resultMessages": [
            {"resultType": "Error", "resultCode": code, "resultClass": "Contact", "resultMessage": message}
            for code, message in messages
        ],
        "serviceMessageID": UUID4,
    }


# --- the contract's example ---------------------------------------------------------------------------------------


def test_contract_example_creates_the_contact(sfmc, organization):
    response = sfmc.post(URL, load("create_contact_request.json"), format="json")

    assert response.status_code == 200
    contact = Contact.objects.get()
    body = response.json()
    assert body == ok_body(contact, is_new=True)
    # Same keys, in the same order, as the contract's example response.
    assert list(body) == list(load("create_contact_response.json"))
    assert isinstance(body["contactId"], int)
    assert body["requestServiceMessageID"] != body["serviceMessageID"]

    assert contact.organization == organization
    assert contact.contact_key == "acruz@example.com"
    assert contact.email == "acruz@example.com"
    assert (contact.name, contact.full_name) == ("Angela Cruz", "Angela Cruz")
    assert contact.phone_e164 == "+13175315555"
    assert contact.attributes == CONTRACT_ATTRIBUTES
    identities = {
        (identity.channel, identity.external_id): identity.details for identity in ChannelIdentity.objects.all()
    }
    assert identities == {
        ("push", "958405948"): {"application": "958405948"},
        ("line", "addressId_from_api"): {
            "channel_id": "1234567890",
            "display_name": "display_name",
            "picture_url": "picture_url",
            "status_message": "status_message",
        },
    }
    assert ChannelIdentity.objects.filter(contact=contact, organization=organization).count() == 2


def test_service_message_ids_are_fresh_per_request(sfmc):
    first = sfmc.post(URL, load("create_contact_request.json"), format="json").json()
    second = sfmc.post(URL, load("create_contact_request.json"), format="json").json()

    ids = {first["requestServiceMessageID"], first["serviceMessageID"]}
    ids |= {second["requestServiceMessageID"], second["serviceMessageID"]}
    assert len(ids) == 4


def test_create_with_all_seven_sets_stays_within_query_budget(api_client, oauth_client, django_assert_max_num_queries):
    # Token authentication is included in the budget.
    headers = bearer(oauth_client)
    with django_assert_max_num_queries(12):
        response = api_client.post(URL, load("create_contact_request.json"), format="json", **headers)
    assert response.status_code == 200


def test_update_with_all_seven_sets_stays_within_query_budget(api_client, oauth_client, django_assert_max_num_queries):
    headers = bearer(oauth_client)
    api_client.post(URL, load("create_contact_request.json"), format="json", **headers)
    # The change's event is one insert.
    with django_assert_max_num_queries(13):
        response = api_client.post(URL, load("create_contact_request.json"), format="json", **headers)
    assert response.json()["isNewContactKey"] is False


# --- upsert by contactKey / contactID -----------------------------------------------------------------------------


def test_existing_contact_key_updates_that_contact(sfmc, organization):
    existing = create_contact(
        organization=organization,
        name="Old Name",
        email="old@example.com",
        contact_key="acruz@example.com",
        attributes={"Email Demographics": [{"First Name": "Old"}], "Custom Set": [{"Kept": 1}]},
    )
    body = {"contactKey": "acruz@example.com", "attributeSets": [email_set("new@example.com")]}

    response = sfmc.post(URL, body, format="json")

    assert response.status_code == 200
    assert response.json() == ok_body(existing, is_new=False)
    assert Contact.objects.count() == 1
    existing.refresh_from_db()
    assert existing.email == "new@example.com"
    assert existing.name == "Old Name"  # not in this request's sets, so unchanged
    assert existing.attributes == {
        "Email Demographics": [{"First Name": "Old"}],
        "Custom Set": [{"Kept": 1}],
        "Email Addresses": [{"Email Address": "new@example.com", "HTML Enabled": True}],
    }


def test_new_contact_key_creates_a_contact(sfmc, organization):
    ContactFactory(organization=organization, contact_key="someone-else")
    body = {"contactKey": "fresh-key", "attributeSets": [email_set("fresh@example.com")]}

    response = sfmc.post(URL, body, format="json")

    assert response.status_code == 200
    created = Contact.objects.get(contact_key="fresh-key")
    assert response.json() == ok_body(created, is_new=True)
    assert created.email == "fresh@example.com"
    assert created.attributes == {"Email Addresses": [{"Email Address": "fresh@example.com", "HTML Enabled": True}]}


def test_contact_key_of_another_organization_creates_a_new_contact(sfmc, organization, other_organization):
    theirs = ContactFactory(organization=other_organization, contact_key="acruz@example.com")
    body = {"contactKey": "acruz@example.com", "attributeSets": [email_set()]}

    response = sfmc.post(URL, body, format="json")

    assert response.json()["isNewContactKey"] is True
    ours = Contact.objects.get(organization=organization)
    assert response.json()["contactId"] == ours.pk != theirs.pk
    theirs.refresh_from_db()
    assert theirs.attributes == {}


def test_contact_id_without_key_updates_that_contact(sfmc, organization):
    existing = ContactFactory(organization=organization, contact_key=None, phone=None)
    body = {
        "contactID": str(existing.pk),
        "attributeSets": [attribute_set("MobileConnect Demographics", Mobile_Number="07911 123456", Locale="GB")],
    }

    response = sfmc.post(URL, body, format="json")

    assert response.status_code == 200
    assert response.json() == ok_body(existing, is_new=False) | {"contactKey": None}
    existing.refresh_from_db()
    assert existing.phone_e164 == "+447911123456"
    assert existing.attributes == {"MobileConnect Demographics": [{"Mobile Number": "07911 123456", "Locale": "GB"}]}


def test_unknown_contact_id_fails(sfmc, organization, other_organization):
    theirs = ContactFactory(organization=other_organization)
    body = {"contactID": theirs.pk, "attributeSets": [email_set()]}

    response = sfmc.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == fail_body(
        ("ContactNotFound", f"No contact with contactID {theirs.pk}"), contact_key=None, contact_id=theirs.pk
    )
    theirs.refresh_from_db()
    assert theirs.attributes == {}


def test_contact_id_that_is_not_the_keys_contact_fails(sfmc, organization):
    keyed = ContactFactory(organization=organization, contact_key="acruz@example.com")
    other = ContactFactory(organization=organization)
    body = {"contactKey": "acruz@example.com", "contactID": other.pk, "attributeSets": [email_set()]}

    response = sfmc.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == fail_body(
        ("ContactIDMismatch", f"contactID {other.pk} is not the contact with this contactKey"), contact_id=other.pk
    )
    keyed.refresh_from_db()
    assert keyed.attributes == {}


def test_update_through_post_needs_the_update_scope(api_client, oauth_client, organization):
    ContactFactory(organization=organization, contact_key="acruz@example.com", email="keep@example.com")
    headers = bearer(oauth_client, scopes=["contacts:create"])

    response = api_client.post(
        URL, {"contactKey": "acruz@example.com", "attributeSets": [email_set()]}, format="json", **headers
    )

    assert response.status_code == 403
    assert response.json() == {
        "message": "Insufficient privileges: the access token lacks the list_and_subscribers_write scope",
        "errorcode": 20002,
        "documentation": "",
    }
    assert Contact.objects.get().email == "keep@example.com"


def test_create_needs_the_create_scope(api_client, oauth_client):
    headers = bearer(oauth_client, scopes=["contacts:read"])

    response = api_client.post(URL, load("create_contact_request.json"), format="json", **headers)

    assert response.status_code == 403
    assert response.json()["errorcode"] == 20002
    assert Contact.objects.count() == 0


def test_values_directly_on_the_set_are_accepted(sfmc):
    body = {
        "contactKey": "flat",
        "attributeSets": [
            {
                "name": "Email Addresses",
                "values": [
                    {"name": "Email Address", "value": "flat@example.com"},
                    {"name": "HTML Enabled", "value": "false"},
                ],
            }
        ],
    }

    response = sfmc.post(URL, body, format="json")

    assert response.status_code == 200
    assert Contact.objects.get().attributes == {
        "Email Addresses": [{"Email Address": "flat@example.com", "HTML Enabled": False}]
    }


def test_resending_a_push_device_replaces_the_contacts_device(sfmc):
    def push(device):
        return {
            "contactKey": "device-owner",
            "attributeSets": [attribute_set("MobilePush Demographics", Device_ID=device, Application="app-1")],
        }

    assert sfmc.post(URL, push("device-1"), format="json").status_code == 200
    assert sfmc.post(URL, push("device-2"), format="json").status_code == 200

    assert list(ChannelIdentity.objects.values_list("channel", "external_id", "details")) == [
        ("push", "device-2", {"application": "app-1"})
    ]


# --- the contract's rules: each violation is one resultMessages entry, nothing is written --------------------------


def _post_fails(sfmc, body, *messages, **identifiers):
    response = sfmc.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == fail_body(*messages, **identifiers)
    assert Contact.objects.count() == 0
    assert ChannelIdentity.objects.count() == 0


def test_rule_at_least_one_channel_set(sfmc):
    body = {
        "contactKey": "acruz@example.com",
        "attributeSets": [attribute_set("GroupConnect LINE Addresses", Address_ID="line-1")],
    }
    _post_fails(
        sfmc,
        body,
        (
            "ChannelAttributeSetRequired",
            "Include at least one of Email Addresses, MobileConnect Demographics, MobilePush Demographics, "
            "or GroupConnect LINE Addresses with GroupConnect LINE Subscriptions",
        ),
    )


def test_rule_email_demographics_needs_email_addresses(sfmc):
    body = {
        "contactKey": "acruz@example.com",
        "attributeSets": [
            attribute_set("MobileConnect Demographics", Mobile_Number="3175315555", Locale="US"),
            attribute_set("Email Demographics", First_Name="Angela"),
        ],
    }
    _post_fails(sfmc, body, ("EmailAddressesRequired", "Email Demographics requires the Email Addresses attribute set"))


def test_rule_mobileconnect_needs_locale(sfmc):
    body = {
        "contactKey": "acruz@example.com",
        "attributeSets": [attribute_set("MobileConnect Demographics", Mobile_Number="317-531-5555")],
    }
    _post_fails(sfmc, body, ("LocaleRequired", "MobileConnect Demographics requires a value for Locale"))


def test_rule_mobilepush_needs_application(sfmc):
    body = {
        "contactKey": "acruz@example.com",
        "attributeSets": [attribute_set("MobilePush Demographics", Device_ID=958405948)],
    }
    _post_fails(sfmc, body, ("ApplicationRequired", "MobilePush Demographics requires a value for Application"))


def test_rule_line_demographics_needs_line_addresses_and_subscriptions(sfmc):
    body = {
        "contactKey": "acruz@example.com",
        "attributeSets": [
            email_set(),
            attribute_set("GroupConnect LINE Addresses", Address_ID="line-1"),
            attribute_set("GroupConnect LINE Demographics", Address_ID="line-1", Display_Name="A"),
        ],
    }
    _post_fails(
        sfmc,
        body,
        (
            "LINEAddressesRequired",
            "GroupConnect LINE Demographics requires the GroupConnect LINE Addresses and "
            "GroupConnect LINE Subscriptions attribute sets",
        ),
    )


def test_rule_one_instance_of_each_set(sfmc):
    body = {"contactKey": "acruz@example.com", "attributeSets": [email_set(), email_set("other@example.com")]}
    _post_fails(
        sfmc,
        body,
        ("DuplicateAttributeSet", "Email Addresses: each call accepts only one instance of each set"),
    )


def test_rule_html_enabled_is_required(sfmc):
    body = {"contactKey": "acruz@example.com", "attributeSets": [email_set(html=None)]}
    _post_fails(sfmc, body, ("HTMLEnabledRequired", "Email Addresses requires a value for HTML Enabled"))


def test_rule_whatsapp_is_not_supported(sfmc):
    body = {
        "contactKey": "acruz@example.com",
        "attributeSets": [email_set(), attribute_set("WhatsApp Demographics", Mobile_Number="3175315555")],
    }
    _post_fails(sfmc, body, ("WhatsAppNotSupported", "WhatsApp Demographics: WhatsApp is not supported"))


def test_rule_contact_key_or_contact_id(sfmc):
    body = {"attributeSets": [email_set()]}
    _post_fails(sfmc, body, ("ContactKeyRequired", "You must provide either contactKey or contactID"), contact_key=None)


def test_every_violation_is_reported_at_once(sfmc):
    body = {
        "attributeSets": [
            email_set(html=None),
            attribute_set("Email Demographics", First_Name="A"),
            attribute_set("Email Demographics", First_Name="B"),
            attribute_set("MobileConnect Demographics", Mobile_Number="3175315555"),
            attribute_set("MobilePush Demographics", Device_ID="d"),
            attribute_set("WhatsApp Addresses", Address="x"),
        ]
    }
    _post_fails(
        sfmc,
        body,
        ("ContactKeyRequired", "You must provide either contactKey or contactID"),
        ("HTMLEnabledRequired", "Email Addresses requires a value for HTML Enabled"),
        ("DuplicateAttributeSet", "Email Demographics: each call accepts only one instance of each set"),
        ("LocaleRequired", "MobileConnect Demographics requires a value for Locale"),
        ("ApplicationRequired", "MobilePush Demographics requires a value for Application"),
        ("WhatsAppNotSupported", "WhatsApp Addresses: WhatsApp is not supported"),
        contact_key=None,
    )


@pytest.mark.parametrize(
    ("attribute_sets", "message"),
    [
        pytest.param(None, ("AttributeSetsRequired", "attributeSets is required"), id="missing"),
        pytest.param([], ("AttributeSetsRequired", "attributeSets must be a non-empty array"), id="empty"),
        pytest.param(
            [{"items": []}], ("InvalidAttributeSet", "attributeSets[0] must be an object with a name"), id="no-name"
        ),
        pytest.param(
            [{"name": "Loyalty", "items": [{"values": []}]}, email_set()],
            ("UnknownAttributeSet", "Unknown attribute set: Loyalty"),
            id="unknown-set",
        ),
        pytest.param(
            [{"name": "Email Addresses", "items": {"values": []}}],
            ("InvalidAttributeSet", "Email Addresses: items must be a non-empty array"),
            id="items-not-array",
        ),
        pytest.param(
            [{"name": "Email Addresses", "items": [{"values": [{"value": 1}]}]}],
            ("InvalidAttributeSet", "Email Addresses: items[0]: each value must be an object with a name and a value"),
            id="value-without-name",
        ),
    ],
)
def test_malformed_attribute_sets_fail(sfmc, attribute_sets, message):
    body = {"contactKey": "acruz@example.com"}
    if attribute_sets is not None:
        body["attributeSets"] = attribute_sets
    _post_fails(sfmc, body, message)


@pytest.mark.parametrize(
    ("attribute_set_", "message"),
    [
        pytest.param(
            email_set(html="sometimes"),
            ("InvalidAttributeValue", "Email Addresses.HTML Enabled must be true or false"),
            id="html-enabled",
        ),
        pytest.param(
            attribute_set("MobileConnect Demographics", Mobile_Number="3175315555", Locale="Atlantis"),
            ("InvalidAttributeValue", "MobileConnect Demographics.Locale must be a country code such as US or en_US"),
            id="locale",
        ),
        pytest.param(
            attribute_set("MobilePush Demographics", Device_ID={"id": 1}, Application="a"),
            ("InvalidAttributeValue", "MobilePush Demographics.Device ID must be a string, number or boolean"),
            id="nested-value",
        ),
        pytest.param(
            email_set("not-an-email"),
            ("InvalidAttributeValue", "Email Addresses.Email Address: 'not-an-email' is not a valid email address"),
            id="email",
        ),
        pytest.param(
            attribute_set("MobileConnect Demographics", Mobile_Number="call me", Locale="US"),
            (
                "InvalidAttributeValue",
                "MobileConnect Demographics.Mobile Number: 'call me' is not a phone number",
            ),
            id="phone",
        ),
    ],
)
def test_invalid_attribute_values_fail(sfmc, attribute_set_, message):
    _post_fails(sfmc, {"contactKey": "acruz@example.com", "attributeSets": [attribute_set_]}, message)


def test_line_address_ids_must_agree(sfmc):
    body = {
        "contactKey": "acruz@example.com",
        "attributeSets": [
            attribute_set("GroupConnect LINE Addresses", Address_ID="line-1"),
            attribute_set("GroupConnect LINE Subscriptions", Address_ID="line-2", Channel_ID="c"),
        ],
    }
    _post_fails(
        sfmc,
        body,
        (
            "LINEAddressIDMismatch",
            "GroupConnect LINE Subscriptions.Address ID must equal GroupConnect LINE Addresses.Address ID",
        ),
    )


def test_invalid_contact_key_fails(sfmc):
    _post_fails(
        sfmc,
        {"contactKey": "x" * 256, "attributeSets": [email_set()]},
        ("InvalidContactKey", "contactKey must be at most 255 characters"),
        contact_key=None,
    )


def test_phone_taken_by_another_contact_is_a_duplicate_value(sfmc, organization):
    ContactFactory(organization=organization, phone="+13175315555")
    body = {
        "contactKey": "acruz@example.com",
        "attributeSets": [attribute_set("MobileConnect Demographics", Mobile_Number="317-531-5555", Locale="US")],
    }

    response = sfmc.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == fail_body(
        ("DuplicateValue", "MobileConnect Demographics.Mobile Number: A contact with this phone already exists")
    )
    assert Contact.objects.count() == 1


def test_push_device_of_another_contact_is_a_duplicate_value_and_nothing_is_written(sfmc, organization):
    owner = ContactFactory(organization=organization)
    ChannelIdentity.objects.create(organization=organization, contact=owner, channel="push", external_id="958405948")

    response = sfmc.post(URL, load("create_contact_request.json"), format="json")

    assert response.status_code == 400
    assert response.json() == fail_body(
        (
            "DuplicateValue",
            "A MobilePush Device ID or LINE Address ID in this request already belongs to another contact",
        )
    )
    # The contact row inserted before the identity clash was rolled back with the rest of the request.
    assert list(Contact.objects.all()) == [owner]
    assert ChannelIdentity.objects.count() == 1


# --- PATCH ----------------------------------------------------------------------------------------------------------


def test_patch_updates_an_existing_contact(sfmc, organization):
    sfmc.post(URL, load("create_contact_request.json"), format="json")
    contact = Contact.objects.get()
    body = {
        "contactKey": "acruz@example.com",
        "attributeSets": [attribute_set("Email Demographics", First_Name="Angie", Last_Name="Cruz")],
    }

    response = sfmc.patch(URL, body, format="json")

    assert response.status_code == 200
    assert response.json() == ok_body(contact, is_new=False)
    contact.refresh_from_db()
    assert contact.name == "Angie Cruz"
    expected = copy.deepcopy(CONTRACT_ATTRIBUTES)
    expected["Email Demographics"] = [{"First Name": "Angie", "Last Name": "Cruz"}]
    assert contact.attributes == expected
    assert contact.email == "acruz@example.com"
    assert ChannelIdentity.objects.count() == 2


def test_patch_of_unknown_contact_key_is_a_200_fail(sfmc):
    body = {"contactKey": "nobody", "attributeSets": [email_set()]}

    response = sfmc.patch(URL, body, format="json")

    assert response.status_code == 200
    assert response.json() == fail_body(("ContactNotFound", "No contact with contactKey nobody"), contact_key="nobody")
    assert Contact.objects.count() == 0


def test_patch_checks_rules_against_the_contacts_sets(sfmc, organization):
    contact = ContactFactory(organization=organization, contact_key="acruz@example.com", attributes={})
    body = {"contactKey": "acruz@example.com", "attributeSets": [attribute_set("Email Demographics", First_Name="A")]}

    response = sfmc.patch(URL, body, format="json")

    assert response.status_code == 200
    assert response.json() == fail_body(
        (
            "ChannelAttributeSetRequired",
            "Include at least one of Email Addresses, MobileConnect Demographics, MobilePush Demographics, "
            "or GroupConnect LINE Addresses with GroupConnect LINE Subscriptions",
        ),
        ("EmailAddressesRequired", "Email Demographics requires the Email Addresses attribute set"),
    )
    contact.refresh_from_db()
    assert contact.attributes == {}
    assert contact.name.startswith("Contact ")


def test_patch_with_invalid_value_is_a_200_fail_and_changes_nothing(sfmc, organization):
    sfmc.post(URL, load("create_contact_request.json"), format="json")
    body = {"contactKey": "acruz@example.com", "attributeSets": [email_set("broken")]}

    response = sfmc.patch(URL, body, format="json")

    assert response.status_code == 200
    assert response.json() == fail_body(
        ("InvalidAttributeValue", "Email Addresses.Email Address: 'broken' is not a valid email address")
    )
    assert Contact.objects.get().attributes == CONTRACT_ATTRIBUTES


def test_patch_needs_the_update_scope(api_client, oauth_client, organization):
    ContactFactory(organization=organization, contact_key="acruz@example.com")
    headers = bearer(oauth_client, scopes=["contacts:create", "contacts:read"])

    response = api_client.patch(
        URL, {"contactKey": "acruz@example.com", "attributeSets": [email_set()]}, format="json", **headers
    )

    assert response.status_code == 403
    assert response.json()["errorcode"] == 20002


def test_identity_longer_than_255_characters_fails(sfmc):
    body = {
        "contactKey": "acruz@example.com",
        "attributeSets": [attribute_set("MobilePush Demographics", Device_ID="d" * 256, Application="app")],
    }
    _post_fails(
        sfmc, body, ("InvalidAttributeValue", "MobilePush Demographics.Device ID must be at most 255 characters")
    )


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param({"GroupConnect LINE Addresses": "hand-edited", "Email Addresses": []}, id="odd-sets"),
        pytest.param(["not", "an", "object"], id="not-an-object"),
    ],
)
def test_patch_copes_with_hand_edited_attributes(sfmc, organization, stored):
    contact = ContactFactory(organization=organization, contact_key="acruz@example.com", attributes=stored)
    body = {
        "contactKey": "acruz@example.com",
        "attributeSets": [email_set()],
    }

    response = sfmc.patch(URL, body, format="json")

    assert response.status_code == 200
    assert response.json()["operationStatus"] == "OK"
    contact.refresh_from_db()
    assert contact.attributes["Email Addresses"] == [{"Email Address": "acruz@example.com", "HTML Enabled": True}]


def test_patch_against_a_hand_edited_line_address_reports_the_mismatch(sfmc, organization):
    ContactFactory(
        organization=organization,
        contact_key="acruz@example.com",
        attributes={"Email Addresses": [{"Email Address": "a@example.com"}], "GroupConnect LINE Addresses": "x"},
    )
    body = {
        "contactKey": "acruz@example.com",
        "attributeSets": [attribute_set("GroupConnect LINE Subscriptions", Address_ID="l", Channel_ID="c")],
    }

    response = sfmc.patch(URL, body, format="json")

    assert response.status_code == 200
    assert response.json() == fail_body(
        (
            "LINEAddressIDMismatch",
            "GroupConnect LINE Subscriptions.Address ID must equal GroupConnect LINE Addresses.Address ID",
        )
    )


def test_patch_with_a_bad_value_still_checks_rules_against_the_contacts_sets(sfmc, organization):
    ContactFactory(
        organization=organization,
        contact_key="acruz@example.com",
        attributes={"Email Addresses": [{"Email Address": "acruz@example.com", "HTML Enabled": True}]},
    )
    body = {
        "contactKey": "acruz@example.com",
        "attributeSets": [
            attribute_set("Email Demographics", First_Name="Angela"),
            attribute_set("MobileConnect Demographics", Mobile_Number="3175315555", Locale="Atlantis"),
        ],
    }

    response = sfmc.patch(URL, body, format="json")

    # Email Demographics is fine: the contact has Email Addresses. Only the locale is reported.
    assert response.status_code == 200
    assert response.json() == fail_body(
        ("InvalidAttributeValue", "MobileConnect Demographics.Locale must be a country code such as US or en_US")
    )
