"""An import writes one event per contact it created or changed, in the batch's transaction and in bulk (COPY on
PostgreSQL once a batch has enough of them)."""

from __future__ import annotations

import io

import pytest
from django.db import connection

from contacts.models import Contact
from contacts.services.imports import ImportOptions, import_contacts
from events.models import ContactEvent
from events.services import COPY_FROM_ROWS
from tests.factories import ContactFactory, CustomFieldFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_created_contacts_record_their_imported_values(organization):
    CustomFieldFactory(organization=organization, key="plan")
    TagFactory(organization=organization, name="VIP")
    user = UserFactory(username="importer")

    import_contacts(
        organization,
        io.BytesIO(b"phone,name,email,tags,cf:plan\n(212) 555-0100,Ana,ana@example.com,vip|Lead,pro\n"),
        ImportOptions(),
        actor=user,
    )

    ana = Contact.objects.get()
    event = ContactEvent.objects.get()
    assert (event.type, str(event.contact_uuid), event.surface, event.actor_kind, event.actor_name) == (
        "contact.created",
        str(ana.uuid),
        "import",
        "user",
        "importer",
    )
    assert event.changes == {
        "custom_fields.plan": {"before": None, "after": "pro"},
        "email": {"before": None, "after": "ana@example.com"},
        "name": {"before": None, "after": "Ana"},
        "phone": {"before": None, "after": "+12125550100"},
        "source": {"before": None, "after": "import"},
        "tags": {"before": None, "after": ["Lead", "VIP"]},
    }


def test_updated_contacts_record_what_changed_and_the_tags_added(organization):
    CustomFieldFactory(organization=organization, key="plan")
    vip = TagFactory(organization=organization, name="VIP")
    ana = ContactFactory(organization=organization, name="Ana", phone="+12125550100", email="old@example.com")
    ana.custom_fields = {"plan": "free"}
    ana.save()
    ana.tags.add(vip)
    bob = ContactFactory(organization=organization, name="Bob", phone="+12125550101", email="bob@example.com")

    import_contacts(
        organization,
        io.BytesIO(
            b"phone,name,email,tags,cf:plan\n"
            b"+12125550100,Ana,new@example.com,Lead,pro\n"
            b"+12125550101,Bob,bob@example.com,,\n"  # unchanged: no event
        ),
        ImportOptions(),
    )

    assert [(e.type, str(e.contact_uuid), e.changes) for e in ContactEvent.objects.order_by("id")] == [
        (
            "contact.updated",
            str(ana.uuid),
            {
                "custom_fields.plan": {"before": "free", "after": "pro"},
                "email": {"before": "old@example.com", "after": "new@example.com"},
                "tags": {"before": ["VIP"], "after": ["Lead", "VIP"]},
            },
        )
    ]
    assert not ContactEvent.objects.filter(contact_uuid=bob.uuid).exists()


def test_a_dry_run_records_nothing(organization):
    import_contacts(organization, io.BytesIO(b"phone,name\n+12125550100,Ana\n"), ImportOptions(dry_run=True))

    assert not ContactEvent.objects.exists()


def test_a_large_batch_writes_one_event_per_contact(organization):
    rows = COPY_FROM_ROWS + 50
    text = "phone,name\n" + "".join(f"+1212555{index:04d},Person {index}\n" for index in range(rows))

    result = import_contacts(organization, io.BytesIO(text.encode()), ImportOptions())

    assert result.created == rows
    uuids = set(Contact.objects.values_list("uuid", flat=True))
    events = ContactEvent.objects.filter(type="contact.created", surface="import")
    assert set(events.values_list("contact_uuid", flat=True)) == uuids
    assert events.count() == rows
    if connection.vendor == "postgresql":  # written by COPY, with time-ordered uuids
        assert {event_uuid.version for event_uuid in events.values_list("uuid", flat=True)} == {7}
    assert events.get(contact_uuid=Contact.objects.get(phone="+12125550007").uuid).changes == {
        "name": {"before": None, "after": "Person 7"},
        "phone": {"before": None, "after": "+12125550007"},
        "source": {"before": None, "after": "import"},
    }


def test_values_that_copy_must_escape_arrive_as_given(organization):
    odd = 'Zoë "Z" back\\slash\ttab'
    rows = COPY_FROM_ROWS + 1
    lines = [f"+1212555{index:04d},Person {index}" for index in range(1, rows)]
    text = "phone,name\n" + '+12125550000,"' + odd.replace('"', '""') + '"\n' + "\n".join(lines) + "\n"

    import_contacts(organization, io.BytesIO(text.encode()), ImportOptions())

    zoe = Contact.objects.get(phone="+12125550000")
    assert zoe.name == odd
    assert ContactEvent.objects.get(contact_uuid=zoe.uuid).changes["name"] == {"before": None, "after": odd}
