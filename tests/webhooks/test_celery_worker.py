"""A real Celery worker against Redis (db 9) delivers from the outbox; killed with SIGKILL while a delivery is in
flight (the receiver hangs), then restarted, it still delivers: at least once, one distinct `webhook-id`."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.webhooks.conftest import make_event
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from webhooks.services.create_endpoint import create_endpoint
from webhooks.services.deliver import INTERRUPTED

BROKER = "redis://127.0.0.1:6379/9"
ROOT = Path(__file__).resolve().parents[2]


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping())
    except Exception:
        return False


pytestmark = [
    pytest.mark.postgres,  # the worker is another process: it needs the test database to be a server's
    pytest.mark.slow,
    pytest.mark.skipif(not _redis_up(), reason=f"needs Redis at {BROKER}"),
    pytest.mark.django_db(transaction=True),
]


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.test_settings",
        "DATABASE_URL": _database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": BROKER,
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1",
        "WEBHOOK_TIMEOUT_SECONDS": "3",
        "WEBHOOK_POLL_SECONDS": "0.3",
    }
    command = [str(Path(sys.executable).parent / "celery"), "-A", "crm", "worker", "-c", "2", "-l", "info"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"webhooks-test-{time.time()}@%h"]
    # Its own process group: SIGKILL reaches the pool's children too, as when a machine or container dies.
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )


def kill(worker: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(10)


def wait(predicate, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()[-4000:]}")


@pytest.fixture
def broker():
    import redis

    client = redis.Redis.from_url(BROKER)
    client.flushdb()  # db 9 is this test's own
    yield
    client.flushdb()


def test_a_worker_killed_mid_delivery_still_delivers_after_a_restart(organization, receiver, broker, tmp_path):
    log = tmp_path / "worker.log"
    create_endpoint(organization=organization, url=receiver.url)
    receiver.hold.set()
    worker = start_worker(log)
    try:
        event = make_event(organization)
        wait(lambda: receiver.arrivals >= 1, 60, "the first attempt to reach the receiver", log)
        kill(worker)
        delivery = WebhookDelivery.objects.get(event=event)
        assert delivery.status == DeliveryStatus.SENDING
        receiver.hold.clear()

        worker = start_worker(log)
        wait(
            lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SUCCEEDED).exists(),
            60,
            "the delivery to succeed after the restart",
            log,
        )
    finally:
        kill(worker)

    assert receiver.arrivals >= 2
    assert set(receiver.ids()) == {delivery.message_id}
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery))
    assert [a.error for a in attempts] == [INTERRUPTED, ""]
    assert [a.status_code for a in attempts] == [None, 200]
