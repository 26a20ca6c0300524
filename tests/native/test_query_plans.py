"""The list's keyset page is answered from the index on (organization, created_at, id) by seeking to the cursor,
so a deep page costs what the first does. PostgreSQL only."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.api.native.contacts import native_contacts
from contacts.api.native.filters import ContactFilter
from contacts.api.native.pagination import _encode, keyset
from contacts.models import Contact, ContactGroup, Tag

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


def _filtered_page(organization, params: dict[str, str]):
    """The list view's first page query for `params`, built by its own filter."""
    request = SimpleNamespace(user=SimpleNamespace(organization=organization))
    filterset = ContactFilter(params, queryset=native_contacts(organization), request=request)
    assert filterset.is_valid(), filterset.errors
    return keyset(filterset.qs, "-created_at", None)[:51]


def _link_plan(organization, through, column: str, rare_id: int, common_id: int, params: dict[str, str]) -> str:
    """The plan of a page filtered by a link (tag, group) on 20 of 5,000 contacts, the others all on another."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    contacts = Contact.objects.bulk_create(
        Contact(organization=organization, name=f"c{i}", created_at=start + dt.timedelta(seconds=i))
        for i in range(5000)
    )
    through.objects.bulk_create(
        through(contact_id=contact.pk, **{column: rare_id if index % 250 == 0 else common_id})
        for index, contact in enumerate(contacts)
    )
    with connection.cursor() as db:
        # As autovacuum leaves a table that is read more than written: its pages all-visible, which is what lets
        # PostgreSQL answer from an index alone (and VACUUM needs the rows committed, hence `transaction=True`).
        db.execute(f"VACUUM ANALYZE {through._meta.db_table}")
    return query_plan(_filtered_page(organization, params))


@pytest.mark.django_db(transaction=True)
def test_a_page_of_a_rare_tag_reads_the_tags_links_from_the_tag_side(organization):
    rare, common = (Tag.objects.create(organization=organization, name=name) for name in ("rare", "common"))

    plan = _link_plan(organization, Contact.tags.through, "tag_id", rare.pk, common.pk, {"tags": "rare"})

    assert "contact_tags_tag_contact" in plan, plan
    assert "Index Only Scan" in plan, plan


@pytest.mark.django_db(transaction=True)
def test_a_page_of_a_rare_group_reads_the_groups_links_from_the_group_side(organization):
    rare, common = (ContactGroup.objects.create(organization=organization, name=name) for name in ("rare", "common"))

    plan = _link_plan(
        organization, Contact.groups.through, "contactgroup_id", rare.pk, common.pk, {"groups": str(rare.pk)}
    )

    assert "contact_groups_group_contact" in plan, plan
    assert "Index Only Scan" in plan, plan


def _trigram_index_or_skip() -> None:
    with connection.cursor() as db:
        db.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'contact_search_trgm'")
        if db.fetchone() is None:
            pytest.skip("pg_trgm is not available on this server")


def test_a_search_for_two_common_words_that_never_meet_reads_the_trigram_index(organization, api):
    """Smith and Perez are each on 5 % of 20,000 contacts, never on the same one. The window (the newest 5,000)
    holds no match, so the rest of the page is read from the matches beyond it: through the trigram index, not by
    walking the other 15,000 contacts in created order."""
    _trigram_index_or_skip()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    names = {0: "Ann Smith", 1: "Bob Perez"}
    Contact.objects.bulk_create(
        (
            Contact(
                organization=organization,
                name=names.get(i % 20, f"Other {i}"),
                created_at=start + dt.timedelta(seconds=i),
            )
            for i in range(20_000)
        ),
        batch_size=5000,
    )
    with connection.cursor() as db:
        db.execute("ANALYZE contacts_contact")

    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/contacts", {"q": "smith perez"})
    statements = [query["sql"] for query in queries.captured_queries if "MATERIALIZED" in query["sql"]]

    assert response.json()["results"] == []
    assert len(statements) == 1, statements
    with connection.cursor() as db:
        db.execute("EXPLAIN " + statements[0])
        plan = "\n".join(row[0] for row in db.fetchall())
    assert "Bitmap Index Scan on contact_search_trgm" in plan, plan
    # Walking (an Index Scan in created order, filtering each contact) is what the search must not do here.
    assert "Index Scan using contact_org_created" not in plan, plan


def test_the_applications_connections_plan_without_parallel_workers():
    """DATABASE_PARALLEL_WORKERS is unset in the tests: its default, 0, reaches every connection."""
    with connection.cursor() as db:
        db.execute("SHOW max_parallel_workers_per_gather")
        assert db.fetchone() == ("0",)
