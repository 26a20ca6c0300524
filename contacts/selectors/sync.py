"""The watermark of an incremental sync: a time W such that every contact write a read started after it cannot see
(still uncommitted, or not begun) will carry `updated_at >= W`.

A write's `updated_at` is the app host's clock when the write was made (`auto_now`, or the services' own `now`),
not the time its transaction commits, so "now" is no watermark: a transaction still open can commit a time the
sync has already passed. What bounds every such write is the start of the oldest transaction still open.

On PostgreSQL, W = min(now, start of the oldest transaction open in this database) - allowance, read from
`pg_stat_activity` on the database clock. A write made in a transaction open now was timestamped no earlier than
its transaction began, give or take the allowance (how far an app host's clock may run behind the database's, plus
the moment between taking the timestamp and the first statement of its transaction reaching the server: with
ATOMIC_REQUESTS that statement is the request's credential lookup, which precedes every write). A write in a
transaction not begun yet is timestamped later than now, within the same allowance. Every other write has
committed, and a read that takes its snapshot after this query sees it. `SYNC_CLOCK_SKEW_SECONDS` (default 5) is
the allowance.

SQLite cannot list the open transactions of other connections; app and database share one host and one clock, and
one write transaction runs at a time, so the allowance is the longest a write may take from its timestamp to its
commit, including the `timeout` it may wait for the write lock: `SYNC_SQLITE_WRITE_SECONDS` (default 60).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.utils import timezone

DEFAULT_CLOCK_SKEW_SECONDS = 5
DEFAULT_SQLITE_WRITE_SECONDS = 60

# Our own backend is excluded: the sync's transaction writes no contact. Autovacuum never writes `updated_at`, and a
# long vacuum would otherwise hold every watermark back. A session of another role (without pg_read_all_stats)
# shows neither its state, its type nor its transaction start, only this query text: nothing bounds its writes.
# Under REPEATABLE READ the read's snapshot would be the request's first statement's, older than this query.
OPEN_TRANSACTIONS = """
SELECT statement_timestamp(),
       min(xact_start),
       coalesce(bool_or(query = '<insufficient privilege>'), false)
           OR current_setting('transaction_isolation') <> 'read committed'
FROM pg_stat_activity
WHERE datname = current_database()
  AND pid <> pg_backend_pid()
  AND backend_type IS DISTINCT FROM 'autovacuum worker'
"""


def _seconds(name: str, default: int) -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, name, default)))


def sync_watermark() -> dt.datetime | None:
    """W (see the module), or None when it cannot be bounded: then a sync may only restart where it started.

    Call it before the read it protects: on PostgreSQL under READ COMMITTED every later statement of the request
    reads a snapshot taken after it."""
    if connection.vendor != "postgresql":
        return timezone.now() - _seconds("SYNC_SQLITE_WRITE_SECONDS", DEFAULT_SQLITE_WRITE_SECONDS)
    with connection.cursor() as cursor:
        # pg_stat_activity is read once per transaction and then cached: a second read in the request would be stale.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(OPEN_TRANSACTIONS)
        now, oldest, unbounded = cursor.fetchone()
    if unbounded:
        return None
    start = now if oldest is None else min(now, oldest)
    return start - _seconds("SYNC_CLOCK_SKEW_SECONDS", DEFAULT_CLOCK_SKEW_SECONDS)
