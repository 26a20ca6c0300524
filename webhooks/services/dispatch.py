"""The dispatcher: reads committed events from the outbox in id order and owes each to every enabled endpoint of
its organization that wants its type (one `WebhookDelivery` per event and endpoint, never two).

Ids are taken when a row is inserted, not when its transaction commits, so a transaction that took id 7 may commit
after one that took id 8 was read. The cursor keeps such missing ids as gaps (ranges of ids) and looks for them
again at every pass for `GAP_SECONDS`; an id still missing then belonged to a transaction that rolled back.
"""

from __future__ import annotations

import datetime as dt
import operator
from functools import reduce

from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from events.models import ContactEvent
from webhooks import payloads
from webhooks.models import DeliveryStatus, DispatchCursor, WebhookDelivery, WebhookEndpoint

BATCH = 500
GAP_SECONDS = 300
MAX_GAPS = 1_000  # ranges of missing ids; the newest are kept


def _cursor() -> DispatchCursor:
    """The cursor row, locked until the pass commits: passes run one at a time, and one that waited reads the
    events committed meanwhile (skipping a locked cursor instead could leave an event for the next poll)."""
    row = DispatchCursor.objects.select_for_update().filter(pk=1).first()
    if row is not None:
        return row
    first = WebhookEndpoint.objects.order_by("created_at").values_list("created_at", flat=True).first()
    # History from before the first endpoint is never owed to anyone: start after it.
    start = None
    if first is not None:
        start = ContactEvent.objects.filter(occurred_at__lt=first).aggregate(top=Max("id"))["top"]
    if start is None:
        # Just before the oldest event: the ids below it were never events (or were purged), not gaps.
        start = (ContactEvent.objects.aggregate(low=Min("id"))["low"] or 1) - 1
    DispatchCursor.objects.get_or_create(pk=1, defaults={"last_event_id": start})
    return DispatchCursor.objects.select_for_update().get(pk=1)


def dispatch_events(*, now: dt.datetime | None = None, batch: int = BATCH) -> tuple[int, bool]:
    """One pass: (deliveries owed by the events read, whether more events wait to be read)."""
    now = now or timezone.now()
    with transaction.atomic():
        cursor = _cursor()
        stamp = now.timestamp()
        stored = _load(cursor.gaps)
        kept = [gap for gap in stored if gap[2] > stamp - GAP_SECONDS]
        events = list(ContactEvent.objects.filter(id__gt=cursor.last_event_id).order_by("id")[:batch])
        if events and not WebhookEndpoint.objects.filter(enabled=True).exists():
            # Nothing is owed to anyone: skip straight to the newest event.
            top = ContactEvent.objects.aggregate(top=Max("id"))["top"] or 0
            cursor.last_event_id, cursor.gaps = max(top, cursor.last_event_id), {}
            cursor.save(update_fields=["last_event_id", "gaps", "updated_at"])
            return 0, False
        late = _late(kept, batch)
        gaps = _without(kept, [event.pk for event in late])
        previous = cursor.last_event_id
        for event in events:
            if event.pk > previous + 1:
                gaps.append((previous + 1, event.pk - 1, stamp))
            previous = event.pk
        gaps = gaps[-MAX_GAPS:]
        created = _fan_out(late + events, now)
        if events or late or len(kept) != len(stored):
            # An idle pass writes nothing.
            cursor.last_event_id = previous
            cursor.gaps = _dump(gaps)
            cursor.save(update_fields=["last_event_id", "gaps", "updated_at"])
    return created, len(events) == batch or len(late) == batch


# A gap is a range of ids (first, last, when first missed), stored as {"first-last": when}.
Gap = tuple[int, int, float]


def _load(stored: dict) -> list[Gap]:
    gaps = []
    for key, seen in stored.items():
        first, _, last = str(key).partition("-")
        gaps.append((int(first), int(last or first), float(seen)))
    return sorted(gaps)


def _dump(gaps: list[Gap]) -> dict[str, float]:
    return {f"{first}-{last}": seen for first, last, seen in gaps}


def _late(gaps: list[Gap], batch: int) -> list[ContactEvent]:
    """Events that have appeared in the gaps since, lowest first."""
    if not gaps:
        return []
    where = reduce(operator.or_, (Q(id__gte=first, id__lte=last) for first, last, _ in gaps))
    return list(ContactEvent.objects.filter(where).order_by("id")[:batch])


def _without(gaps: list[Gap], found: list[int]) -> list[Gap]:
    """`gaps` less the ids in `found` (both ascending)."""
    remaining: list[Gap] = []
    index = 0
    for first, last, seen in gaps:
        start = first
        while index < len(found) and found[index] <= last:
            if found[index] >= start:
                if found[index] > start:
                    remaining.append((start, found[index] - 1, seen))
                start = found[index] + 1
            index += 1
        if start <= last:
            remaining.append((start, last, seen))
    return remaining


def _fan_out(events: list[ContactEvent], now: dt.datetime) -> int:
    if not events:
        return 0
    organizations = {event.organization_id for event in events}
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(enabled=True, organization_id__in=organizations):
        endpoints.setdefault(endpoint.organization_id, []).append(endpoint)
    owed = [
        (event, endpoint)
        for event in events
        for endpoint in endpoints.get(event.organization_id, [])
        if endpoint.wants(event.type) and event.occurred_at >= endpoint.created_at
    ]
    if not owed:
        return 0
    body = payloads.bodies(list({event.pk: event for event, _ in owed}.values()))
    rows = [
        WebhookDelivery(
            organization_id=event.organization_id,
            endpoint=endpoint,
            event=event,
            event_type=event.type,
            contact_uuid=event.contact_uuid,
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            body=body[event.pk],
            created_at=now,
        )
        for event, endpoint in owed
    ]
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)
