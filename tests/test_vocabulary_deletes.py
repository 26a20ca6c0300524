"""Deleting several tags at once locks every contact they reach first, together in ascending id."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import Contact, Tag
from contacts.services.vocabularies import delete_tag
from contacts.services.vocabulary_deletes import delete_entries
from events.models import ContactEvent
from tests.factories import ContactFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_the_contacts_of_every_entry_are_locked_before_any_entry_is_deleted(organization):
    first, second = TagFactory(organization=organization, name="A"), TagFactory(organization=organization, name="B")
    low, high = ContactFactory(organization=organization), ContactFactory(organization=organization)
    high.tags.add(first)  # the first tag reaches the higher id, the second the lower
    low.tags.add(second)

    with CaptureQueriesContext(connection) as queries:
        delete_entries(Tag.objects.filter(organization=organization), delete_tag)

    statements = [query["sql"] for query in queries.captured_queries]
    first_delete = next(i for i, sql in enumerate(statements) if sql.startswith("DELETE"))
    if connection.features.has_select_for_update:
        locks = [i for i, sql in enumerate(statements) if "FOR UPDATE" in sql]
        assert locks[0] < first_delete
        assert f"IN ({low.pk}, {high.pk})" in statements[locks[0]]
    assert Tag.objects.filter(organization=organization).count() == 0
    assert sorted(Contact.objects.values_list("pk", flat=True)) == sorted([low.pk, high.pk])
    assert sorted(ContactEvent.objects.values_list("type", flat=True)) == ["contact.untagged", "contact.untagged"]
