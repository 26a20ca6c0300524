"""Who runs the dispatcher and the attempts.

- With a broker (`CELERY_BROKER_URL`): each committed event write queues a `webhooks.dispatch` task, and a pump
  thread in every Celery worker's main process polls every `WEBHOOK_POLL_SECONDS` (events written in bulk, retries
  coming due, leases of dead workers); attempts run as `webhooks.deliver` tasks (webhooks/tasks.py).
- Without one: a thread of the web process does both, started with `runserver`/gunicorn or at the first committed
  event write once an endpoint exists, so `make run` delivers with nothing else running.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.db.models.signals import post_save

logger = logging.getLogger(__name__)

ATTEMPT_THREADS = 4
BATCH = 200
# A delivery handed to the queue is not queued again for this long (its message may simply still be waiting); a
# worker that starts forgets these marks, since a worker that died may have taken messages with it.
QUEUED_FOR = dt.timedelta(minutes=1)

# At most one dispatch task per this many seconds from one process; the workers' pumps catch anything later.
KICK_INTERVAL = 0.05
_kicked_at = float("-inf")
_trailing: threading.Timer | None = None
_wake = threading.Event()
_lock = threading.Lock()
_thread: threading.Thread | None = None
_stop = threading.Event()
_checked_at = float("-inf")
_endpoints_found = False


def with_broker() -> bool:
    return not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True)


def connect() -> None:
    from events.models import ContactEvent
    from events.services import events_written

    # Services write events in bulk (no post_save); an event saved one by one (tests, the shell) counts too.
    events_written.connect(_events_written, dispatch_uid="webhooks.events_written")
    post_save.connect(_event_saved, sender=ContactEvent, dispatch_uid="webhooks.event_saved")
    if _serving() and not with_broker() and settings.WEBHOOK_DELIVERY_THREAD:
        start_thread()


def _serving() -> bool:
    """Whether this process is a web server that should deliver (not a migration, a shell or the test suite)."""
    program = os.path.basename(sys.argv[0]) if sys.argv else ""
    if "gunicorn" in program:
        return True
    return "runserver" in sys.argv[1:2] and (os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv)


def _event_saved(sender, instance, created: bool, **kwargs) -> None:
    if created:
        transaction.on_commit(kick)


def _events_written(sender, organization_id: int, count: int, **kwargs) -> None:
    if count:
        transaction.on_commit(kick)


def kick() -> None:
    """Tell a dispatcher that an event committed."""
    if with_broker():
        _kick_queue()
        return
    if _thread is None and settings.WEBHOOK_DELIVERY_THREAD and _endpoints_exist():
        start_thread()
    _wake.set()


def _kick_queue() -> None:
    # One task per KICK_INTERVAL for a burst of commits (a task reads every event committed before it runs), and
    # one more at the end of the interval for the commits that came after the first.
    global _kicked_at, _trailing
    now = time.monotonic()
    with _lock:
        if now - _kicked_at < KICK_INTERVAL:
            if _trailing is None:
                _trailing = threading.Timer(KICK_INTERVAL - (now - _kicked_at), _send_kick)
                _trailing.daemon = True
                _trailing.start()
            return
        _kicked_at = now
    _send_kick()


def _send_kick() -> None:
    global _trailing, _kicked_at
    with _lock:
        _trailing, _kicked_at = None, time.monotonic()
    from webhooks.tasks import dispatch_task

    try:
        dispatch_task.delay()
    except Exception:  # the broker is down: the workers' pumps still find the event
        logger.warning("could not queue webhooks.dispatch", exc_info=True)


def _endpoints_exist() -> bool:
    # Asked again at most every few seconds: without endpoints, no write should pay for a query.
    global _checked_at, _endpoints_found
    if time.monotonic() - _checked_at >= 5:
        from webhooks.models import WebhookEndpoint

        _endpoints_found = WebhookEndpoint.objects.filter(enabled=True).exists()
        _checked_at = time.monotonic()
    return _endpoints_found


def pump_once(send: Callable[[list[int]], None], *, queue_for: dt.timedelta | None = None) -> int:
    """Read the outbox to its end, then hand the due deliveries to `send` (in batches); how many were handed."""
    from webhooks.services import deliver, dispatch

    more = True
    while more:
        _, more = dispatch.dispatch_events()
    handed = 0
    while True:
        ids = deliver.due_ids(limit=BATCH, queue_for=queue_for)
        if ids:
            send(ids)
            handed += len(ids)
        if len(ids) < BATCH or (queue_for is None and handed >= 10 * BATCH):
            return handed


def run_pending(executor: ThreadPoolExecutor | None = None) -> int:
    """One pass in this process: dispatch, then attempt every due delivery (in `executor`'s threads)."""
    from webhooks.services import deliver

    def send(ids: list[int]) -> None:
        if executor is None:
            for delivery_id in ids:
                deliver.attempt_in_order(delivery_id)
        else:
            list(executor.map(_attempt_in_thread, ids))

    return pump_once(send)


def _attempt_in_thread(delivery_id: int) -> None:
    from webhooks.services import deliver

    try:
        deliver.attempt_in_order(delivery_id)
    except Exception:
        logger.exception("webhook attempt failed", extra={"delivery_id": delivery_id})
    finally:
        connections.close_all()


def loop(stop: threading.Event | None = None, *, send: Callable[[list[int]], None] | None = None) -> None:
    """Poll until `stop` is set: every `WEBHOOK_POLL_SECONDS`, or at once when `kick` wakes it."""
    stop = stop or threading.Event()
    with ThreadPoolExecutor(ATTEMPT_THREADS, thread_name_prefix="webhook-attempt") as executor:
        while not stop.is_set():
            _wake.clear()
            close_old_connections()
            try:
                if send is None:
                    run_pending(executor)
                else:
                    pump_once(send, queue_for=QUEUED_FOR)
            except Exception:
                logger.exception("webhook dispatch pass failed")
            _wake.wait(settings.WEBHOOK_POLL_SECONDS)
    connections.close_all()


def start_thread(send: Callable[[list[int]], None] | None = None) -> threading.Thread:
    """The process's delivery thread (a daemon: it stops with the process; owed deliveries stay owed)."""
    global _thread, _stop
    with _lock:
        if _thread is None or not _thread.is_alive():
            _stop = threading.Event()
            _thread = threading.Thread(
                target=loop, args=(_stop,), kwargs={"send": send}, name="webhook-delivery", daemon=True
            )
            _thread.start()
        return _thread


def stop_thread(timeout: float = 10) -> None:
    """Stop the delivery thread after its current pass (tests; a process that stops delivering)."""
    global _thread
    with _lock:
        thread, _thread = _thread, None
    if thread is not None:
        _stop.set()
        _wake.set()
        thread.join(timeout)
