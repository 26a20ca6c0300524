"""Writing events: one bulk insert per write, inside the write's transaction.

`record_events` is what every writer calls, usually through `contacts.services.changes.record_change`, with one
`PendingEvent` per contact it changed. The actor is the caller's (a user or an API principal); the surface and the
request id come from `events.context`, and so does the actor when the caller passed none (a view that did not
hand its principal to the service still names it).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from events.context import current_actor, current_request_id, current_surface
from events.ids import uuid7_text
from events.models import ActorKind, ContactEvent
from events.values import scrubbed

# Below this many rows an INSERT is as fast as a COPY and is seen by Django's query log like every other write.
COPY_FROM_ROWS = 200

# The COPY's columns: those that differ per event first, then those every event of a write shares.
_COPY_COLUMNS = (
    "uuid",
    "contact_uuid",
    "type",
    "changes",
    "organization_id",
    "actor_kind",
    "actor_id",
    "actor_name",
    "surface",
    "request_id",
    "occurred_at",
)


events_written = Signal()
"""Sent by `record_events` after its insert, inside the write's transaction, with `organization_id` and `count`:
bulk inserts send no `post_save`, so this is how a listener (the webhooks' dispatcher) learns of new events."""


@dataclass(frozen=True)
class PendingEvent:
    """One contact's change, before it is written: its uuid, the event type and the changed fields (a dict, or
    its JSON text when a bulk writer made it already)."""

    contact_uuid: uuid.UUID | str
    type: str
    changes: dict[str, Any] | str = field(default_factory=dict)


@dataclass(frozen=True)
class Actor:
    kind: str
    id: str
    name: str


SYSTEM_ACTOR = Actor(ActorKind.SYSTEM, "", "")
_CREDENTIAL_KINDS = {
    "ApiKey": ActorKind.API_KEY,
    "HmacClient": ActorKind.HMAC_CLIENT,
    "OAuthClient": ActorKind.OAUTH_CLIENT,
}


def actor_of(actor: Any) -> Actor:
    """Who did it: a user (pk, username), an API principal's credential (pk, name), or the system."""
    if actor is None:
        return SYSTEM_ACTOR
    # A principal carries its credential; some surfaces pass the credential itself.
    credential = actor if type(actor).__name__ in _CREDENTIAL_KINDS else getattr(actor, "credential", None)
    if type(credential).__name__ == "AccessToken":  # SFMC's bearer token: the client it was issued to
        credential = credential.client
    if credential is not None:
        kind = _CREDENTIAL_KINDS.get(type(credential).__name__, ActorKind.SYSTEM)
        return Actor(kind, str(credential.pk), str(getattr(credential, "name", ""))[:200])
    if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) is not None:
        return Actor(ActorKind.USER, str(actor.pk), actor.get_username()[:200])
    return SYSTEM_ACTOR


def record_events(organization_id: int, events: Sequence[PendingEvent], *, actor: Any = None) -> int:
    """Append `events` for one organization in one statement (COPY on PostgreSQL for large writes); returns how
    many. Must run inside the write's transaction, so that the events commit or roll back with it."""
    if not events:
        return 0
    who = actor_of(actor if actor is not None else current_actor())
    surface, request_id, now = current_surface(), current_request_id(), timezone.now()
    if connection.vendor == "postgresql" and len(events) >= COPY_FROM_ROWS:
        _copy(organization_id, events, who, surface, request_id, now)
    else:
        ContactEvent.objects.bulk_create(
            [
                ContactEvent(
                    organization_id=organization_id,
                    contact_uuid=event.contact_uuid,
                    type=event.type,
                    actor_kind=who.kind,
                    actor_id=who.id,
                    actor_name=who.name,
                    surface=surface,
                    changes=json.loads(event.changes) if isinstance(event.changes, str) else event.changes,
                    request_id=request_id,
                    occurred_at=now,
                )
                for event in events
            ]
        )
    events_written.send(sender=ContactEvent, organization_id=organization_id, count=len(events))
    return len(events)


def _copy(
    organization_id: int, events: Sequence[PendingEvent], who: Actor, surface: str, request_id: str, now: datetime
) -> None:
    """COPY in text format, each line formatted here: psycopg's per-row adaptation of eleven values cost more than
    the rest of the event (measured on the import benchmark)."""
    from contacts.services import pg_copy

    encode = _ENCODER.encode
    shared = "\t".join(
        _copy_text(str(value)) for value in (organization_id, who.kind, who.id, who.name, surface, request_id)
    )
    tail = f"\t{shared}\t{now.isoformat()}\n"
    # Time-ordered (version 7) uuids: the write's events go to the end of the unique index instead of random pages.
    milliseconds = int(now.timestamp() * 1000)

    def line(event: PendingEvent) -> str:
        changes = event.changes if isinstance(event.changes, str) else encode(event.changes)
        uuid7 = uuid7_text(milliseconds)
        # JSON text has no raw tab, newline or carriage return (it escapes them), only backslashes to double.
        return f"{uuid7}\t{event.contact_uuid}\t{event.type}\t{changes.replace(BACKSLASH, BACKSLASH * 2)}{tail}"

    pg_copy.copy_text_in(ContactEvent._meta.db_table, _COPY_COLUMNS, map(line, events))


BACKSLASH = "\\"
_ENCODER = DjangoJSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _copy_text(value: str) -> str:
    """`value` as a field of COPY's text format."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def scrub_contact(organization_id: int, contact_uuid: uuid.UUID | str) -> int:
    """Null the personal values in a contact's earlier events (the field names stay); returns how many changed."""
    stale = []
    for event in ContactEvent.objects.filter(organization_id=organization_id, contact_uuid=contact_uuid).only(
        "id", "changes"
    ):
        clean = scrubbed(event.changes or {})
        if clean != event.changes:
            event.changes = clean
            stale.append(event)
    ContactEvent.objects.bulk_update(stale, ["changes"], batch_size=500)
    return len(stale)


def retention_cutoff(*, days: int | None = None, now: datetime | None = None) -> datetime:
    """The moment before which events are purged: `days` (default EVENT_RETENTION_DAYS) before `now`."""
    return (now or timezone.now()) - timedelta(days=days or settings.EVENT_RETENTION_DAYS)


def purge_events(*, before: datetime | None = None, batch_size: int = 10_000) -> Iterable[int]:
    """Delete events older than `before` (default: the retention setting) in batches of `batch_size`, each in its
    own transaction so that a large purge holds no long lock; yields each batch's count."""
    cutoff = before or retention_cutoff()
    while True:
        with transaction.atomic():
            ids = list(
                ContactEvent.objects.filter(occurred_at__lt=cutoff)
                .order_by("id")
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return
            deleted, _ = ContactEvent.objects.filter(id__in=ids).delete()
        yield deleted
