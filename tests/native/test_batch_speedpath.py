"""A batch writes new contacts from their cleaned values (by COPY on PostgreSQL), not through a saved model: what
it stores and answers must be what `POST /api/v1/contacts` stores and `GET /api/v1/contacts/{id}` answers."""

from __future__ import annotations

import pytest
from django.db import connection

from contacts.models import Contact, CustomFieldType, Tag
from contacts.services import batch as batch_service
from events.models import ContactEvent
from tests.factories import (
    BranchFactory,
    ContactFactory,
    ContactGroupFactory,
    CustomFieldFactory,
    MembershipFactory,
    TagFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/batch"
# The row as stored, but for what is new with each contact.
COLUMNS = [
    f.attname for f in Contact._meta.concrete_fields if f.attname not in ("id", "uuid", "created_at", "updated_at")
]


@pytest.fixture
def references(organization):
    """Everything a contact can refer to, by the values a client sends."""
    TagFactory(organization=organization, name="VIP")
    TagFactory(organization=organization, name="lead")
    TagFactory(organization=organization, name="Zed")
    group = ContactGroupFactory(organization=organization, name="Newsletter")
    ContactGroupFactory(organization=organization, name="Alumni")
    branch = BranchFactory(organization=organization, name="Downtown")
    team = TeamFactory(organization=organization, name="Sales")
    user = UserFactory(username="agent", email="Agent@Example.org")
    MembershipFactory(user=user, organization=organization)
    CustomFieldFactory(
        organization=organization, key="plan", field_type=CustomFieldType.CHOICE, choices=["free", "pro"]
    )
    CustomFieldFactory(organization=organization, key="seats", field_type=CustomFieldType.NUMBER)
    return {"group": group.pk, "branch": branch.pk, "team": str(team.uuid)}


def bodies(references):
    full = {
        "name": "  Ada  ",
        "full_name": "Ada Lovelace",
        "phone": "(212) 555-0142",
        "email": " ada@example.org ",
        "alias": " ada ",
        "contact_key": "K-1",
        "country": "US",
        "description": "First programmer",
        "address": "12 St James's Square",
        "note": "Met at the conference",
        "is_favorite": True,
        "source": "whatsapp",
        "avatar_url": "https://example.org/ada.png",
        "branch": references["branch"],
        "team": references["team"],
        "assigned_user": "agent@example.org",
        "tags": ["zed", "VIP", "Lead"],
        "groups": ["Newsletter", "Alumni", references["group"]],
        "custom_fields": {"seats": 3, "plan": "pro"},
    }
    # A number libphonenumber calls invalid that the policy accepts, kept with its verdict.
    return {
        "full": full,
        "bare": {"name": "Bare"},
        "accepted phone": {"phone": "+4479000000001", "alias": "", "contact_key": ""},
    }


def stored(contact_id):
    contact = Contact.objects.get(pk=contact_id)
    row = {column: getattr(contact, column) for column in COLUMNS}
    row["phone"] = contact.phone_e164
    row["tags"] = sorted(contact.tags.values_list("name", flat=True))
    row["groups"] = sorted(contact.groups.values_list("name", flat=True))
    return row


@pytest.mark.parametrize("case", ["full", "bare", "accepted phone"])
def test_a_batch_create_stores_and_answers_what_a_single_create_does(api, organization, references, case):
    body = bodies(references)[case]
    single = api.post("/api/v1/contacts", body, format="json")
    assert single.status_code == 201, single.json()
    single_contact = Contact.objects.get(uuid=single.json()["id"])
    single_row = stored(single_contact.pk)
    single_contact.delete()  # its unique values are the batch's to take

    response = api.post(URL, {"items": [{"op": "create", "contact": body}]}, format="json")

    [result] = response.json()["results"]
    assert result["status"] == 201, result
    created = Contact.objects.get(uuid=result["contact"]["id"])
    assert stored(created.pk) == single_row
    assert result["contact"] == api.get(f"/api/v1/contacts/{created.uuid}").json()
    new = ("id", "created_at", "updated_at")
    assert {k: v for k, v in result["contact"].items() if k not in new} == {
        k: v for k, v in single.json().items() if k not in new
    }


def test_what_a_batch_create_stores(api, organization, references):
    body = bodies(references)["full"]
    result = api.post(URL, {"items": [{"op": "create", "contact": body}]}, format="json").json()["results"][0]
    contact = Contact.objects.get(uuid=result["contact"]["id"])
    assert (contact.phone_e164, contact.phone_valid, contact.name, contact.email, contact.alias) == (
        "+12125550142",
        True,
        "Ada",
        "ada@example.org",
        "ada",
    )
    assert (contact.branch.name, contact.team.name, contact.assigned_user.username) == ("Downtown", "Sales", "agent")
    assert (contact.custom_fields, contact.custom_field_order) == ({"seats": 3, "plan": "pro"}, ["seats", "plan"])
    assert sorted(contact.tags.values_list("name", flat=True)) == ["VIP", "Zed", "lead"]
    accepted = api.post(URL, {"items": [{"op": "create", "contact": {"phone": "+4479000000001"}}]}, format="json")
    [row] = Contact.objects.filter(uuid=accepted.json()["results"][0]["contact"]["id"]).values("phone", "phone_valid")
    assert row == {"phone": "+4479000000001", "phone_valid": False}


def test_links_are_answered_in_the_order_a_read_lists_them(api, organization, references):
    body = bodies(references)["full"]
    result = api.post(URL, {"items": [{"op": "create", "contact": body}]}, format="json").json()["results"][0]
    read = api.get(f"/api/v1/contacts/{result['contact']['id']}").json()
    assert (result["contact"]["tags"], result["contact"]["groups"]) == (read["tags"], read["groups"])
    assert [group["name"] for group in read["groups"]] == ["Alumni", "Newsletter"]


@pytest.mark.parametrize("count", [3, 300])
def test_creates_take_a_constant_number_of_queries(api, organization, references, count, django_assert_max_num_queries):
    items = [
        {
            "op": "upsert",
            "match_on": "phone",
            "contact": {
                "phone": f"+1212557{n:04d}",
                "tags": ["VIP"],
                "groups": ["Alumni"],
                "custom_fields": {"seats": n},
            },
        }
        for n in range(count)
    ]
    # PostgreSQL: 14 statements for any number of items, besides the COPY of the contacts, their links and (for
    # many) their events (not counted: they bypass Django's cursor). SQLite: 14, and an INSERT per 38 contacts
    # and per 90 events (999 parameters).
    bound = 14 if connection.vendor == "postgresql" else 14 + -(-count // 38) + -(-count // 90)
    with django_assert_max_num_queries(bound):
        response = api.post(URL, {"items": items}, format="json")
    assert [result["status"] for result in response.json()["results"]] == [201] * count
    assert Contact.tags.through.objects.filter(contact__organization=organization).count() == count
    assert Contact.groups.through.objects.filter(contact__organization=organization).count() == count


@pytest.mark.parametrize("given, e164, national", [("(212) 555-0142", "+12125550142", "(212) 555-0142"),
                                                    ("+4479000000001", "+4479000000001", "79000000001")])  # fmt: skip
def test_a_written_contacts_phone_reads_as_the_stored_one(organization, given, e164, national):
    [outcome] = batch_service.write_batch(
        organization=organization, items=[batch_service.BatchItem("create", {"phone": given})]
    )
    phone, stored = outcome.contact.phone, Contact.objects.get(pk=outcome.contact.pk).phone
    assert (phone.as_e164, str(phone), phone.as_national, phone.is_valid()) == (
        stored.as_e164,
        str(stored),
        stored.as_national,
        stored.is_valid(),
    )
    assert (phone == stored, phone == e164, phone.as_national) == (True, True, national)


def test_a_batch_writes_one_event_per_contact_it_created_or_changed(api, organization, references):
    ada = ContactFactory(organization=organization, name="Ada", phone="+12125550160", email="ada@example.org")
    ada.tags.set([Tag.objects.get(organization=organization, name="VIP")])
    same = ContactFactory(organization=organization, name="Same", phone="+12125550161", email="same@example.org")
    items = [
        {"op": "create", "contact": {"name": "Bo", "phone": "212 555 0162", "tags": ["lead"]}},
        {"op": "update", "id": str(ada.uuid), "contact": {"note": "Met", "tags": ["Zed"]}},
        {"op": "upsert", "match_on": "phone", "contact": {"phone": "+12125550161", "name": "Same"}},
        {"op": "create", "contact": {"name": "Refused", "tags": ["ghost"]}},
    ]
    results = api.post(URL, {"items": items}, format="json").json()["results"]
    assert [result["status"] for result in results] == [201, 200, 200, 422]
    bo = Contact.objects.get(name="Bo")
    events = ContactEvent.objects.filter(organization=organization).order_by("id")
    assert [(e.contact_uuid, e.type, e.surface, e.changes) for e in events] == [
        (
            ada.uuid,
            "contact.updated",
            "native",
            {"note": {"before": None, "after": "Met"}, "tags": {"before": ["VIP"], "after": ["Zed"]}},
        ),
        (
            bo.uuid,
            "contact.created",
            "native",
            {
                "name": {"before": None, "after": "Bo"},
                "phone": {"before": None, "after": "+12125550162"},
                "source": {"before": None, "after": "api"},
                "tags": {"before": None, "after": ["lead"]},
            },
        ),
    ]
    assert same.uuid not in {e.contact_uuid for e in events}  # written as it was: no event
