"""The admin's vocabulary pages write through the vocabulary services: a rename or delete of a tag, group, custom
field, branch or team there moves the affected contacts' `updated_at` and records their change events, the
changelist's "delete selected" does the same per row, and a duplicate name is a form error with nothing written."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from contacts.models import Branch, Contact, CustomField, Tag, Team
from events.models import ContactEvent
from tests.factories import BranchFactory, ContactFactory, CustomFieldFactory, TagFactory, TeamFactory

pytestmark = pytest.mark.django_db

LONG_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


def _aged(*contacts: Contact) -> None:
    Contact.objects.filter(pk__in=[c.pk for c in contacts]).update(updated_at=LONG_AGO)


def _updated_at(contact: Contact) -> datetime.datetime:
    return Contact.objects.values_list("updated_at", flat=True).get(pk=contact.pk)


def _events(contact: Contact) -> list[tuple[str, str, dict]]:
    rows = ContactEvent.objects.filter(contact_uuid=contact.uuid).order_by("id")
    return [(e.type, e.surface, e.changes) for e in rows]


def test_renaming_a_tag_moves_its_contacts_and_records_their_tags(staff_client, organization):
    vip, lead = TagFactory(organization=organization, name="VIP"), TagFactory(organization=organization, name="lead")
    ann, bob, other = (ContactFactory(organization=organization) for _ in range(3))
    ann.tags.add(vip, lead)
    bob.tags.add(vip)
    _aged(ann, bob, other)

    response = staff_client.post(reverse("admin:contacts_tag_change", args=[vip.pk]), {"name": "Gold"})

    assert response.status_code == 302
    assert Tag.objects.get(pk=vip.pk).name == "Gold"
    assert _updated_at(ann) > LONG_AGO
    assert _updated_at(bob) > LONG_AGO
    assert _updated_at(other) == LONG_AGO
    assert _events(ann) == [
        ("contact.updated", "admin", {"tags": {"before": ["VIP", "lead"], "after": ["Gold", "lead"]}})
    ]
    assert _events(bob) == [("contact.updated", "admin", {"tags": {"before": ["VIP"], "after": ["Gold"]}})]
    assert _events(other) == []
    assert ContactEvent.objects.get(contact_uuid=ann.uuid).actor_name == "alice"


def test_adding_a_tag_in_the_admin_saves_it(staff_client, organization):
    response = staff_client.post(reverse("admin:contacts_tag_add"), {"name": "  New  "})

    assert response.status_code == 302
    assert list(Tag.objects.filter(organization=organization).values_list("name", flat=True)) == ["New"]


def test_a_duplicate_tag_name_is_a_form_error_and_nothing_is_written(staff_client, organization):
    TagFactory(organization=organization, name="VIP")
    lead = TagFactory(organization=organization, name="lead")
    ann = ContactFactory(organization=organization)
    ann.tags.add(lead)
    _aged(ann)

    renamed = staff_client.post(reverse("admin:contacts_tag_change", args=[lead.pk]), {"name": "vip"})
    added = staff_client.post(reverse("admin:contacts_tag_add"), {"name": "VIP"})

    assert (renamed.status_code, added.status_code) == (200, 200)
    assert renamed.context["adminform"].form.errors == {"name": ["A tag named 'vip' already exists"]}
    assert added.context["adminform"].form.errors == {"name": ["A tag named 'VIP' already exists"]}
    assert sorted(Tag.objects.filter(organization=organization).values_list("name", flat=True)) == ["VIP", "lead"]
    assert _updated_at(ann) == LONG_AGO
    assert ContactEvent.objects.count() == 0


def test_deleting_a_custom_field_removes_its_values_and_records_events(staff_client, organization):
    city = CustomFieldFactory(organization=organization, key="CITY")
    ann = ContactFactory(
        organization=organization, custom_fields={"CITY": "Riyadh", "TIER": "gold"}, custom_field_order=["CITY", "TIER"]
    )
    bob = ContactFactory(organization=organization, custom_fields={"TIER": "silver"}, custom_field_order=["TIER"])
    _aged(ann, bob)

    response = staff_client.post(reverse("admin:contacts_customfield_delete", args=[city.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not CustomField.objects.filter(pk=city.pk).exists()
    ann.refresh_from_db()
    assert (ann.custom_fields, ann.custom_field_order) == ({"TIER": "gold"}, ["TIER"])
    assert ann.updated_at > LONG_AGO
    assert _updated_at(bob) == LONG_AGO
    assert _events(ann) == [("contact.updated", "admin", {"custom_fields.CITY": {"before": "Riyadh", "after": None}})]
    assert _events(bob) == []


def test_delete_selected_on_the_changelist_goes_through_the_service(staff_client, organization):
    vip, lead, _spare = (TagFactory(organization=organization, name=n) for n in ("VIP", "lead", "spare"))
    ann, bob = ContactFactory(organization=organization), ContactFactory(organization=organization)
    ann.tags.add(vip, lead)
    bob.tags.add(lead)
    _aged(ann, bob)

    response = staff_client.post(
        reverse("admin:contacts_tag_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [vip.pk, lead.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert list(Tag.objects.filter(organization=organization).values_list("name", flat=True)) == ["spare"]
    assert _updated_at(ann) > LONG_AGO
    assert _updated_at(bob) > LONG_AGO
    assert [(t, s) for t, s, _ in _events(ann)] == [("contact.untagged", "admin"), ("contact.untagged", "admin")]
    assert [(t, s) for t, s, _ in _events(bob)] == [("contact.untagged", "admin")]


def test_deleting_a_branch_unassigns_its_contacts_and_records_it(staff_client, organization):
    north = BranchFactory(organization=organization, name="North")
    ann = ContactFactory(organization=organization, branch=north)
    _aged(ann)

    response = staff_client.post(reverse("admin:contacts_branch_delete", args=[north.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Branch.objects.filter(pk=north.pk).exists()
    ann.refresh_from_db()
    assert ann.branch_id is None
    assert ann.updated_at > LONG_AGO
    assert [(t, s, list(c)) for t, s, c in _events(ann)] == [("contact.updated", "admin", ["branch"])]


def test_renaming_a_team_moves_its_contacts_and_keeps_its_members(staff_client, organization, staff):
    red = TeamFactory(organization=organization, name="Red")
    red.members.add(staff)
    ann = ContactFactory(organization=organization, team=red)
    _aged(ann)

    response = staff_client.post(
        reverse("admin:contacts_team_change", args=[red.pk]), {"name": "Blue", "members": [staff.pk]}
    )

    assert response.status_code == 302
    team = Team.objects.get(pk=red.pk)
    assert team.name == "Blue"
    assert list(team.members.all()) == [staff]
    assert _updated_at(ann) > LONG_AGO
    assert [(t, s, list(c)) for t, s, c in _events(ann)] == [("contact.updated", "admin", ["team"])]


def test_a_custom_field_keeps_its_key_and_type_once_defined(staff_client, organization):
    city = CustomFieldFactory(organization=organization, key="CITY", label="City")

    response = staff_client.post(
        reverse("admin:contacts_customfield_change", args=[city.pk]),
        {"key": "TOWN", "label": "Town", "field_type": "number", "choices": "[]"},
    )

    assert response.status_code == 302
    assert CustomField.objects.values_list("key", "label", "field_type").get(pk=city.pk) == ("CITY", "Town", "text")


def test_a_superuser_adds_a_sender_number_in_the_organization_chosen(superuser_client, organization):
    response = superuser_client.post(
        reverse("admin:contacts_sendernumber_add"),
        {"organization": organization.pk, "phone": "(212) 555-0100", "external_id": "snd-1", "label": ""},
    )

    assert response.status_code == 302
    assert list(organization.sender_numbers.values_list("phone", "external_id")) == [("+12125550100", "snd-1")]


@pytest.mark.parametrize("model", ["tag", "contactgroup", "customfield", "team", "branch", "sendernumber"])
def test_every_vocabulary_page_opens_for_a_superuser(superuser_client, organization, model):
    add = superuser_client.get(reverse(f"admin:contacts_{model}_add"))
    listed = superuser_client.get(reverse(f"admin:contacts_{model}_changelist"))

    assert (add.status_code, listed.status_code) == (200, 200)


def test_a_branch_change_page_shows_its_organization_read_only(staff_client, organization):
    branch = BranchFactory(organization=organization, name="North")

    response = staff_client(superuser=True, username="root").get(
        reverse("admin:contacts_branch_change", args=[branch.pk])
    )

    assert response.status_code == 200
    assert "organization" not in response.context["adminform"].form.fields
    assert "Acme" in response.content.decode()
