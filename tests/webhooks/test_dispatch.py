"""The dispatcher reads the outbox in id order, owes each event once per matching endpoint, and still finds an
event whose transaction committed after a later one had been read (a gap it looks at again for a while)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from events.models import ContactEvent
from tests.webhooks.conftest import make_event
from webhooks.models import DispatchCursor, WebhookDelivery
from webhooks.services import dispatch
from webhooks.services.create_endpoint import create_endpoint
from webhooks.services.dispatch import dispatch_events

pytestmark = pytest.mark.django_db


def owed_event_ids() -> list[int]:
    return sorted(WebhookDelivery.objects.values_list("event_id", flat=True))


def test_each_event_is_owed_once_however_often_the_dispatcher_runs(organization, endpoint):
    first, second = make_event(organization), make_event(organization)
    assert dispatch_events() == (2, False)
    assert dispatch_events() == (0, False)
    assert owed_event_ids() == [first.pk, second.pk]
    assert DispatchCursor.objects.get().last_event_id == second.pk


def test_an_id_committed_late_is_found_in_the_gaps(organization, endpoint):
    first, late, third = make_event(organization), make_event(organization), make_event(organization)
    late_id = late.pk
    late.delete()  # as if its transaction had not committed yet when the dispatcher read past it
    dispatch_events()
    assert owed_event_ids() == [first.pk, third.pk]
    assert set(DispatchCursor.objects.get().gaps) == {f"{late_id}-{late_id}"}

    make_event(organization, id=late_id)  # now it commits
    dispatch_events()
    assert owed_event_ids() == [first.pk, late_id, third.pk]
    assert DispatchCursor.objects.get().gaps == {}


def test_a_gap_is_given_up_after_gap_seconds(organization, endpoint):
    first, gone, third = make_event(organization), make_event(organization), make_event(organization)
    gone.delete()  # rolled back: its id never commits
    start = timezone.now()
    dispatch_events(now=start)
    dispatch_events(now=start + dt.timedelta(seconds=dispatch.GAP_SECONDS + 1))
    assert DispatchCursor.objects.get().gaps == {}
    assert owed_event_ids() == [first.pk, third.pk]


def test_history_from_before_the_first_endpoint_is_not_sent(organization, receiver):
    old = make_event(organization)
    ContactEvent.objects.filter(pk=old.pk).update(occurred_at=timezone.now() - dt.timedelta(days=1))
    create_endpoint(organization=organization, url=receiver.url)
    new = make_event(organization)
    dispatch_events()
    assert owed_event_ids() == [new.pk]


def test_without_endpoints_the_cursor_skips_to_the_newest_event(organization):
    make_event(organization)
    last = make_event(organization)
    assert dispatch_events() == (0, False)
    assert DispatchCursor.objects.get().last_event_id == last.pk


def test_a_batch_reports_that_more_events_wait(organization, endpoint):
    events = [make_event(organization) for _ in range(5)]
    assert dispatch_events(batch=3) == (3, True)
    assert dispatch_events(batch=3) == (2, False)
    assert owed_event_ids() == [e.pk for e in events]


def test_a_range_of_missing_ids_is_one_gap_and_shrinks_as_its_events_appear(organization, endpoint):
    first = make_event(organization)
    middle = [make_event(organization) for _ in range(4)]
    last = make_event(organization)
    ids = [event.pk for event in middle]
    for event in middle:
        event.delete()  # a transaction of four events, not committed yet
    dispatch_events()
    assert DispatchCursor.objects.get().gaps.keys() == {f"{ids[0]}-{ids[3]}"}

    make_event(organization, id=ids[1])  # one commits
    make_event(organization, id=ids[2])
    dispatch_events()
    assert set(DispatchCursor.objects.get().gaps) == {f"{ids[0]}-{ids[0]}", f"{ids[3]}-{ids[3]}"}
    assert owed_event_ids() == [first.pk, ids[1], ids[2], last.pk]
