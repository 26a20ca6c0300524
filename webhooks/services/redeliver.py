from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from webhooks.models import DeliveryStatus, WebhookDelivery


def redeliver(deliveries: QuerySet[WebhookDelivery], *, actor: Any = None) -> int:
    """Send these deliveries again now (finished ones too), with the same `webhook-id`; how many were queued.
    One being sent right now is left to finish."""
    return deliveries.exclude(status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), queued_until=None
    )
