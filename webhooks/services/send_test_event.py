from __future__ import annotations

from typing import Any

from django.utils import timezone

from webhooks import payloads
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


def send_test_event(endpoint: WebhookEndpoint, *, actor: Any = None) -> WebhookDelivery:
    """Owe the endpoint a `webhook.test` event, sent like any delivery (signed, retried, logged)."""
    now = timezone.now()
    return WebhookDelivery.objects.create(
        organization_id=endpoint.organization_id,
        endpoint=endpoint,
        event=None,
        event_type=payloads.TEST_EVENT_TYPE,
        contact_uuid=None,
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        body=payloads.test_body(endpoint.uuid),
        created_at=now,
    )
