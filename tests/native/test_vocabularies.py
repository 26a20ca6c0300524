"""Tags, groups, custom fields, branches, teams and sender numbers through /api/v1/, written by
contacts/services/vocabularies.py."""

from __future__ import annotations

import pytest

from contacts.models import Branch, Contact, ContactGroup, CustomField, SenderNumber, Tag, Team
from contacts.services.changes import contacts_changed
from tests.factories import BranchFactory, ContactFactory, CustomFieldFactory, TagFactory, TeamFactory
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

STAMP = Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")
UUID = Matches(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture
def changes():
    seen = []

    def receiver(sender, organization_id, contact_ids, actor, **kwargs):
        seen.append((str(sender), contact_ids))

    contacts_changed.connect(receiver, weak=False, dispatch_uid="tests.native.vocabulary_changes")
    yield seen
    contacts_changed.disconnect(dispatch_uid="tests.native.vocabulary_changes")


def test_tag_create_list_rename_delete(api, organization, changes):
    created = api.post("/api/v1/tags", {"name": " VIP "}, format="json")
    tag = Tag.objects.get()
    assert created.status_code == 201
    assert created.json() == {"id": tag.pk, "name": "VIP", "created_at": STAMP}
    assert created["Location"] == f"/api/v1/tags/{tag.pk}"

    assert api.get("/api/v1/tags").json() == {
        "results": [{"id": tag.pk, "name": "VIP", "created_at": STAMP}],
        "next_cursor": None,
        "next": None,
    }
    renamed = api.patch(f"/api/v1/tags/{tag.pk}", {"name": "Gold"}, format="json")
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Gold")

    contact = ContactFactory(organization=organization)
    contact.tags.add(tag)
    deleted = api.delete(f"/api/v1/tags/{tag.pk}")
    assert deleted.status_code == 204
    assert Tag.objects.count() == 0
    assert list(contact.tags.all()) == []
    assert changes == [("untagged", (contact.pk,))]


def test_a_tag_name_taken_in_another_case_is_a_409(api, organization):
    TagFactory(organization=organization, name="Émigré")

    response = api.post("/api/v1/tags", {"name": "émigré"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "type": "urn:crm:problem:conflict",
        "title": "A unique value is already taken",
        "status": 409,
        "detail": "A tag named 'émigré' already exists",
        "errors": [{"field": "name", "code": "already_exists", "message": "A tag named 'émigré' already exists"}],
    }


def test_a_tag_without_a_name_is_a_400(api):
    response = api.post("/api/v1/tags", {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "name", "code": "required", "message": "This field is required."}]


def test_groups_with_description(api):
    created = api.post("/api/v1/groups", {"name": "Newsletter", "description": "Monthly"}, format="json")
    group = ContactGroup.objects.get()
    assert created.json() == {"id": group.pk, "name": "Newsletter", "description": "Monthly", "created_at": STAMP}

    patched = api.patch(f"/api/v1/groups/{group.pk}", {"description": None}, format="json")
    assert patched.json()["description"] == ""
    assert patched.json()["name"] == "Newsletter"


def test_custom_field_with_choices_then_a_contact_uses_it(api):
    created = api.post(
        "/api/v1/custom-fields", {"key": "PLAN", "type": "choice", "choices": ["free", "pro"]}, format="json"
    )
    definition = CustomField.objects.get()
    assert created.status_code == 201
    assert created.json() == {
        "id": definition.pk,
        "key": "PLAN",
        "label": "PLAN",
        "type": "choice",
        "choices": ["free", "pro"],
        "created_at": STAMP,
    }

    ok = api.post("/api/v1/contacts", {"custom_fields": {"PLAN": "pro"}}, format="json")
    bad = api.post("/api/v1/contacts", {"custom_fields": {"PLAN": "gold"}}, format="json")
    assert ok.json()["custom_fields"] == {"PLAN": "pro"}
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"field": "custom_fields.PLAN", "code": "invalid", "message": "PLAN must be one of: free, pro"}
    ]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"key": "A", "type": "colour"},
            "type",
            "Unknown custom field type 'colour'; expected one of text, number, date, boolean, location, url, email, choice, multichoice",
        ),
        ({"key": "A", "type": "choice"}, "choices", "A choice field needs a non-empty list of choices"),
        ({"key": "A", "type": "text", "choices": ["x"]}, "choices", "Only choice and multichoice fields have choices"),
        ({"key": "A", "type": "choice", "choices": ["x", "x"]}, "choices", "Each choice must appear once"),
        ({"key": " ", "type": "text"}, "key", "key must not be empty"),
    ],
)
def test_a_bad_custom_field_definition_is_a_400(api, body, field, message):
    response = api.post("/api/v1/custom-fields", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": field, "code": "invalid", "message": message}]
    assert CustomField.objects.count() == 0


def test_a_custom_fields_key_and_type_cannot_change(api, organization):
    definition = CustomFieldFactory(organization=organization, key="CITY")

    response = api.patch(f"/api/v1/custom-fields/{definition.pk}", {"type": "number", "label": "City"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "type", "code": "read_only", "message": "type is read-only."}]


def test_deleting_a_custom_field_removes_its_values(api, organization, changes):
    definition = CustomFieldFactory(organization=organization, key="CITY")
    holder = ContactFactory(
        organization=organization, custom_fields={"CITY": "Paris", "X": 1}, custom_field_order=["CITY", "X"]
    )
    ContactFactory(organization=organization)

    assert api.delete(f"/api/v1/custom-fields/{definition.pk}").status_code == 204

    holder.refresh_from_db()
    assert (holder.custom_fields, holder.custom_field_order) == ({"X": 1}, ["X"])
    assert changes == [("updated", (holder.pk,))]


def test_branches_and_teams(api, organization, changes):
    branch = api.post("/api/v1/branches", {"name": "Riyadh"}, format="json").json()
    team = api.post("/api/v1/teams", {"name": "Sales"}, format="json").json()
    assert branch == {"id": Branch.objects.get().pk, "name": "Riyadh", "created_at": STAMP}
    assert team == {"id": str(Team.objects.get().uuid), "name": "Sales", "created_at": STAMP}
    assert team["id"] == UUID

    contact = api.post("/api/v1/contacts", {"branch": branch["id"], "team": team["id"]}, format="json").json()
    assert contact["branch"] == {"id": branch["id"], "name": "Riyadh"}
    assert contact["team"] == {"id": team["id"], "name": "Sales"}
    changes.clear()

    assert api.delete(f"/api/v1/teams/{team['id']}").status_code == 204
    assert api.get(f"/api/v1/contacts/{contact['id']}").json()["team"] is None
    assert changes == [("updated", (Contact.objects.get().pk,))]


def test_sender_numbers(api, organization):
    created = api.post(
        "/api/v1/sender-numbers", {"phone": "+966 50 000 0000", "external_id": "106540352242922"}, format="json"
    )
    number = SenderNumber.objects.get()
    assert created.json() == {
        "id": number.pk,
        "phone": "+966500000000",
        "external_id": "106540352242922",
        "label": "",
        "created_at": STAMP,
    }
    again = api.post(
        "/api/v1/sender-numbers", {"phone": "+966500000001", "external_id": "106540352242922"}, format="json"
    )
    assert (again.status_code, again.json()["errors"][0]["field"]) == (409, "external_id")


@pytest.mark.parametrize("prefix", ["tags", "branches", "teams"])
def test_another_organizations_entry_is_a_404(api, other_organization, prefix):
    entry = {
        "tags": lambda: TagFactory(organization=other_organization),
        "branches": lambda: BranchFactory(organization=other_organization),
        "teams": lambda: TeamFactory(organization=other_organization),
    }[prefix]()
    ident = entry.uuid if prefix == "teams" else entry.pk

    for response in (
        api.get(f"/api/v1/{prefix}/{ident}"),
        api.patch(f"/api/v1/{prefix}/{ident}", {"name": "Mine"}, format="json"),
        api.delete(f"/api/v1/{prefix}/{ident}"),
    ):
        assert response.status_code == 404
        assert response.json()["type"] == "urn:crm:problem:not-found"
    assert type(entry).objects.filter(pk=entry.pk).exists()


def test_the_list_holds_only_the_organizations_entries_and_pages(api, organization, other_organization):
    for name in ("a", "b", "c"):
        TagFactory(organization=organization, name=name)
    TagFactory(organization=other_organization, name="theirs")

    first = api.get("/api/v1/tags", {"limit": 2}).json()
    second = api.get(first["next"]).json()

    assert [tag["name"] for tag in first["results"]] == ["a", "b"]
    assert [tag["name"] for tag in second["results"]] == ["c"]
    assert second["next"] is None


def test_vocabulary_writes_need_the_write_scopes(client_for, organization):
    reader = client_for(organization, ["contacts:read"])

    response = reader.post("/api/v1/tags", {"name": "VIP"}, format="json")

    assert (response.status_code, response.json()["detail"]) == (403, "Missing permission settings:write")
    assert Tag.objects.count() == 0
