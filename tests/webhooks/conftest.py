from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from events.models import ContactEvent, EventType, Surface
from tests.factories import make_api_key
from tests.webhooks.receiver import start_receiver
from webhooks.services.create_endpoint import create_endpoint


@pytest.fixture(autouse=True)
def _private_networks_allowed(settings):
    """The receivers listen on 127.0.0.1; the SSRF tests turn this off again."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_DELIVERY_THREAD = False
    settings.WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000]


@pytest.fixture
def receiver():
    running = start_receiver()
    yield running
    running.hold.clear()
    running.server.shutdown()
    running.server.server_close()


@pytest.fixture
def endpoint(organization, receiver):
    """(endpoint, secret) delivering every event type of `organization` to `receiver`."""
    return create_endpoint(organization=organization, url=receiver.url)


def make_event(organization, contact_uuid=None, type=EventType.UPDATED, **fields) -> ContactEvent:
    return ContactEvent.objects.create(
        organization=organization,
        contact_uuid=contact_uuid or uuid.uuid4(),
        type=type,
        surface=fields.pop("surface", Surface.NATIVE),
        **fields,
    )


@pytest.fixture
def client_for():
    """An API client with a new key of `organization` holding `scopes` (every native scope by default)."""

    def make(organization, scopes=None):
        _, secret = make_api_key(
            organization, scopes=scopes or ["contacts:read", "contacts:write", "contacts:delete", "settings:write"]
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make
