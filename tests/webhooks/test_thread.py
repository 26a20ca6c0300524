"""Without a broker, a thread of the web process delivers: started by the first committed event write once an
endpoint exists (so `make run` delivers with nothing else running)."""

from __future__ import annotations

import time

import pytest
from django.db import OperationalError, transaction

from tests.webhooks.conftest import make_event
from webhooks import runner
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services.create_endpoint import create_endpoint

pytestmark = pytest.mark.django_db(transaction=True)


def unlocked(read):
    """`read()`, again while the delivery thread holds the table: the test database on SQLite is in memory with a
    shared cache, where a reader meets a writer's table lock at once instead of waiting for it."""
    for _ in range(100):
        try:
            return read()
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            time.sleep(0.05)
    return read()


@pytest.fixture
def thread_allowed(settings):
    settings.WEBHOOK_DELIVERY_THREAD = True
    settings.WEBHOOK_POLL_SECONDS = 0.2
    runner._checked_at = float("-inf")
    yield
    runner.stop_thread()
    runner._checked_at = float("-inf")


def test_a_committed_event_starts_the_thread_and_is_delivered(organization, receiver, thread_allowed):
    create_endpoint(organization=organization, url=receiver.url)
    with transaction.atomic():
        event = make_event(organization)
        assert runner._thread is None  # nothing before the commit

    assert receiver.wait_for(1, timeout=20)
    assert runner._thread is not None and runner._thread.is_alive()
    delivery = unlocked(lambda: WebhookDelivery.objects.get(event=event))
    for _ in range(100):
        unlocked(delivery.refresh_from_db)
        if delivery.status == DeliveryStatus.SUCCEEDED:
            break
        time.sleep(0.05)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert receiver.ids() == [delivery.message_id]


def test_a_rolled_back_event_is_never_sent(organization, receiver, thread_allowed):
    create_endpoint(organization=organization, url=receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_event(organization)
        raise RuntimeError("the write failed")
    kept = make_event(organization)
    assert receiver.wait_for(1, timeout=20)
    runner.stop_thread()
    assert [unlocked(WebhookDelivery.objects.get).event_id] == [kept.pk]
    assert len(receiver.requests) == 1


def test_without_endpoints_no_thread_starts(organization, thread_allowed):
    with transaction.atomic():
        make_event(organization)
    assert runner._thread is None
