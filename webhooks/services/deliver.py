"""Attempts: each sends one owed delivery once and records what happened.

- At least once: a delivery is claimed (compare-and-set on its attempt count) with a lease; a worker that dies
  mid-attempt leaves the lease to expire and the delivery is sent again. Receivers drop repeats by `webhook-id`.
- In order per contact: a delivery waits while an earlier event of the same contact is still owed to the same
  endpoint (pending, being sent, or waiting for a retry).
- Retries follow `WEBHOOK_RETRY_SCHEDULE` (after the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); after
  the last the delivery is failed and the contact's next events go.
- An endpoint failing without a success for `WEBHOOK_DISABLE_AFTER_DAYS`, or answering 410 Gone, is disabled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from webhooks import payloads, signing, ssrf, transport
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services.rotate_secret import active_secrets

OWED = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
LEASE_MARGIN = dt.timedelta(seconds=5)
INTERRUPTED = "No answer recorded: the attempt was interrupted (the worker stopped)"


@contextmanager
def bookkeeping() -> Iterator[None]:
    """A transaction for the delivery log. On PostgreSQL its commit does not wait for the disk: what a database
    crash could lose is a claim or an outcome, and either only makes the delivery go once more (at least once)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def eligible(now: dt.datetime) -> QuerySet[WebhookDelivery]:
    """Deliveries that may be attempted at `now`: due (or abandoned mid-attempt), their endpoint enabled, and no
    earlier event of their contact still owed to that endpoint."""
    earlier_owed = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        contact_uuid=OuterRef("contact_uuid"),
        event_id__lt=OuterRef("event_id"),
        status__in=OWED,
    )
    return (
        WebhookDelivery.objects.filter(endpoint__enabled=True)
        .filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
        )
        .exclude(Exists(earlier_owed))
    )


def due_ids(*, now: dt.datetime | None = None, limit: int = 200, queue_for: dt.timedelta | None = None) -> list[int]:
    """Up to `limit` deliveries to attempt now, oldest first. With `queue_for`, they are marked as handed to a
    queue for that long, and deliveries so marked are left out."""
    now = now or timezone.now()
    rows = eligible(now)
    if queue_for is not None:
        rows = rows.exclude(queued_until__gt=now)
    ids = list(rows.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
    if ids and queue_for is not None:
        WebhookDelivery.objects.filter(pk__in=ids).update(queued_until=now + queue_for)
    return ids


def forget_queued() -> int:
    """Clear every "handed to the queue" mark, so the pump queues those deliveries again."""
    return WebhookDelivery.objects.filter(queued_until__isnull=False).update(queued_until=None)


def attempt(delivery_id: int, *, now: dt.datetime | None = None) -> WebhookAttempt | None:
    """Send the delivery once if it may be sent now; the attempt recorded, or None if it was not (not due, held
    back, or another worker claimed it first)."""
    now = now or timezone.now()
    row = eligible(now).filter(pk=delivery_id).select_related("endpoint").first()
    if row is None:
        return None
    endpoint = row.endpoint
    lease = dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS) + LEASE_MARGIN
    count = row.attempt_count + 1
    with bookkeeping():
        claimed = WebhookDelivery.objects.filter(pk=row.pk, status=row.status, attempt_count=row.attempt_count).update(
            status=DeliveryStatus.SENDING, lease_until=now + lease, attempt_count=count, queued_until=None
        )
        if not claimed:
            return None
        if row.status == DeliveryStatus.SENDING:
            # Its last attempt's worker died before recording an outcome: say so in the log.
            WebhookAttempt.objects.create(delivery=row, attempted_at=row.lease_until - lease, error=INTERRUPTED)
    body = row.body or rebuild_body(row)
    try:
        target = ssrf.resolve(endpoint.url)
    except ssrf.UnsafeWebhookUrl as exc:
        outcome = transport.Outcome(None, "", 0, f"Refused before sending: {exc.message}")
    else:
        # The timestamp is the real time of sending (receivers refuse one more than 5 minutes off), whatever `now`
        # a caller gave to schedule by.
        headers = signing.headers(row.message_id, timezone.now(), body, active_secrets(endpoint, now))
        outcome = transport.post(target, body, headers)
    log = WebhookAttempt(delivery=row, attempted_at=now)
    _record(row, log, count, outcome, now)
    return log


def rebuild_body(delivery: WebhookDelivery) -> str:
    """The body of a delivery whose body was dropped when it finished (a redelivery)."""
    if delivery.event_id is None:
        return payloads.test_body(delivery.endpoint.uuid)
    return payloads.bodies([delivery.event])[delivery.event_id]


def _record(
    row: WebhookDelivery, log: WebhookAttempt, count: int, outcome: transport.Outcome, now: dt.datetime
) -> None:
    log.status_code, log.succeeded = outcome.status_code, outcome.succeeded
    log.response_excerpt, log.latency_ms, log.error = outcome.excerpt, outcome.latency_ms, outcome.error
    mine = WebhookDelivery.objects.filter(pk=row.pk, attempt_count=count, status=DeliveryStatus.SENDING)
    with bookkeeping():
        log.save()
        done = {"lease_until": None, "last_status_code": outcome.status_code}
        if outcome.succeeded:
            row.status = DeliveryStatus.SUCCEEDED
            mine.update(status=row.status, delivered_at=now, body="", **done)
            if row.endpoint.failing_since is not None:
                WebhookEndpoint.objects.filter(pk=row.endpoint_id).update(failing_since=None)
            return
        schedule = settings.WEBHOOK_RETRY_SCHEDULE
        if count <= len(schedule):
            row.status = DeliveryStatus.PENDING
            mine.update(status=row.status, next_attempt_at=now + dt.timedelta(seconds=schedule[count - 1]), **done)
        else:
            row.status = DeliveryStatus.FAILED
            mine.update(status=row.status, next_attempt_at=None, body="", **done)
        _endpoint_failed(row.endpoint_id, outcome, now)


def _endpoint_failed(endpoint_id: int, outcome: transport.Outcome, now: dt.datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(failing_since=now)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if not endpoint.enabled:
        return
    reason = ""
    if outcome.status_code == 410:
        reason = "The endpoint answered 410 Gone"
    elif now - endpoint.failing_since >= dt.timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS):
        reason = f"Every attempt failed for {settings.WEBHOOK_DISABLE_AFTER_DAYS:g} days"
    if reason:
        endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason
        endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason", "updated_at"])


def attempt_in_order(delivery_id: int, *, now: dt.datetime | None = None, limit: int = 100) -> int:
    """`attempt`, then the contact's next owed deliveries to the same endpoint while each one finishes, so a
    contact's events follow each other without waiting for the next poll; how many attempts were made."""
    made = 0
    while made < limit:
        log = attempt(delivery_id, now=now)
        if log is None:
            return made
        made += 1
        delivery = log.delivery  # its status as this attempt left it
        if delivery.status in OWED or delivery.contact_uuid is None:
            return made
        following = (
            eligible(now or timezone.now())
            .filter(endpoint_id=delivery.endpoint_id, contact_uuid=delivery.contact_uuid)
            .order_by("event_id")
            .values_list("id", flat=True)
            .first()
        )
        if following is None:
            return made
        delivery_id = following
    return made
