"""Celery tasks, used when CELERY_BROKER_URL names a broker (webhooks/runner.py says who runs what)."""

from __future__ import annotations

from celery.signals import worker_ready

from crm.celery import app
from webhooks import runner
from webhooks.services import deliver


def _enqueue(ids: list[int]) -> None:
    for delivery_id in ids:
        deliver_task.delay(delivery_id)


@app.task(name="webhooks.dispatch", ignore_result=True)
def dispatch_task() -> int:
    return runner.pump_once(_enqueue, queue_for=runner.QUEUED_FOR)


# A worker killed mid-attempt loses its message; the delivery's lease runs out and the pump queues it again.
@app.task(name="webhooks.deliver", ignore_result=True)
def deliver_task(delivery_id: int) -> int:
    return deliver.attempt_in_order(delivery_id)


@worker_ready.connect
def _start_pump(**kwargs) -> None:
    runner.start_thread(send=_enqueue)
