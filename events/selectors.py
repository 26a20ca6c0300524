"""Reading the change history: one contact's events, or a whole organization's, a page at a time.

Pages are keyset pages on the event's `id`: `WHERE organization = o [AND contact_uuid = c] AND id > last ORDER BY id
LIMIT n + 1`, which PostgreSQL and SQLite answer by seeking in the index on (organization, id) or (organization,
contact_uuid, id), however deep the page. Events are only ever appended, so an event written between two requests
lands after every page already read (in id order) and never shifts one: nothing is skipped, nothing repeated.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from contacts.models import Organization
from events.models import ContactEvent

DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class EventPage:
    """A page of events and, when more follow, the id to pass as `cursor` for the next page."""

    events: list[ContactEvent]
    next_cursor: int | None


def contact_history(
    organization: Organization | int,
    contact_uuid: uuid_module.UUID | str,
    *,
    cursor: int | None = None,
    newest_first: bool = False,
    limit: int = DEFAULT_LIMIT,
) -> EventPage:
    """The events of one contact of `organization` (also after the contact is deleted), oldest first or newest
    first, starting just after the event `cursor` names (in that direction)."""
    events = ContactEvent.objects.filter(organization=organization, contact_uuid=contact_uuid)
    return _page(events, cursor=cursor, descending=newest_first, limit=limit)


def organization_events(
    organization: Organization | int,
    *,
    cursor: int | None = None,
    since: dt.datetime | None = None,
    types: Iterable[str] = (),
    limit: int = DEFAULT_LIMIT,
) -> EventPage:
    """Every event of `organization` in the order they were written (id order), after the event `cursor` names;
    only those that occurred at or after `since`, and only of `types` when given."""
    events = ContactEvent.objects.filter(organization=organization)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    types = list(types)
    if types:
        events = events.filter(type__in=types)
    return _page(events, cursor=cursor, descending=False, limit=limit)


def event_position(organization: Organization | int, event_uuid: uuid_module.UUID | str) -> int | None:
    """The id of `organization`'s event with this uuid (None when it has none: another organization's event is as
    unknown as one never written)."""
    return ContactEvent.objects.filter(organization=organization, uuid=event_uuid).values_list("id", flat=True).first()


def has_history(organization: Organization | int, contact_uuid: uuid_module.UUID | str) -> bool:
    """Whether `organization` ever recorded an event of this contact."""
    return ContactEvent.objects.filter(organization=organization, contact_uuid=contact_uuid).exists()


def _page(events: QuerySet[ContactEvent], *, cursor: int | None, descending: bool, limit: int) -> EventPage:
    if cursor is not None:
        events = events.filter(id__lt=cursor) if descending else events.filter(id__gt=cursor)
    events = events.order_by("-id" if descending else "id")
    rows = list(events[: limit + 1])
    if len(rows) <= limit:
        return EventPage(rows, None)
    rows = rows[:limit]
    return EventPage(rows, rows[-1].pk)
