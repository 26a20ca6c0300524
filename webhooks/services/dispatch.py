"""The dispatcher: reads committed events from the outbox in id order and owes each to every enabled endpoint of
its organization that wants its type (one `WebhookDelivery` per event and endpoint, never two).

Ids are taken when a row is inserted, not when its transaction commits, so a transaction that took id 7 may commit
after one that took id 8 was read. The cursor keeps such missing ids as gaps and looks for them again at every pass
for `GAP_SECONDS`; an id still missing then belonged to a transaction that rolled back.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from events.models import ContactEvent
from webhooks import payloads
from webhooks.models import DeliveryStatus, DispatchCursor, WebhookDelivery, WebhookEndpoint

BATCH = 500
GAP_SECONDS = 300
MAX_GAPS = 10_000


def _cursor() -> DispatchCursor | None:
    """The cursor row, locked; None while another dispatcher holds it (it is doing this pass)."""
    row = DispatchCursor.objects.select_for_update(skip_locked=True).filter(pk=1).first()
    if row is not None:
        return row
    if DispatchCursor.objects.filter(pk=1).exists():
        return None
    first = WebhookEndpoint.objects.order_by("created_at").values_list("created_at", flat=True).first()
    # History from before the first endpoint is never owed to anyone: start after it.
    start = None
    if first is not None:
        start = ContactEvent.objects.filter(occurred_at__lt=first).aggregate(top=Max("id"))["top"]
    if start is None:
        # Just before the oldest event: the ids below it were never events (or were purged), not gaps.
        start = (ContactEvent.objects.aggregate(low=Min("id"))["low"] or 1) - 1
    DispatchCursor.objects.get_or_create(pk=1, defaults={"last_event_id": start})
    return DispatchCursor.objects.select_for_update(skip_locked=True).filter(pk=1).first()


def dispatch_events(*, now: dt.datetime | None = None, batch: int = BATCH) -> tuple[int, bool]:
    """One pass: (deliveries owed by the events read, whether more events wait to be read)."""
    now = now or timezone.now()
    with transaction.atomic():
        cursor = _cursor()
        if cursor is None:
            return 0, False
        stamp = now.timestamp()
        kept = {int(key): seen for key, seen in cursor.gaps.items() if seen > stamp - GAP_SECONDS}
        events = list(ContactEvent.objects.filter(id__gt=cursor.last_event_id).order_by("id")[:batch])
        if events and not WebhookEndpoint.objects.filter(enabled=True).exists():
            # Nothing is owed to anyone: skip straight to the newest event.
            top = ContactEvent.objects.aggregate(top=Max("id"))["top"] or 0
            cursor.last_event_id, cursor.gaps = max(top, cursor.last_event_id), {}
            cursor.save(update_fields=["last_event_id", "gaps", "updated_at"])
            return 0, False
        gaps = dict(kept)
        late = list(ContactEvent.objects.filter(id__in=list(gaps))) if gaps else []
        previous = cursor.last_event_id
        for event in late:
            gaps.pop(event.pk, None)
        for event in events:
            for missing in range(previous + 1, min(event.pk, previous + 1 + MAX_GAPS)):
                gaps[missing] = stamp
            previous = event.pk
        if len(gaps) > MAX_GAPS:
            gaps = dict(sorted(gaps.items())[-MAX_GAPS:])
        created = _fan_out(sorted(late, key=lambda e: e.pk) + events, now)
        if events or late or len(kept) != len(cursor.gaps):
            # An idle pass writes nothing.
            cursor.last_event_id = previous
            cursor.gaps = {str(key): seen for key, seen in gaps.items()}
            cursor.save(update_fields=["last_event_id", "gaps", "updated_at"])
    return created, len(events) == batch


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
