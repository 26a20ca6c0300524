"""What a delivery sends: `{"type", "timestamp", "data"}`, `data` being the event and the contact as the native API
renders it (`null` once the contact is deleted)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from contacts.api.native.contacts import native_contacts
from contacts.api.native.serializers import render_contact
from contacts.models import Organization
from events.models import ContactEvent

TEST_EVENT_TYPE = "webhook.test"


def _stamp(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def event_data(event: ContactEvent, contact: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": str(event.uuid),
        "sequence": event.pk,
        "type": event.type,
        "contact_id": str(event.contact_uuid),
        "actor": {"kind": event.actor_kind, "id": event.actor_id or None, "name": event.actor_name or None},
        "surface": event.surface,
        "changes": event.changes,
        "request_id": event.request_id or None,
        "occurred_at": _stamp(event.occurred_at),
        "contact": contact,
    }


def envelope(event_type: str, occurred_at: Any, data: dict[str, Any]) -> str:
    body = {"type": event_type, "timestamp": _stamp(occurred_at), "data": data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def contacts_by_uuid(organization_id: int, contact_uuids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The named contacts that still exist, rendered, in three queries."""
    wanted = set(contact_uuids)
    if not wanted:
        return {}
    organization = Organization(pk=organization_id)
    return {contact.uuid: render_contact(contact) for contact in native_contacts(organization).filter(uuid__in=wanted)}


def bodies(events: list[ContactEvent]) -> dict[int, str]:
    """Each event's body, by event id; the contacts of one organization are read together."""
    by_org: dict[int, set[uuid.UUID]] = {}
    for event in events:
        by_org.setdefault(event.organization_id, set()).add(event.contact_uuid)
    rendered: dict[tuple[int, uuid.UUID], dict[str, Any]] = {}
    for organization_id, uuids in by_org.items():
        for contact_uuid, contact in contacts_by_uuid(organization_id, uuids).items():
            rendered[(organization_id, contact_uuid)] = contact
    return {
        event.pk: envelope(
            event.type,
            event.occurred_at,
            event_data(event, rendered.get((event.organization_id, event.contact_uuid))),
        )
        for event in events
    }


def test_body(endpoint_uuid: uuid.UUID) -> str:
    """A `webhook.test` body: proves the URL and the secret work, names no contact."""
    now = timezone.now()
    return envelope(
        TEST_EVENT_TYPE, now, {"endpoint_id": str(endpoint_uuid), "message": "A test event", "contact": None}
    )
