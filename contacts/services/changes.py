"""The one place every contact write reports itself.

Every service that creates, changes or deletes contacts calls `record_change` once per write, inside the write's
transaction, with the ids of the contacts it touched and, per contact, what changed (`events`). It appends the
change history (`events.ContactEvent`, one row per contact, one insert per write) and sends `contacts_changed`,
which the tests use to prove that every surface (five dialects, the admin, bulk actions, imports, commands)
writes through the services.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

from django.dispatch import Signal

from events.models import EventType
from events.services import PendingEvent, record_events


class ChangeKind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    TAGGED = "tagged"
    UNTAGGED = "untagged"
    GROUPED = "grouped"
    ASSIGNED = "assigned"
    IMPORTED = "imported"
    BATCH = "batch"


contacts_changed = Signal()
"""Sent with `sender=<ChangeKind>`, `organization_id`, `contact_ids` (a tuple) and `actor` (a user, an API
principal or None) by `record_change`, before the write's transaction commits."""

# The event a write of each kind is when its writer names no changes (a vocabulary rename touching many contacts).
_EVENT_TYPES = {
    ChangeKind.CREATED: EventType.CREATED,
    ChangeKind.DELETED: EventType.DELETED,
    ChangeKind.TAGGED: EventType.TAGGED,
    ChangeKind.UNTAGGED: EventType.UNTAGGED,
    ChangeKind.GROUPED: EventType.GROUPED,
}


def record_change(
    kind: ChangeKind,
    *,
    organization_id: int,
    contact_ids: Iterable[int],
    actor: Any = None,
    events: Sequence[PendingEvent] | None = None,
) -> None:
    """Report one write of `kind` to the contacts `contact_ids` of one organization.

    `events` are the write's events, one per contact changed, with their changed fields. Without them each
    contact gets an event of the kind's type with no fields (one query for the uuids): writers whose changes
    are known should name them."""
    ids = tuple(contact_ids)
    if events is None and ids:
        events = _bare_events(kind, ids)
    if events:
        record_events(organization_id, events, actor=actor)
    if ids:
        contacts_changed.send(sender=kind, organization_id=organization_id, contact_ids=ids, actor=actor)


def _bare_events(kind: ChangeKind, ids: tuple[int, ...]) -> list[PendingEvent]:
    from contacts.models import Contact

    event_type = _EVENT_TYPES.get(kind, EventType.UPDATED)
    uuids = Contact.objects.filter(pk__in=ids).order_by("pk").values_list("uuid", flat=True)
    return [PendingEvent(contact_uuid, event_type) for contact_uuid in uuids]
