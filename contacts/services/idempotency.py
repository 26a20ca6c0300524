"""The writes of `Idempotency-Key` records (contacts/models/idempotency.py), for contacts/api/native/idempotency.py.

Every write here runs inside the request's transaction, so a key is recorded exactly when its request's writes are:
`claim` adds the `in_progress` row, `finish` turns it `done` with the answer, and a rollback takes both away.
While the request runs, PostgreSQL holds a transaction-level advisory lock on the key, which another connection's
`claim` tries without waiting: a concurrent request with the key is refused at once rather than queued behind the
first one's row. SQLite runs one writer at a time, so there the second request waits and then finds the answer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from contacts.models.idempotency import IdempotencyRecord, IdempotencyState
from contacts.models.tenancy import Organization

KEEP = timedelta(hours=24)


class KeyBusy(Exception):
    """Another connection's request holds the key right now."""


@dataclass(frozen=True)
class Claim:
    """The key's record, and whether this request has just added it (then it runs) or found it."""

    record: IdempotencyRecord
    created: bool


def claim(organization: Organization, credential: str, key: str, fingerprint: str) -> Claim:
    """The key's live record for `credential`, adding it `in_progress` if there is none (or only an expired one).
    Raises `KeyBusy` while another connection's request holds the key. Call it inside the request's transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_lock_id(credential, key)])
            if not cursor.fetchone()[0]:
                raise KeyBusy(key)
    found = IdempotencyRecord.objects.filter(credential=credential, key=key).first()
    if found is not None and found.created_at > timezone.now() - KEEP:
        return Claim(found, created=False)
    try:
        with transaction.atomic():
            if found is not None:  # expired: the key is free again
                found.delete()
            record = IdempotencyRecord.objects.create(
                organization=organization, credential=credential, key=key, fingerprint=fingerprint
            )
    except IntegrityError:
        # SQLite only (PostgreSQL's lock keeps others out): another process's request committed the key meanwhile.
        found = IdempotencyRecord.objects.filter(credential=credential, key=key).first()
        if found is None:
            raise KeyBusy(key) from None
        return Claim(found, created=False)
    return Claim(record, created=True)


def finish(record: IdempotencyRecord, status: int, body: object, headers: dict[str, str]) -> None:
    """Keeps the answer of the request that claimed `record`, in that request's transaction."""
    record.state = IdempotencyState.DONE
    record.status_code = status
    record.response_body = body
    record.response_headers = headers
    record.save(update_fields=["state", "status_code", "response_body", "response_headers"])


def release(record: IdempotencyRecord) -> None:
    """Frees the key of a request that wrote nothing (a refusal): its retry runs again."""
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def purge_expired(now=None) -> int:
    """Deletes the records older than 24 hours (no request reads them any more); returns how many."""
    cutoff = (now or timezone.now()) - KEEP
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _lock_id(credential: str, key: str) -> int:
    digest = hashlib.sha256(f"idempotency\n{credential}\n{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
