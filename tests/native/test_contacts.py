"""Contacts through /api/v1/: create, retrieve, patch, delete, with exact bodies, and every write through the
services (one `contacts_changed` per write)."""

from __future__ import annotations

import pytest

from contacts.models import Contact, CustomFieldType
from contacts.services.changes import contacts_changed
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
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

UUID = Matches(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
STAMP = Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")


@pytest.fixture
def changes():
    seen = []

    def receiver(sender, organization_id, contact_ids, actor, **kwargs):
        seen.append((str(sender), contact_ids))

    contacts_changed.connect(receiver, weak=False, dispatch_uid="tests.native.changes")
    yield seen
    contacts_changed.disconnect(dispatch_uid="tests.native.changes")


@pytest.fixture
def setup(organization):
    """A branch, a team, a member, two tags, a group and two custom fields in `organization`."""
    user = UserFactory(username="agent", email="agent@acme.test")
    MembershipFactory(user=user, organization=organization)
    team = TeamFactory(organization=organization, name="Sales")
    team.uuid = "6f1c2a9e-0000-4000-8000-000000000001"
    team.save()
    return {
        "branch": BranchFactory(organization=organization, name="Riyadh"),
        "team": team,
        "tags": [TagFactory(organization=organization, name="VIP"), TagFactory(organization=organization, name="Lead")],
        "group": ContactGroupFactory(organization=organization, name="Newsletter"),
        "city": CustomFieldFactory(organization=organization, key="CITY"),
        "size": CustomFieldFactory(organization=organization, key="SIZE", field_type=CustomFieldType.NUMBER),
    }


def test_create_answers_201_with_the_contact_and_its_location(api, setup, changes):
    body = {
        "name": "Ada Lovelace",
        "phone": "(415) 555-0100",
        "email": "ada@example.com",
        "alias": "ada",
        "is_favorite": True,
        "branch": setup["branch"].pk,
        "team": "6f1c2a9e-0000-4000-8000-000000000001",
        "assigned_user": "AGENT@acme.test",
        "tags": ["vip", "Lead"],
        "groups": [setup["group"].pk],
        "custom_fields": {"SIZE": "12", "CITY": "London"},
    }

    response = api.post("/api/v1/contacts", body, format="json")

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "id": UUID,
        "name": "Ada Lovelace",
        "full_name": None,
        "phone": "+14155550100",
        "phone_valid": True,
        "email": "ada@example.com",
        "alias": "ada",
        "contact_key": None,
        "country": None,
        "description": None,
        "address": None,
        "note": None,
        "is_favorite": True,
        "source": "api",
        "avatar_url": None,
        "branch": {"id": setup["branch"].pk, "name": "Riyadh"},
        "team": {"id": "6f1c2a9e-0000-4000-8000-000000000001", "name": "Sales"},
        "assigned_user": "agent@acme.test",
        "tags": ["Lead", "VIP"],
        "groups": [{"id": setup["group"].pk, "name": "Newsletter"}],
        "custom_fields": {"SIZE": 12, "CITY": "London"},
        "created_at": STAMP,
        "updated_at": STAMP,
    }
    contact = Contact.objects.get()
    assert response["Location"] == f"/api/v1/contacts/{contact.uuid}"
    assert changes == [("created", (contact.pk,))]


def test_retrieve_by_uuid(api, organization):
    contact = ContactFactory(organization=organization, name="Grace", phone="+14155550101", email="g@example.com")

    response = api.get(f"/api/v1/contacts/{contact.uuid}")

    assert response.status_code == 200
    assert response.json()["id"] == str(contact.uuid)
    assert response.json()["name"] == "Grace"
    assert response.json()["phone"] == "+14155550101"
    assert response.json()["tags"] == []
    assert response.json()["custom_fields"] == {}


def test_patch_changes_only_the_fields_given(api, organization, setup, changes):
    contact = ContactFactory(
        organization=organization, name="Grace", phone="+14155550101", email="g@example.com", note="keep me"
    )
    contact.tags.add(setup["tags"][0])
    contact.custom_fields = {"CITY": "Paris", "SIZE": 3}
    contact.custom_field_order = ["CITY", "SIZE"]
    contact.save()

    response = api.patch(
        f"/api/v1/contacts/{contact.uuid}",
        {"name": "Grace Hopper", "email": None, "tags": ["Lead"], "custom_fields": {"CITY": None, "SIZE": 4}},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["email"], body["note"], body["phone"]) == (
        "Grace Hopper",
        None,
        "keep me",
        "+14155550101",
    )
    assert body["tags"] == ["Lead"]
    assert body["custom_fields"] == {"SIZE": 4}
    assert changes == [("updated", (contact.pk,))]


def test_delete_answers_204_and_the_contact_is_gone(api, organization, changes):
    contact = ContactFactory(organization=organization)

    response = api.delete(f"/api/v1/contacts/{contact.uuid}")

    assert response.status_code == 204
    assert response.content == b""
    assert Contact.objects.filter(pk=contact.pk).exists() is False
    assert changes == [("deleted", (contact.pk,))]
    assert api.get(f"/api/v1/contacts/{contact.uuid}").status_code == 404


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_another_organizations_contact_is_a_404_and_is_not_touched(api, other_organization, method):
    theirs = ContactFactory(organization=other_organization, name="Theirs")

    response = getattr(api, method)(f"/api/v1/contacts/{theirs.uuid}", {"name": "Mine"}, format="json")

    assert response.status_code == 404
    assert response.json() == {
        "type": "urn:crm:problem:not-found",
        "title": "Not found",
        "status": 404,
        "detail": "Contact not found",
        "errors": [],
    }
    assert Contact.objects.get(pk=theirs.pk).name == "Theirs"


def test_another_organizations_branch_is_an_unknown_reference(api, other_organization):
    branch = BranchFactory(organization=other_organization, name="Theirs")

    response = api.post("/api/v1/contacts", {"name": "X", "branch": branch.pk}, format="json")

    assert response.status_code == 422
    assert response.json() == {
        "type": "urn:crm:problem:unknown-reference",
        "title": "The request refers to something that does not exist",
        "status": 422,
        "detail": f"Unknown branch: {branch.pk}",
        "errors": [{"field": "branch", "code": "unknown_reference", "message": f"Unknown branch: {branch.pk}"}],
    }
    assert Contact.objects.count() == 0


def test_unknown_tag_is_refused_not_created(api):
    response = api.post("/api/v1/contacts", {"name": "X", "tags": ["nope"]}, format="json")

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "tags", "code": "unknown_reference", "message": "Unknown tag: nope"}]
    assert Contact.objects.count() == 0


def test_a_taken_phone_is_a_409_naming_the_field(api, organization):
    ContactFactory(organization=organization, phone="+14155550100")

    response = api.post("/api/v1/contacts", {"phone": "+1 415 555 0100"}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert (body["type"], body["status"]) == ("urn:crm:problem:conflict", 409)
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("phone", "already_exists")]


def test_lookup_by_phone_in_any_format_email_alias_and_contact_key(api, organization, other_organization):
    ContactFactory(organization=other_organization, name="theirs", phone="+14155550100", alias="ada")
    ada = ContactFactory(organization=organization, name="Ada", phone="+14155550100", alias="ada", contact_key="K-1")
    ContactFactory(organization=organization, name="later", email=ada.email)

    for params in (
        {"phone": "(415) 555-0100"},
        {"phone": "+1 415 555 0100"},
        {"email": ada.email},
        {"alias": "ada"},
        {"contact_key": "K-1"},
    ):
        response = api.get("/api/v1/contacts/lookup", params)
        assert (response.status_code, response.json()["id"]) == (200, str(ada.uuid)), params


def test_lookup_refusals(api):
    none = api.get("/api/v1/contacts/lookup", {"alias": "nobody"})
    two = api.get("/api/v1/contacts/lookup", {"alias": "a", "email": "b@example.com"})
    bad_phone = api.get("/api/v1/contacts/lookup", {"phone": "call me"})

    assert (none.status_code, none.json()["detail"]) == (404, "Contact not found")
    assert two.status_code == 400
    assert two.json()["errors"] == [
        {"field": None, "code": "invalid", "message": "Give exactly one of: phone, email, alias, contact_key"}
    ]
    assert (bad_phone.status_code, bad_phone.json()["errors"][0]["code"]) == (400, "invalid_phone_number")


def test_lookup_by_email_ignores_case(api, organization):
    ada = ContactFactory(organization=organization, email="Ada@Example.com")

    response = api.get("/api/v1/contacts/lookup", {"email": "ada@example.COM"})

    assert (response.status_code, response.json()["id"]) == (200, str(ada.uuid))
