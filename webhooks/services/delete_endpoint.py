from __future__ import annotations

from typing import Any

from webhooks.models import WebhookEndpoint


def delete_endpoint(endpoint: WebhookEndpoint, *, actor: Any = None) -> None:
    """The endpoint goes with its secrets and its delivery log; owed deliveries are never sent."""
    endpoint.delete()
