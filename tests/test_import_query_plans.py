"""The importer's batch lookups use the unique indexes (PostgreSQL), however many values a batch holds.

A lookup of over 100 values on a partial unique index was once planned as a scan of the organization's
contacts, so each batch of an import into a large organization cost a full scan.
"""

import io

import pytest
from django.db import connection

from contacts.models import Contact
from contacts.services import imports
from contacts.services.imports import writer
from contacts.services.imports.matching import _value_in
from tests.factories import ContactFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's"),
]


@pytest.mark.parametrize("column", ["phone", "alias", "contact_key"])
def test_a_batch_lookup_of_a_thousand_values_uses_the_partial_unique_index(organization, column):
    Contact.objects.bulk_create(
        Contact(organization=organization, phone=f"+1646555{i:04d}", alias=f"a{i}", contact_key=f"k{i}")
        for i in range(3000)
    )
    values = [f"+1212555{index:04d}" for index in range(1000)]
    queryset = Contact.objects.filter(_value_in(column, values), organization=organization).order_by().values("pk")

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")
        # A table this small is cheaper to scan, or to read through a smaller index, than to probe a thousand
        # times. The question is whether the unique index can be used at all, so (inside the test's
        # transaction, rolled back after it) leave the planner nothing else.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'contacts_contact' AND indexname <> %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [f"contact_unique_org_{column}"],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert f"contact_unique_org_{column}" in plan, plan


@pytest.mark.parametrize(("threshold", "analyzed"), [(1, True), (10**9, False)])
def test_a_large_import_refreshes_the_planner_statistics(organization, monkeypatch, threshold, analyzed):
    monkeypatch.setattr(writer, "ANALYZE_ROWS", threshold)
    ContactFactory(organization=organization)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")
    rows = "".join(f"+1212456{index:04d}\n" for index in range(40))

    imports.import_contacts(organization, io.BytesIO(f"phone\n{rows}".encode()), imports.ImportOptions())

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'contacts_contact'")
        (estimate,) = cursor.fetchone()
    assert Contact.objects.count() == 41
    assert estimate == (41 if analyzed else 1)
