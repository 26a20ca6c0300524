"""A write that changes what many contacts show (a vocabulary entry deleted or renamed, an admin bulk action) moves
their `updated_at`: a sync from just before it returns exactly those contacts, in their new state."""

from __future__ import annotations

import datetime as dt

import pytest

from contacts.models import Contact
from contacts.services import bulk
from contacts.services.tagging import add_tag, add_to_group, remove_tag
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

T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
BEFORE_THE_CHANGE = "2026-01-01T13:00:00Z"


@pytest.fixture
def people(organization):
    return [ContactFactory(organization=organization, name=name) for name in ("Ana", "Bob", "Cy")]


def stale() -> None:
    """Every contact last written at T0, an hour before the sync's `updated_since`."""
    Contact.objects.update(created_at=T0, updated_at=T0)


def synced(api) -> dict[str, dict]:
    """{name: contact} of every page of a sync from just before the change."""
    seen: dict[str, dict] = {}
    response = api.get("/api/v1/contacts", {"updated_since": BEFORE_THE_CHANGE, "limit": 2})
    while True:
        assert response.status_code == 200, response.json()
        seen.update({row["name"]: row for row in response.json()["results"]})
        if response.json()["next"] is None:
            return seen
        response = api.get(response.json()["next"])


def test_deleting_a_tag_returns_the_contacts_that_had_it(api, organization, people):
    ana, bob, _ = people
    vip, lead = TagFactory(organization=organization, name="vip"), TagFactory(organization=organization, name="lead")
    ana.tags.add(vip, lead)
    bob.tags.add(vip)
    stale()

    assert api.delete(f"/api/v1/tags/{vip.pk}").status_code == 204

    assert {name: row["tags"] for name, row in synced(api).items()} == {"Ana": ["lead"], "Bob": []}


def test_renaming_a_tag_returns_its_contacts(api, organization, people):
    ana, _, _ = people
    vip = TagFactory(organization=organization, name="vip")
    ana.tags.add(vip)
    stale()

    assert api.patch(f"/api/v1/tags/{vip.pk}", {"name": "gold"}, format="json").status_code == 200

    assert {name: row["tags"] for name, row in synced(api).items()} == {"Ana": ["gold"]}


def test_deleting_or_renaming_a_group_returns_its_members(api, organization, people):
    ana, bob, _ = people
    gold, silver = (ContactGroupFactory(organization=organization, name=n) for n in ("Gold", "Silver"))
    ana.groups.add(gold)
    bob.groups.add(silver)
    stale()

    assert api.delete(f"/api/v1/groups/{gold.pk}").status_code == 204
    assert {name: row["groups"] for name, row in synced(api).items()} == {"Ana": []}

    stale()
    assert api.patch(f"/api/v1/groups/{silver.pk}", {"name": "Bronze"}, format="json").status_code == 200
    assert {name: row["groups"] for name, row in synced(api).items()} == {"Bob": [{"id": silver.pk, "name": "Bronze"}]}


def test_deleting_or_renaming_a_branch_returns_its_contacts(api, organization, people):
    ana, bob, _ = people
    north, south = BranchFactory(organization=organization, name="North"), BranchFactory(organization=organization)
    Contact.objects.filter(pk=ana.pk).update(branch=north)
    Contact.objects.filter(pk=bob.pk).update(branch=south)
    stale()

    assert api.patch(f"/api/v1/branches/{north.pk}", {"name": "Nord"}, format="json").status_code == 200
    assert {name: row["branch"] for name, row in synced(api).items()} == {"Ana": {"id": north.pk, "name": "Nord"}}

    stale()
    assert api.delete(f"/api/v1/branches/{north.pk}").status_code == 204
    assert {name: row["branch"] for name, row in synced(api).items()} == {"Ana": None}


def test_deleting_or_renaming_a_team_returns_its_contacts(api, organization, people):
    _, bob, _ = people
    red = TeamFactory(organization=organization, name="Red")
    Contact.objects.filter(pk=bob.pk).update(team=red)
    stale()

    assert api.patch(f"/api/v1/teams/{red.uuid}", {"name": "Rouge"}, format="json").status_code == 200
    assert {name: row["team"] for name, row in synced(api).items()} == {"Bob": {"id": str(red.uuid), "name": "Rouge"}}

    stale()
    assert api.delete(f"/api/v1/teams/{red.uuid}").status_code == 204
    assert {name: row["team"] for name, row in synced(api).items()} == {"Bob": None}


def test_deleting_a_custom_field_returns_the_contacts_that_had_a_value(api, organization, people):
    ana, _, cy = people
    plan = CustomFieldFactory(organization=organization, key="plan")
    CustomFieldFactory(organization=organization, key="tier")
    Contact.objects.filter(pk=ana.pk).update(custom_fields={"plan": "pro"}, custom_field_order=["plan"])
    Contact.objects.filter(pk=cy.pk).update(custom_fields={"tier": "b"}, custom_field_order=["tier"])
    stale()

    assert api.delete(f"/api/v1/custom-fields/{plan.pk}").status_code == 204

    assert {name: row["custom_fields"] for name, row in synced(api).items()} == {"Ana": {}}


def test_the_admins_tagging_and_grouping_return_the_contacts_they_changed(api, organization, people):
    ana, bob, cy = people
    vip, gold = TagFactory(organization=organization, name="vip"), ContactGroupFactory(organization=organization)
    cy.tags.add(vip)
    stale()

    add_tag([ana, bob], vip)
    assert {name: row["tags"] for name, row in synced(api).items()} == {"Ana": ["vip"], "Bob": ["vip"]}

    stale()
    remove_tag([cy], vip)
    assert {name: row["tags"] for name, row in synced(api).items()} == {"Cy": []}

    stale()
    add_to_group([bob], gold)
    assert {name: row["groups"] for name, row in synced(api).items()} == {"Bob": [{"id": gold.pk, "name": gold.name}]}


def test_the_admins_bulk_assign_and_favorite_return_the_contacts_they_changed(api, organization, people):
    ana, bob, cy = people
    grace = UserFactory(email="grace@example.com")
    grace.memberships.create(organization=organization)
    stale()

    bulk.assign_contacts([ana, bob], user=grace)
    assert {name: row["assigned_user"] for name, row in synced(api).items()} == {
        "Ana": "grace@example.com",
        "Bob": "grace@example.com",
    }

    stale()
    bulk.set_favorite([cy])
    assert {name: row["is_favorite"] for name, row in synced(api).items()} == {"Cy": True}


def test_a_sync_from_before_returns_nothing_when_nothing_changed(api, organization, people):
    stale()

    assert synced(api) == {}
