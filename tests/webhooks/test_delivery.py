"""Deliveries to a real local receiver: signed per Standard Webhooks (checked with the library's own verifier),
retried on the schedule, in order per contact, and endpoints disabled on 410 or after 5 days of failures."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from events.models import ActorKind, EventType, Surface
from tests.factories import ContactFactory
from tests.webhooks.conftest import make_event
from webhooks import runner
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services.deliver import attempt
from webhooks.services.dispatch import dispatch_events
from webhooks.services.rotate_secret import rotate_secret

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)


def only_delivery() -> WebhookDelivery:
    (delivery,) = WebhookDelivery.objects.all()
    return delivery


def test_a_delivery_verifies_with_the_libraries_verifier_and_carries_the_event_and_the_contact(
    organization, endpoint, receiver
):
    _, secret = endpoint
    contact = ContactFactory(organization=organization, name="Ada", email="ada@example.com", phone="+12125550100")
    event = make_event(
        organization,
        contact.uuid,
        EventType.UPDATED,
        actor_kind=ActorKind.API_KEY,
        actor_id="7",
        actor_name="CI key",
        surface=Surface.NATIVE,
        changes={"name": {"before": "Ad", "after": "Ada"}},
        request_id="req-1",
    )

    runner.run_pending()

    (request,) = receiver.requests
    assert secret.startswith("whsec_")
    body = Webhook(secret).verify(request.body, request.headers)
    assert request.headers["webhook-id"] == only_delivery().message_id
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.headers["content-type"] == "application/json"
    assert body["type"] == "contact.updated"
    assert body["timestamp"] == event.occurred_at.isoformat().replace("+00:00", "Z")
    data = body["data"]
    assert {k: v for k, v in data.items() if k != "contact"} == {
        "id": str(event.uuid),
        "sequence": event.pk,
        "type": "contact.updated",
        "contact_id": str(contact.uuid),
        "actor": {"kind": "api_key", "id": "7", "name": "CI key"},
        "surface": "native",
        "changes": {"name": {"before": "Ad", "after": "Ada"}},
        "request_id": "req-1",
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
    }
    assert data["contact"]["id"] == str(contact.uuid)
    assert data["contact"]["name"] == "Ada"
    assert data["contact"]["email"] == "ada@example.com"
    assert data["contact"]["phone"] == "+12125550100"
    assert only_delivery().status == DeliveryStatus.SUCCEEDED
    assert only_delivery().body == ""


def test_a_deleted_contact_is_sent_as_null(organization, endpoint, receiver):
    make_event(organization, type=EventType.DELETED)

    runner.run_pending()

    (request,) = receiver.requests
    assert json.loads(request.body)["data"]["contact"] is None
    assert json.loads(request.body)["type"] == "contact.deleted"


def test_a_wrong_secret_does_not_verify(organization, endpoint, receiver):
    make_event(organization)
    runner.run_pending()
    (request,) = receiver.requests
    with pytest.raises(Exception, match="No matching signature"):
        Webhook("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=").verify(request.body, request.headers)


def test_failing_three_times_then_succeeding_is_one_success_after_four_attempts_on_the_schedule(
    organization, endpoint, receiver
):
    receiver.script = [500, 503, 502]
    make_event(organization)
    dispatch_events(now=T0)
    delivery = only_delivery()

    assert attempt(delivery.pk, now=T0).status_code == 500
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.PENDING, 1)
    assert delivery.next_attempt_at == T0 + dt.timedelta(seconds=5)
    # Not due yet: nothing is sent.
    assert attempt(delivery.pk, now=T0 + dt.timedelta(seconds=4)) is None

    assert attempt(delivery.pk, now=T0 + dt.timedelta(seconds=5)).status_code == 503
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == T0 + dt.timedelta(seconds=5 + 300)

    t2 = T0 + dt.timedelta(seconds=305)
    assert attempt(delivery.pk, now=t2).status_code == 502
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == t2 + dt.timedelta(minutes=30)

    t3 = t2 + dt.timedelta(minutes=30)
    assert attempt(delivery.pk, now=t3).status_code == 200
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.delivered_at) == (DeliveryStatus.SUCCEEDED, 4, t3)
    assert attempt(delivery.pk, now=t3 + dt.timedelta(days=1)) is None

    assert [r.status_code for r in WebhookAttempt.objects.filter(delivery=delivery)] == [500, 503, 502, 200]
    assert [r.succeeded for r in WebhookAttempt.objects.filter(delivery=delivery)] == [False, False, False, True]
    assert len(receiver.requests) == 4
    assert len(set(receiver.ids())) == 1  # one message, sent four times
    assert WebhookAttempt.objects.filter(delivery=delivery).last().response_excerpt == '{"ok": true}'
    assert WebhookEndpoint.objects.get().failing_since is None


def test_after_the_eighth_failure_the_delivery_is_failed(organization, endpoint, receiver, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [1, 1, 1, 1, 1, 1, 1]
    receiver.default_status = 500
    make_event(organization)
    dispatch_events(now=T0)
    delivery = only_delivery()
    for second in range(8):
        assert attempt(delivery.pk, now=T0 + dt.timedelta(seconds=second)) is not None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 8, None)
    assert attempt(delivery.pk, now=T0 + dt.timedelta(days=1)) is None
    assert len(receiver.requests) == 8


def test_410_disables_the_endpoint_at_once(organization, endpoint, receiver):
    receiver.script = [410]
    make_event(organization)
    make_event(organization)

    runner.run_pending()

    ep = WebhookEndpoint.objects.get()
    assert (ep.enabled, ep.disabled_reason) == (False, "The endpoint answered 410 Gone")
    assert ep.disabled_at is not None
    assert len(receiver.requests) == 1
    # Nothing more goes to a disabled endpoint, and new events are not owed to it.
    make_event(organization)
    runner.run_pending()
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.count() == 2


def test_five_days_of_failures_disable_the_endpoint(organization, endpoint, receiver, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [3600] * 7
    receiver.default_status = 500
    make_event(organization)
    dispatch_events(now=T0)
    first = only_delivery()
    attempt(first.pk, now=T0)
    assert WebhookEndpoint.objects.get().failing_since == T0

    make_event(organization)
    dispatch_events(now=T0 + dt.timedelta(days=4))
    later = WebhookDelivery.objects.exclude(pk=first.pk).get()
    attempt(later.pk, now=T0 + dt.timedelta(days=4, hours=23))
    assert WebhookEndpoint.objects.get().enabled is True

    attempt(first.pk, now=T0 + dt.timedelta(days=5))
    ep = WebhookEndpoint.objects.get()
    assert (ep.enabled, ep.disabled_reason, ep.disabled_at) == (
        False,
        "Every attempt failed for 5 days",
        T0 + dt.timedelta(days=5),
    )


def test_a_success_ends_the_failure_streak(organization, endpoint, receiver):
    receiver.script = [500]
    make_event(organization)
    dispatch_events(now=T0)
    delivery = only_delivery()
    attempt(delivery.pk, now=T0)
    assert WebhookEndpoint.objects.get().failing_since == T0
    attempt(delivery.pk, now=T0 + dt.timedelta(seconds=5))
    assert WebhookEndpoint.objects.get().failing_since is None


def test_a_failing_delivery_holds_back_the_contacts_later_events_but_not_other_contacts(
    organization, endpoint, receiver
):
    receiver.script = [500]
    contact = ContactFactory(organization=organization)
    other = ContactFactory(organization=organization)
    first = make_event(organization, contact.uuid, EventType.CREATED)
    second = make_event(organization, contact.uuid, EventType.UPDATED)
    elsewhere = make_event(organization, other.uuid, EventType.CREATED)

    runner.run_pending()
    sent = [json.loads(r.body)["data"]["id"] for r in receiver.requests]
    assert sent == [str(first.uuid), str(elsewhere.uuid)]
    assert WebhookDelivery.objects.get(event=second).attempt_count == 0

    # Once the first goes through, the second follows it.
    runner_now = timezone.now() + dt.timedelta(seconds=6)
    attempt(WebhookDelivery.objects.get(event=first).pk, now=runner_now)
    assert WebhookDelivery.objects.get(event=first).status == DeliveryStatus.SUCCEEDED
    attempt(WebhookDelivery.objects.get(event=second).pk, now=runner_now)
    sent = [json.loads(r.body)["data"]["id"] for r in receiver.requests]
    assert sent == [str(first.uuid), str(elsewhere.uuid), str(first.uuid), str(second.uuid)]


def test_during_rotation_both_secrets_sign_and_each_verifies(organization, endpoint, receiver):
    ep, old = endpoint
    new = rotate_secret(ep, keep_old_for=dt.timedelta(hours=1))
    make_event(organization)

    runner.run_pending()

    (request,) = receiver.requests
    signatures = request.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(s.startswith("v1,") for s in signatures)
    assert Webhook(old).verify(request.body, request.headers)["type"] == "contact.updated"
    assert Webhook(new).verify(request.body, request.headers)["type"] == "contact.updated"


def test_after_the_overlap_only_the_new_secret_signs(organization, endpoint, receiver):
    ep, old = endpoint
    new = rotate_secret(ep, keep_old_for=dt.timedelta(hours=1))
    make_event(organization)
    dispatch_events()
    attempt(only_delivery().pk, now=timezone.now() + dt.timedelta(hours=2))

    (request,) = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(request.body, request.headers)
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(old).verify(request.body, request.headers)


def test_event_types_filter_what_an_endpoint_gets(organization, receiver):
    from webhooks.services.create_endpoint import create_endpoint

    create_endpoint(organization=organization, url=receiver.url, event_types=["contact.deleted"])
    make_event(organization, type=EventType.CREATED)
    make_event(organization, type=EventType.DELETED)
    runner.run_pending()
    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["contact.deleted"]


def test_another_organizations_events_are_not_sent(organization, other_organization, endpoint, receiver):
    make_event(other_organization)
    runner.run_pending()
    assert receiver.requests == []
    assert WebhookDelivery.objects.count() == 0
