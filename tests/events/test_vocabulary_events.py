"""Deleting or renaming what contacts refer to (a tag, group, branch, team or custom field) is a change of every
contact that showed it: each gets an event naming what it lost or what it now shows, and the write costs the same
number of queries however many contacts it reaches. So do the admin's bulk actions and tagging."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from contacts.models import Contact, Membership, Tag
from contacts.services import bulk, vocabularies
from contacts.services.tagging import add_tag, add_to_group, remove_tag
from events.models import ContactEvent
from tests.factories import (
    BranchFactory,
    ContactFactory,
    ContactGroupFactory,
    CustomFieldFactory,
    TagFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def events() -> list[tuple]:
    return [(e.type, str(e.contact_uuid), e.changes, e.actor_name) for e in ContactEvent.objects.order_by("id")]


@pytest.fixture
def ada(organization):
    user = UserFactory(username="ada", email="ada@example.com")
    Membership.objects.create(user=user, organization=organization, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def people(organization):
    return [ContactFactory(organization=organization, name=name) for name in ("Ana", "Bob", "Cy")]


def test_deleting_a_tag_untags_each_contact_with_its_other_tags_before_and_after(organization, ada, people):
    ana, bob, cy = people
    vip, lead = TagFactory(organization=organization, name="vip"), TagFactory(organization=organization, name="lead")
    ana.tags.add(vip, lead)
    bob.tags.add(vip)
    cy.tags.add(lead)

    vocabularies.delete_tag(vip, actor=ada)

    assert events() == [
        ("contact.untagged", str(ana.uuid), {"tags": {"before": ["lead", "vip"], "after": ["lead"]}}, "ada"),
        ("contact.untagged", str(bob.uuid), {"tags": {"before": ["vip"], "after": []}}, "ada"),
    ]


def test_deleting_a_group_ungroups_each_member(organization, ada, people):
    ana, bob, _ = people
    gold, silver = (ContactGroupFactory(organization=organization, name=n) for n in ("Gold", "Silver"))
    ana.groups.add(gold, silver)
    bob.groups.add(gold)

    vocabularies.delete_group(gold, actor=ada)

    assert events() == [
        ("contact.ungrouped", str(ana.uuid), {"groups": {"before": ["Gold", "Silver"], "after": ["Silver"]}}, "ada"),
        ("contact.ungrouped", str(bob.uuid), {"groups": {"before": ["Gold"], "after": []}}, "ada"),
    ]


def test_deleting_a_branch_unassigns_its_contacts(organization, ada, people):
    ana, bob, cy = people
    north, south = BranchFactory(organization=organization, name="North"), BranchFactory(organization=organization)
    Contact.objects.filter(pk__in=[ana.pk, bob.pk]).update(branch=north)
    Contact.objects.filter(pk=cy.pk).update(branch=south)
    north_id = north.pk

    vocabularies.delete_branch(north, actor=ada)

    change = {"branch": {"before": {"id": north_id, "name": "North"}, "after": None}}
    assert events() == [
        ("contact.updated", str(ana.uuid), change, "ada"),
        ("contact.updated", str(bob.uuid), change, "ada"),
    ]
    assert dict(Contact.objects.values_list("name", "branch_id")) == {"Ana": None, "Bob": None, "Cy": south.pk}


def test_deleting_a_team_unassigns_its_contacts(organization, ada, people):
    _, bob, _ = people
    red = TeamFactory(organization=organization, name="Red")
    Contact.objects.filter(pk=bob.pk).update(team=red)
    red_uuid = str(red.uuid)

    vocabularies.delete_team(red, actor=ada)

    assert events() == [
        ("contact.updated", str(bob.uuid), {"team": {"before": {"id": red_uuid, "name": "Red"}, "after": None}}, "ada")
    ]
    assert Contact.objects.get(pk=bob.pk).team_id is None


def test_deleting_a_custom_field_records_each_value_it_took(organization, ada, people):
    ana, bob, cy = people
    plan = CustomFieldFactory(organization=organization, key="plan")
    CustomFieldFactory(organization=organization, key="tier")
    Contact.objects.filter(pk=ana.pk).update(
        custom_fields={"plan": "pro", "tier": "a"}, custom_field_order=["plan", "tier"]
    )
    Contact.objects.filter(pk=bob.pk).update(custom_fields={"plan": ["x", "y"]}, custom_field_order=["plan"])
    Contact.objects.filter(pk=cy.pk).update(custom_fields={"tier": "b"}, custom_field_order=["tier"])

    vocabularies.delete_custom_field(plan, actor=ada)

    assert events() == [
        ("contact.updated", str(ana.uuid), {"custom_fields.plan": {"before": "pro", "after": None}}, "ada"),
        ("contact.updated", str(bob.uuid), {"custom_fields.plan": {"before": ["x", "y"], "after": None}}, "ada"),
    ]
    assert Contact.objects.get(pk=ana.pk).custom_fields == {"tier": "a"}
    assert Contact.objects.get(pk=ana.pk).custom_field_order == ["tier"]


def test_renaming_a_tag_changes_the_tags_its_contacts_show(organization, ada, people):
    ana, bob, _ = people
    vip, lead = TagFactory(organization=organization, name="vip"), TagFactory(organization=organization, name="lead")
    ana.tags.add(vip, lead)
    bob.tags.add(vip)

    vocabularies.update_tag(vip, name="zeta", actor=ada)

    assert events() == [
        ("contact.updated", str(ana.uuid), {"tags": {"before": ["lead", "vip"], "after": ["lead", "zeta"]}}, "ada"),
        ("contact.updated", str(bob.uuid), {"tags": {"before": ["vip"], "after": ["zeta"]}}, "ada"),
    ]


def test_renaming_a_group_changes_the_groups_its_members_show(organization, ada, people):
    ana, _, _ = people
    gold = ContactGroupFactory(organization=organization, name="Gold")
    ana.groups.add(gold)

    vocabularies.update_group(gold, name="Platinum", actor=ada)

    assert events() == [
        ("contact.updated", str(ana.uuid), {"groups": {"before": ["Gold"], "after": ["Platinum"]}}, "ada")
    ]


def test_renaming_a_branch_or_a_team_changes_what_its_contacts_show(organization, ada, people):
    ana, bob, _ = people
    north, red = (
        BranchFactory(organization=organization, name="North"),
        TeamFactory(organization=organization, name="Red"),
    )
    Contact.objects.filter(pk=ana.pk).update(branch=north)
    Contact.objects.filter(pk=bob.pk).update(team=red)

    vocabularies.update_branch(north, name="Nord", actor=ada)
    vocabularies.update_team(red, name="Rouge", actor=ada)

    team = {"before": {"id": str(red.uuid), "name": "Red"}, "after": {"id": str(red.uuid), "name": "Rouge"}}
    assert events() == [
        (
            "contact.updated",
            str(ana.uuid),
            {"branch": {"before": {"id": north.pk, "name": "North"}, "after": {"id": north.pk, "name": "Nord"}}},
            "ada",
        ),
        ("contact.updated", str(bob.uuid), {"team": team}, "ada"),
    ]


def test_a_save_that_keeps_the_name_changes_no_contact(organization, ada, people):
    ana, _, _ = people
    vip, gold = TagFactory(organization=organization, name="vip"), ContactGroupFactory(organization=organization)
    north, red = (
        BranchFactory(organization=organization, name="North"),
        TeamFactory(organization=organization, name="Red"),
    )
    ana.tags.add(vip)
    ana.groups.add(gold)
    Contact.objects.filter(pk=ana.pk).update(branch=north, team=red)

    vocabularies.update_tag(vip, name="vip", actor=ada)
    vocabularies.update_group(gold, description="Our best", actor=ada)
    vocabularies.update_branch(north, actor=ada)
    vocabularies.update_team(red, name="Red", actor=ada)

    assert events() == []


def test_a_rename_refused_as_a_duplicate_records_nothing(organization, ada, people):
    ana, _, _ = people
    north = BranchFactory(organization=organization, name="North")
    BranchFactory(organization=organization, name="South")
    Contact.objects.filter(pk=ana.pk).update(branch=north)

    with pytest.raises(vocabularies.Conflict):
        vocabularies.update_branch(north, name="South", actor=ada)

    assert events() == []


def test_deleting_an_unused_entry_records_nothing(organization, ada, people):
    vocabularies.delete_tag(TagFactory(organization=organization), actor=ada)
    vocabularies.delete_group(ContactGroupFactory(organization=organization), actor=ada)
    vocabularies.delete_branch(BranchFactory(organization=organization), actor=ada)
    vocabularies.delete_team(TeamFactory(organization=organization), actor=ada)
    vocabularies.delete_custom_field(CustomFieldFactory(organization=organization), actor=ada)

    assert events() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_rename_waiting_behind_another_records_the_name_that_one_committed(organization):
    ana = ContactFactory(organization=organization, name="Ana")
    vip = TagFactory(organization=organization, name="vip")
    ana.tags.add(vip)
    first_written, release, failures = threading.Event(), threading.Event(), []

    def rename(name: str, *, hold: bool) -> None:
        try:
            with transaction.atomic():
                vocabularies.update_tag(Tag.objects.get(pk=vip.pk), name=name)
                if hold:
                    first_written.set()
                    assert release.wait(20)
        except BaseException as error:  # reported below
            failures.append(error)
            first_written.set()
        finally:
            connection.close()

    first = threading.Thread(target=rename, args=("gold",), kwargs={"hold": True})
    second = threading.Thread(target=rename, args=("silver",), kwargs={"hold": False})
    first.start()
    assert first_written.wait(20)
    second.start()
    time.sleep(0.5)
    assert second.is_alive()  # waiting for the contact the first rename locked
    release.set()
    first.join(20)
    second.join(20)

    assert failures == []
    assert [(e.type, e.changes) for e in ContactEvent.objects.order_by("id")] == [
        ("contact.updated", {"tags": {"before": ["vip"], "after": ["gold"]}}),
        ("contact.updated", {"tags": {"before": ["gold"], "after": ["silver"]}}),
    ]


# --- query counts ---------------------------------------------------------------------------------------------------


def _linked(organization, size):
    """`size` contacts, each with the tag "vip", the group "Gold", the branch "North", the team "Red" and a plan."""
    vip, gold = TagFactory(organization=organization, name="vip"), ContactGroupFactory(organization=organization)
    north, red = BranchFactory(organization=organization), TeamFactory(organization=organization)
    plan = CustomFieldFactory(organization=organization, key="plan")
    contacts = [
        ContactFactory(organization=organization, branch=north, team=red, custom_fields={"plan": "pro"})
        for _ in range(size)
    ]
    for contact in contacts:
        contact.tags.add(vip)
        contact.groups.add(gold)
    return {
        "tag": vip,
        "group": gold,
        "branch": north,
        "team": red,
        "custom_field": plan,
        "contacts": contacts,
        "new_tag": TagFactory(organization=organization),
        "new_group": ContactGroupFactory(organization=organization),
        "new_team": TeamFactory(organization=organization),
    }


# The budget of each write, the same for 3 contacts as for 30.
WRITES = {
    "delete_tag": (10, lambda e, actor: vocabularies.delete_tag(e["tag"], actor=actor)),
    "delete_group": (10, lambda e, actor: vocabularies.delete_group(e["group"], actor=actor)),
    "delete_branch": (9, lambda e, actor: vocabularies.delete_branch(e["branch"], actor=actor)),
    "delete_team": (10, lambda e, actor: vocabularies.delete_team(e["team"], actor=actor)),
    "delete_custom_field": (8, lambda e, actor: vocabularies.delete_custom_field(e["custom_field"], actor=actor)),
    "rename_tag": (14, lambda e, actor: vocabularies.update_tag(e["tag"], name="zeta", actor=actor)),
    "rename_group": (13, lambda e, actor: vocabularies.update_group(e["group"], name="Zeta", actor=actor)),
    "rename_branch": (12, lambda e, actor: vocabularies.update_branch(e["branch"], name="Zeta", actor=actor)),
    "rename_team": (12, lambda e, actor: vocabularies.update_team(e["team"], name="Zeta", actor=actor)),
    "add_tag": (9, lambda e, actor: add_tag(e["contacts"], e["new_tag"], actor=actor)),
    "remove_tag": (9, lambda e, actor: remove_tag(e["contacts"], e["tag"], actor=actor)),
    "add_to_group": (
        9,
        lambda e, actor: add_to_group(e["contacts"], e["new_group"], actor=actor),
    ),
    "set_favorite": (6, lambda e, actor: bulk.set_favorite(e["contacts"], actor=actor)),
    "assign_team": (7, lambda e, actor: bulk.assign_contacts(e["contacts"], team=e["new_team"], actor=actor)),
}


@pytest.mark.parametrize("size", [3, 30])
@pytest.mark.parametrize("write", sorted(WRITES))
def test_each_write_costs_the_same_queries_for_few_or_many_contacts(
    organization, ada, size, write, django_assert_max_num_queries
):
    entries = _linked(organization, size)
    budget, run = WRITES[write]

    with django_assert_max_num_queries(budget):
        run(entries, ada)

    assert ContactEvent.objects.count() == size
