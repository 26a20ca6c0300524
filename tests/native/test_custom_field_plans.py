"""A custom-field equality filter is answered from the GIN index on custom_fields (PostgreSQL only)."""

from __future__ import annotations

import pytest
from django.db import connection

from contacts.api.native.contacts import native_contacts
from contacts.api.native.custom_field_filters import filter_custom_fields
from contacts.api.native.pagination import keyset
from contacts.models import Contact
from tests.factories import CustomFieldFactory
from tests.native.test_query_plans import query_plan

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's"),
]


def test_a_rare_value_is_found_through_the_gin_index_not_by_walking_the_list(organization):
    CustomFieldFactory(organization=organization, key="SIZE", field_type="number")
    Contact.objects.bulk_create(
        Contact(organization=organization, name=f"c{i}", custom_fields={"SIZE": i % 1000}) for i in range(20_000)
    )
    queryset = filter_custom_fields(native_contacts(organization), organization, {"custom_fields.SIZE": "42"})

    plan = query_plan(keyset(queryset, "-created_at", None)[:51])

    assert "contact_custom_fields_gin" in plan, plan
    assert sorted(queryset.values_list("name", flat=True)) == sorted(f"c{i}" for i in range(42, 20_000, 1000))
