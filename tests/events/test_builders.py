"""`contact_events`, the builder a many-contact write (the native API's batch) hands its contacts to."""

from __future__ import annotations

import pytest

from events.builders import ContactChange, contact_events
from events.values import snapshot
from tests.factories import ContactFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_created_changed_and_unchanged_contacts(organization, django_assert_num_queries):
    sales, support = TeamFactory(organization=organization, name="Sales"), TeamFactory(organization=organization)
    new = ContactFactory.build(organization=organization, name="Ana", phone="+12125550100", email="")
    moved = ContactFactory(organization=organization, team=support)
    same = ContactFactory(organization=organization)
    before_moved, before_same = snapshot(moved, tags=["VIP"]), snapshot(same)
    moved.team_id, moved.is_favorite = sales.pk, True

    with django_assert_num_queries(1):  # the teams, once for the whole write
        events = contact_events(
            [
                ContactChange(new, None, tags=["VIP"]),
                ContactChange(moved, before_moved, tags=["VIP", "Lead"]),
                ContactChange(same, before_same),
            ]
        )

    assert [(str(e.contact_uuid), e.type, e.changes) for e in events] == [
        (
            str(new.uuid),
            "contact.created",
            {
                "name": {"before": None, "after": "Ana"},
                "phone": {"before": None, "after": "+12125550100"},
                "source": {"before": None, "after": "api"},
                "tags": {"before": None, "after": ["VIP"]},
            },
        ),
        (
            str(moved.uuid),
            "contact.updated",
            {
                "is_favorite": {"before": False, "after": True},
                "tags": {"before": ["VIP"], "after": ["Lead", "VIP"]},
                "team": {
                    "before": {"id": str(support.uuid), "name": support.name},
                    "after": {"id": str(sales.uuid), "name": "Sales"},
                },
            },
        ),
    ]
