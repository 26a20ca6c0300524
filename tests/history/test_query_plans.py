"""A history page after a cursor seeks to the cursor in an index in id order, whatever its depth. PostgreSQL
only."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import ContactEvent
from events.selectors import contact_history, organization_events

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's"),
]

CONTACTS = [uuid.UUID(int=n + 1) for n in range(50)]


@pytest.fixture
def events(organization, other_organization):
    # One organization's events, one in ten, among another's on a shared server.
    ContactEvent.objects.bulk_create(
        ContactEvent(
            organization=organization if i % 10 == 0 else other_organization,
            contact_uuid=CONTACTS[(i // 10) % 50],
            type="contact.updated",
        )
        for i in range(15000)
    )
    with connection.cursor() as db:
        db.execute("ANALYZE events_contactevent")
    return list(ContactEvent.objects.filter(organization=organization).order_by("id").values_list("id", flat=True))


def plan_of(read) -> str:
    """PostgreSQL's plan for the one query `read()` runs."""
    with CaptureQueriesContext(connection) as captured:
        read()
    (query,) = captured.captured_queries
    with connection.cursor() as db:
        db.execute(f"EXPLAIN {query['sql']}")
        return "\n".join(row[0] for row in db.fetchall())


def index_condition(plan: str) -> str:
    return next(line for line in plan.splitlines() if "Index Cond" in line)


def test_a_contacts_page_after_a_cursor_seeks_in_the_contact_index(organization, events):
    middle = events[750]

    plan = plan_of(lambda: contact_history(organization, CONTACTS[7], cursor=middle, limit=50))

    assert "event_org_contact" in plan, plan
    assert "id >" in index_condition(plan), plan
    newest_first = plan_of(lambda: contact_history(organization, CONTACTS[7], cursor=middle, newest_first=True))
    assert "event_org_contact" in newest_first and "id <" in index_condition(newest_first), newest_first


def test_an_organizations_page_after_a_cursor_seeks_in_id_order(organization, events):
    """The planner may walk (organization, id) or the primary key, as the organization's share of the table makes
    cheaper; either way it starts at the cursor and stops after the page, with no sort of the organization's rows."""
    for plan in (
        plan_of(lambda: organization_events(organization, cursor=events[750], limit=50)),
        plan_of(lambda: organization_events(organization, cursor=events[750], types=["contact.updated"], limit=50)),
    ):
        assert "Sort" not in plan, plan
        assert "id >" in index_condition(plan), plan
