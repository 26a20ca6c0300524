"""Events made directly (the services' own writing is tested with them), and native API clients."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from events.models import ActorKind, ContactEvent, EventType, Surface
from tests.factories import make_api_key

T0 = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


def make_event(organization, contact_uuid: uuid.UUID | str, *, minutes: int = 0, **fields: Any) -> ContactEvent:
    """An event of the contact, `minutes` after T0: an update by alice in the admin unless told otherwise."""
    values: dict[str, Any] = {
        "type": EventType.UPDATED,
        "actor_kind": ActorKind.USER,
        "actor_id": "7",
        "actor_name": "alice",
        "surface": Surface.ADMIN,
        "changes": {"name": {"before": "Ada", "after": "Ada L."}},
        "request_id": "",
        "occurred_at": T0 + dt.timedelta(minutes=minutes),
    }
    values.update(fields)
    return ContactEvent.objects.create(organization=organization, contact_uuid=contact_uuid, **values)


@pytest.fixture
def client_for():
    """An API client authenticated with a new key of `organization` holding `scopes` (contacts:read by default)."""

    def make(organization, scopes=None):
        _, secret = make_api_key(organization, scopes=scopes or ["contacts:read"])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make


@pytest.fixture
def api(organization, client_for):
    return client_for(organization)
