"""`manage.py purge_events` deletes the events older than the retention period, in batches, and keeps the rest."""

from __future__ import annotations

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from events.models import ContactEvent
from events.services import purge_events

pytestmark = pytest.mark.django_db


def event_aged(organization, days: float) -> ContactEvent:
    return ContactEvent.objects.create(
        organization=organization,
        contact_uuid=uuid.uuid4(),
        type="contact.updated",
        occurred_at=timezone.now() - timedelta(days=days),
    )


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_events", *args, stdout=out)
    return out.getvalue()


def test_events_older_than_the_retention_setting_are_deleted(organization, settings):
    settings.EVENT_RETENTION_DAYS = 30
    old = [event_aged(organization, 31), event_aged(organization, 400)]
    kept = [event_aged(organization, 29), event_aged(organization, 0)]

    output = purge()

    assert output.startswith("Deleted 2 events older than 30 days (before ")
    assert sorted(ContactEvent.objects.values_list("pk", flat=True)) == sorted(e.pk for e in kept)
    assert not ContactEvent.objects.filter(pk__in=[e.pk for e in old]).exists()


def test_days_overrides_the_setting(organization, settings):
    settings.EVENT_RETENTION_DAYS = 365
    event_aged(organization, 10)
    event_aged(organization, 3)

    output = purge("--days", "7")

    assert output.startswith("Deleted 1 event older than 7 days")
    assert ContactEvent.objects.count() == 1


def test_the_purge_goes_in_batches_until_none_is_left(organization):
    for _ in range(5):
        event_aged(organization, 500)
    recent = event_aged(organization, 1)

    batches = list(purge_events(before=timezone.now() - timedelta(days=365), batch_size=2))

    assert batches == [2, 2, 1]
    assert list(ContactEvent.objects.values_list("pk", flat=True)) == [recent.pk]


def test_a_days_value_below_one_is_refused(organization):
    with pytest.raises(CommandError, match="expects a whole number 1 or more, got '0'"):
        purge("--days", "0")
