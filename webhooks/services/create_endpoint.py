from __future__ import annotations

from typing import Any

from django.db import transaction

from contacts.models import Organization
from webhooks import signing
from webhooks.models import WebhookEndpoint, WebhookSecret
from webhooks.services import validation


def create_endpoint(
    *,
    organization: Organization,
    url: str,
    event_types: list[str] | None = None,
    description: str = "",
    enabled: bool = True,
    actor: Any = None,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (`whsec_...`), returned in clear this once; it is stored encrypted.
    Raises `UnsafeWebhookUrl` for a URL deliveries may not go to."""
    endpoint = WebhookEndpoint(
        organization=organization,
        url=validation.check_url(url),
        event_types=validation.event_types(event_types),
        description=validation.description(description),
        enabled=bool(enabled),
    )
    secret = signing.new_secret()
    with transaction.atomic():
        endpoint.save()
        WebhookSecret.objects.create(endpoint=endpoint, encrypted=signing.encrypt(secret))
    return endpoint, secret
