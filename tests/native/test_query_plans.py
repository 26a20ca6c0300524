"""The list's keyset page is answered from the index on (organization, created_at, id) by seeking to the cursor,
so a deep page costs what the first does. PostgreSQL only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from contacts.api.native.contacts import native_contacts
from contacts.api.native.pagination import _encode, keyset
from contacts.models import Contact

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's"),
]


def query_plan(queryset) -> str:
    """PostgreSQL's plan for `queryset`, after fresh statistics."""
    with connection.cursor() as db:
        db.execute("ANALYZE contacts_contact")
        sql, params = queryset.query.sql_with_params()
        db.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in db.fetchall())


def test_a_page_after_a_cursor_seeks_in_the_created_index(organization):
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    Contact.objects.bulk_create(
        Contact(organization=organization, name=f"c{i}", created_at=start + dt.timedelta(seconds=i))
        for i in range(5000)
    )
    cursor = _encode("-created_at", start + dt.timedelta(seconds=2500), 2500)
    queryset = keyset(native_contacts(organization), "-created_at", cursor)[:51]

    plan = query_plan(queryset)

    assert "contact_org_created" in plan, plan
    index_condition = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "created_at <=" in index_condition, plan


def test_a_sync_page_after_a_cursor_seeks_in_the_updated_index(organization):
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    Contact.objects.bulk_create(Contact(organization=organization, name=f"c{i}") for i in range(5000))
    # bulk_create stamps updated_at with now; spread them out as a day of edits would.
    for step in range(0, 5000, 500):
        Contact.objects.filter(organization=organization, name__in=[f"c{i}" for i in range(step, step + 500)]).update(
            updated_at=start + dt.timedelta(minutes=step)
        )
    cursor = _encode("-updated_at", start + dt.timedelta(minutes=2500), 2500)
    queryset = keyset(native_contacts(organization), "-updated_at", cursor)[:51]

    plan = query_plan(queryset)

    assert "contact_org_updated" in plan, plan
    index_condition = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "updated_at <=" in index_condition, plan
