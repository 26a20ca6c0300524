"""Each service write appends its events in its own transaction: the type, the changed fields with their values
before and after (as the native API renders them), the actor, the surface and the request id."""

from __future__ import annotations

import pytest
from django.db import transaction

from contacts.errors import Conflict
from contacts.models import Contact, Membership
from contacts.services import bulk
from contacts.services.contacts import create_contact, delete_contact, update_contact
from contacts.services.tagging import add_tag, add_to_group, remove_tag
from events.context import event_context
from events.models import ContactEvent
from tests.factories import (
    BranchFactory,
    ContactFactory,
    ContactGroupFactory,
    CustomFieldFactory,
    TagFactory,
    TeamFactory,
    UserFactory,
    make_api_key,
)

pytestmark = pytest.mark.django_db


def events() -> list[tuple]:
    return [
        (e.type, str(e.contact_uuid), e.changes, e.actor_kind, e.actor_name, e.surface, e.request_id)
        for e in ContactEvent.objects.order_by("id")
    ]


@pytest.fixture
def ada(organization):
    user = UserFactory(username="ada", email="ada@example.com")
    Membership.objects.create(user=user, organization=organization, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def plan(organization):
    return CustomFieldFactory(organization=organization, key="plan")


def test_a_create_records_every_value_it_was_given(organization, ada, plan):
    branch = BranchFactory(organization=organization, name="North")
    TagFactory(organization=organization, name="VIP")

    with event_context(surface="native", request_id="req-1"):
        contact = create_contact(
            organization=organization,
            actor=ada,
            name="Ana",
            phone="(212) 555-0100",
            email="ana@example.com",
            branch=branch.pk,
            tags=["vip", "Lead"],
            custom_fields={"plan": "pro"},
        )

    assert events() == [
        (
            "contact.created",
            str(contact.uuid),
            {
                "branch": {"before": None, "after": {"id": branch.pk, "name": "North"}},
                "custom_fields.plan": {"before": None, "after": "pro"},
                "email": {"before": None, "after": "ana@example.com"},
                "name": {"before": None, "after": "Ana"},
                "phone": {"before": None, "after": "+12125550100"},
                "source": {"before": None, "after": "api"},
                "tags": {"before": None, "after": ["Lead", "VIP"]},
            },
            "user",
            "ada",
            "native",
            "req-1",
        )
    ]


def test_an_update_records_only_the_fields_it_changed(organization, ada, plan):
    team = TeamFactory(organization=organization, name="Sales")
    contact = create_contact(organization=organization, name="Ana", phone="+12125550100", tags=["VIP"])
    ContactEvent.objects.all().delete()

    update_contact(
        contact,
        actor=ada,
        name="Ana",  # unchanged: not in the event
        email="ana@example.com",
        team=str(team.uuid),
        tags=["VIP", "Lead"],
        custom_fields={"plan": "free"},
    )

    assert events() == [
        (
            "contact.updated",
            str(contact.uuid),
            {
                "custom_fields.plan": {"before": None, "after": "free"},
                "email": {"before": None, "after": "ana@example.com"},
                "tags": {"before": ["VIP"], "after": ["Lead", "VIP"]},
                "team": {"before": None, "after": {"id": str(team.uuid), "name": "Sales"}},
            },
            "user",
            "ada",
            "system",
            "",
        )
    ]


def test_an_update_that_changes_nothing_records_nothing(organization):
    contact = create_contact(organization=organization, name="Ana")
    ContactEvent.objects.all().delete()

    update_contact(contact, name="Ana")

    assert events() == []


def test_an_avatar_url_alone_is_an_avatar_change(organization):
    contact = create_contact(organization=organization, name="Ana")
    ContactEvent.objects.all().delete()

    update_contact(contact, avatar_url="https://img.example.com/ana.png")

    assert [(kind, changes) for kind, _, changes, *_ in events()] == [
        (
            "contact.avatar_changed",
            {"avatar_url": {"before": None, "after": "https://img.example.com/ana.png"}},
        )
    ]


def test_an_api_key_is_the_actor_of_a_principal(organization):
    from contacts.api.principal import ApiPrincipal

    key, _ = make_api_key(organization, name="Zapier")
    principal = ApiPrincipal(organization=organization, credential=key)

    create_contact(organization=organization, actor=principal, name="Ana")

    event = ContactEvent.objects.get()
    assert (event.actor_kind, event.actor_id, event.actor_name) == ("api_key", str(key.pk), "Zapier")


def test_a_delete_leaves_a_tombstone_and_scrubs_the_earlier_values(organization, ada):
    vip = TagFactory(organization=organization, name="VIP")
    contact = create_contact(organization=organization, name="Ana", phone="+12125550100", custom_fields={})
    update_contact(contact, email="ana@example.com", is_favorite=True)
    add_tag([contact], vip, actor=ada)
    uuid = str(contact.uuid)

    delete_contact(contact, actor=ada)

    assert [(kind, changes, actor) for kind, _, changes, _, actor, *_ in events()] == [
        (
            "contact.created",
            {
                "name": {"before": None, "after": None},
                "phone": {"before": None, "after": None},
                "source": {"before": None, "after": "api"},
            },
            "",
        ),
        (
            "contact.updated",
            {"email": {"before": None, "after": None}, "is_favorite": {"before": False, "after": True}},
            "",
        ),
        ("contact.tagged", {"tags": {"before": [], "after": ["VIP"]}}, "ada"),
        ("contact.deleted", {}, "ada"),
    ]
    assert {event[1] for event in events()} == {uuid}


def test_a_delete_leaves_other_contacts_events_alone(organization):
    ana = create_contact(organization=organization, name="Ana")
    bob = create_contact(organization=organization, name="Bob")

    delete_contact(ana)

    assert ContactEvent.objects.get(contact_uuid=bob.uuid).changes == {
        "name": {"before": None, "after": "Bob"},
        "source": {"before": None, "after": "api"},
    }


def test_a_rolled_back_write_leaves_no_event(organization):
    with pytest.raises(RuntimeError), transaction.atomic():
        create_contact(organization=organization, name="Ana")
        raise RuntimeError("the caller's transaction fails after the write")

    assert events() == []
    assert not Contact.objects.exists()


def test_a_refused_write_leaves_no_event(organization):
    create_contact(organization=organization, name="Ana", phone="+12125550100")
    bob = create_contact(organization=organization, name="Bob")
    ContactEvent.objects.all().delete()

    with pytest.raises(Conflict):
        update_contact(bob, name="Bobby", phone="+12125550100")

    assert events() == []


def test_tagging_untagging_and_grouping_record_the_names_before_and_after(organization, ada):
    vip, lead = TagFactory(organization=organization, name="VIP"), TagFactory(organization=organization, name="Lead")
    group = ContactGroupFactory(organization=organization, name="Newsletter")
    ana, bob = ContactFactory(organization=organization), ContactFactory(organization=organization)
    ana.tags.add(lead)

    add_tag([ana, bob], vip, actor=ada)
    remove_tag([ana], lead, actor=ada)
    add_to_group([bob], group, actor=ada)

    assert [(kind, uuid, changes) for kind, uuid, changes, *_ in events()] == [
        ("contact.tagged", str(ana.uuid), {"tags": {"before": ["Lead"], "after": ["Lead", "VIP"]}}),
        ("contact.tagged", str(bob.uuid), {"tags": {"before": [], "after": ["VIP"]}}),
        ("contact.untagged", str(ana.uuid), {"tags": {"before": ["Lead", "VIP"], "after": ["VIP"]}}),
        ("contact.grouped", str(bob.uuid), {"groups": {"before": [], "after": ["Newsletter"]}}),
    ]


def test_bulk_assignment_and_favorites_record_each_contacts_change(organization, ada):
    team = TeamFactory(organization=organization, name="Sales")
    old = TeamFactory(organization=organization, name="Support")
    ana = ContactFactory(organization=organization, team=old)
    bob = ContactFactory(organization=organization, is_favorite=True)

    bulk.assign_contacts([ana, bob], team=team, actor=ada)
    bulk.set_favorite([ana, bob], actor=ada)

    sales, support = {"id": str(team.uuid), "name": "Sales"}, {"id": str(old.uuid), "name": "Support"}
    assert [(kind, uuid, changes) for kind, uuid, changes, *_ in events()] == [
        ("contact.updated", str(ana.uuid), {"team": {"before": support, "after": sales}}),
        ("contact.updated", str(bob.uuid), {"team": {"before": None, "after": sales}}),
        ("contact.updated", str(ana.uuid), {"is_favorite": {"before": False, "after": True}}),
    ]


def test_channel_addresses_are_recorded_as_channel_and_id(organization):
    from contacts.services.channel_identities import Identity

    contact = create_contact(
        organization=organization, name="Ana", channel_identities={"line": [Identity("line", "U1")]}
    )
    update_contact(contact, channel_identities={"line": [Identity("line", "U2"), Identity("line", "U3")]})
    update_contact(contact, channel_identities={"line": [Identity("line", "U3"), Identity("line", "U2")]})

    assert [(kind, changes.get("channel_identities")) for kind, _, changes, *_ in events()] == [
        ("contact.created", {"before": None, "after": ["line:U1"]}),
        ("contact.updated", {"before": ["line:U1"], "after": ["line:U2", "line:U3"]}),
    ]
