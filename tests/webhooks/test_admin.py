"""The webhooks admin: an endpoint's secret shown once, a "send test event" button, the delivery log with every
attempt, and a redeliver action; all scoped to the staff member's organization."""

from __future__ import annotations

import re

import pytest
from standardwebhooks.webhooks import Webhook

from contacts.models import Membership
from tests.webhooks.conftest import make_event
from webhooks import runner
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services.create_endpoint import create_endpoint

pytestmark = pytest.mark.django_db

ADD = "/admin/webhooks/webhookendpoint/add/"


def test_adding_an_endpoint_shows_its_secret_once(staff_client, organization, receiver):
    response = staff_client.post(ADD, {"url": receiver.url, "event_types": ["contact.created"], "enabled": "on"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = re.search(r'<code id="webhook-secret">(whsec_[^<]+)</code>', response.content.decode()).group(1)
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.organization, endpoint.url, endpoint.event_types) == (
        organization,
        receiver.url,
        ["contact.created"],
    )
    change = staff_client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/")
    assert change.status_code == 200
    assert secret not in change.content.decode()
    assert "Send test event" in change.content.decode()

    # The secret shown is the one deliveries are signed with.
    staff_client.post(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/send-test/")
    runner.run_pending()
    (request,) = receiver.requests
    assert Webhook(secret).verify(request.body, request.headers)["type"] == "webhook.test"


def test_the_send_test_event_button_queues_a_test_delivery_and_links_the_log(staff_client, organization, receiver):
    endpoint, _ = create_endpoint(organization=organization, url=receiver.url)
    response = staff_client.post(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/send-test/")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/webhooks/webhookdelivery/?endpoint__id__exact={endpoint.pk}"
    (delivery,) = WebhookDelivery.objects.all()
    assert (delivery.event_type, delivery.status, delivery.event) == ("webhook.test", DeliveryStatus.PENDING, None)
    log = staff_client.get(response["Location"])
    assert log.status_code == 200
    assert "webhook.test" in log.content.decode()


def test_the_delivery_page_lists_each_attempt_and_redeliver_sends_again(staff_client, organization, receiver):
    create_endpoint(organization=organization, url=receiver.url)
    receiver.script = [503]
    receiver.answer = b"upstream down"
    make_event(organization)
    runner.run_pending()
    delivery = WebhookDelivery.objects.get()
    page = staff_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/").content.decode()
    assert "503" in page
    assert "upstream down" in page
    assert delivery.message_id in page

    response = staff_client.post(
        "/admin/webhooks/webhookdelivery/",
        {"action": "redeliver_selected", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    runner.run_pending()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 2)
    assert [a.status_code for a in WebhookAttempt.objects.filter(delivery=delivery)] == [503, 200]
    assert receiver.ids() == [delivery.message_id, delivery.message_id]

    # A delivered one can be sent again too, with the same webhook-id.
    staff_client.post(
        "/admin/webhooks/webhookdelivery/", {"action": "redeliver_selected", "_selected_action": [delivery.pk]}
    )
    runner.run_pending()
    assert receiver.ids() == [delivery.message_id] * 3
    assert "contact.updated" in receiver.requests[-1].body.decode()


def test_rotate_action_shows_the_new_secret(staff_client, organization):
    endpoint, old = create_endpoint(organization=organization, url="https://93.184.216.34/x")
    response = staff_client.post(
        "/admin/webhooks/webhookendpoint/", {"action": "rotate_secrets", "_selected_action": [endpoint.pk]}
    )
    assert response.status_code == 200
    new = re.search(r'<code id="webhook-secret">(whsec_[^<]+)</code>', response.content.decode()).group(1)
    assert new != old
    assert "Previous secret valid until" in response.content.decode()
    assert endpoint.secrets.count() == 2


def test_staff_see_only_their_organizations_endpoints_and_deliveries(staff_client, organization, other_organization):
    create_endpoint(organization=organization, url="https://93.184.216.34/mine")
    theirs, _ = create_endpoint(organization=other_organization, url="https://93.184.216.34/theirs")
    listing = staff_client.get("/admin/webhooks/webhookendpoint/").content.decode()
    assert "/mine" in listing and "/theirs" not in listing
    assert staff_client.get(f"/admin/webhooks/webhookendpoint/{theirs.pk}/change/").status_code == 302
    staff_client.post(f"/admin/webhooks/webhookendpoint/{theirs.pk}/send-test/")
    assert WebhookDelivery.objects.count() == 0


def test_agents_may_look_but_not_add(staff_client, organization):
    agent = staff_client(organization, role=Membership.Role.AGENT, username="bob")
    assert agent.get("/admin/webhooks/webhookendpoint/").status_code == 200
    assert agent.get(ADD).status_code == 403


def test_editing_an_endpoint_goes_through_the_service_and_rechecks_the_url(superuser_client, organization, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    endpoint, _ = create_endpoint(organization=organization, url="https://93.184.216.34/x")
    page = f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/"
    refused = superuser_client.post(page, {"url": "http://10.0.0.2/x", "enabled": "on"})
    assert refused.context["adminform"].form.errors == {
        "url": ["url resolves to 10.0.0.2, a private network address; webhooks are only sent to public addresses"]
    }
    response = superuser_client.post(page, {"url": "https://93.184.216.34/y", "event_types": ["contact.deleted"]})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.event_types, endpoint.enabled) == (
        "https://93.184.216.34/y",
        ["contact.deleted"],
        False,
    )
    assert endpoint.disabled_reason == "Disabled by a user"
    assert endpoint.organization == organization
