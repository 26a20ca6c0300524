"""Celery tasks, used when CELERY_BROKER_URL names a broker (webhooks/runner.py says who runs what)."""

from __future__ import annotations

from celery.signals import worker_ready

from crm.celery import app
from webhooks import runner
from webhooks.services import deliver


def _enqueue(ids: list[int]) -> None:
    for delivery_id in ids:
        deliver_task.delay(delivery_id)


# A dispatch task sends the first few deliveries it finds itself (no second hop through the queue for a trickle of
# events) and queues the rest for the other workers.
INLINE = 10


def _send_some_then_enqueue(ids: list[int]) -> None:
    for delivery_id in ids[:INLINE]:
        deliver.attempt_in_order(delivery_id)
    _enqueue(ids[INLINE:])


@app.task(name="webhooks.dispatch", ignore_result=True)
def dispatch_task() -> int:
    return runner.pump_once(_send_some_then_enqueue, queue_for=runner.QUEUED_FOR)


# A worker killed mid-attempt loses its message; the delivery's lease runs out and the pump queues it again.
@app.task(name="webhooks.deliver", ignore_result=True)
def deliver_task(delivery_id: int) -> int:
    return deliver.attempt_in_order(delivery_id)


@worker_ready.connect
def _start_pump(**kwargs) -> None:
    # Messages a killed worker had taken are gone: queue what is owed again (a repeat finds it already sent).
    deliver.forget_queued()
    runner.start_thread(send=_enqueue)
