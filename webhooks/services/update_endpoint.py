from __future__ import annotations

from typing import Any

from django.utils import timezone

from webhooks.models import WebhookEndpoint
from webhooks.services import validation

UNSET: Any = object()


def update_endpoint(
    endpoint: WebhookEndpoint,
    *,
    url: Any = UNSET,
    event_types: Any = UNSET,
    description: Any = UNSET,
    enabled: Any = UNSET,
    actor: Any = None,
) -> WebhookEndpoint:
    """Change what is given. Enabling an endpoint clears why it was disabled and its failure streak: the deliveries
    it still owes are sent again from their next attempt time."""
    if url is not UNSET:
        endpoint.url = validation.check_url(url)
    if event_types is not UNSET:
        endpoint.event_types = validation.event_types(event_types)
    if description is not UNSET:
        endpoint.description = validation.description(description)
    if enabled is not UNSET:
        if enabled and not endpoint.enabled:
            endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
        elif not enabled and endpoint.enabled:
            endpoint.disabled_at, endpoint.disabled_reason = timezone.now(), "Disabled by a user"
        endpoint.enabled = bool(enabled)
    endpoint.save()
    return endpoint
