"""Webhooks from the outbox to a local receiver through a real Celery worker and Redis, on PostgreSQL.

1. Latency: --latency events written one at a time (--spacing ms apart, one run per value), each in its own
   transaction (its commit queues a `webhooks.dispatch` task); outbox → delivered is the time from the commit to
   the receiver reading the request. Baseline, timed in the same run: a broker round trip to the worker and back
   (a control ping), the floor under any work handed to a worker; each p50 is also given as a ratio to it.
2. Reliability: --events events for --contacts contacts (several per contact, so the per-contact order is exercised)
   written in bulk, as an import writes them (no commit hook: the worker's pump finds them). When half have
   arrived the worker is killed with SIGKILL (its whole process group) and started again. Then: every event must
   have arrived (0 lost), each under one `webhook-id` (0 duplicated after dedupe by webhook-id; repeats of a
   webhook-id are the at-least-once redeliveries and are counted), every body verified with the standardwebhooks
   library, and each contact's events first received in order.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_webhooks CELERY_BROKER_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/webhooks.py --events 10000 --out /tmp/webhooks_bench.md

The bench's organization, its events and its webhooks are deleted first; the broker's Redis db is flushed.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.test_settings")
os.environ["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = "1"
SLUG = "bench-webhooks"


class Receiver:
    """Verifies each request as it arrives (as a receiver must: the timestamp may be at most 5 minutes old)."""

    def __init__(self) -> None:
        from standardwebhooks.webhooks import Webhook

        self.lock = threading.Lock()
        self.seen: list[tuple[str, float, dict | None]] = []
        self.verifier: Webhook | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at = time.time()
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    data = receiver.verifier.verify(body, headers)["data"]
                except Exception:
                    data = None
                with receiver.lock:
                    receiver.seen.append((headers.get("webhook-id", ""), at, data))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def distinct(self) -> int:
        with self.lock:
            return len({row[0] for row in self.seen})


def start_worker(log: Path, concurrency: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_CONN_MAX_AGE": "0"}
    command = [str(Path(sys.executable).parent / "celery"), "-A", "crm", "worker", "-c", str(concurrency)]
    command += ["-l", "warning", "--without-gossip", "--without-mingle", "-n", f"bench-{time.time()}@%h"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )


def kill(worker: subprocess.Popen) -> None:
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    worker.wait(10)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=2_000)
    parser.add_argument("--latency", type=int, default=200, help="events written one by one for the latency")
    parser.add_argument("--spacing", default="500,100", help="ms between the latency events (one run per value)")
    parser.add_argument("--concurrency", type=int, default=2, help="the worker's processes")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own.")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis"):
        sys.exit("Set CELERY_BROKER_URL to a Redis database of its own (it is flushed).")

    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import Count
    from standardwebhooks.webhooks import Webhook

    call_command("migrate", verbosity=0)
    from contacts.models import Contact, Organization
    from events.models import ContactEvent, EventType
    from webhooks.models import DispatchCursor, WebhookDelivery
    from webhooks.services.create_endpoint import create_endpoint

    redis.Redis.from_url(broker).flushdb()
    Organization.objects.filter(slug=SLUG).delete()
    DispatchCursor.objects.all().delete()
    org = Organization.objects.create(name="Bench webhooks", slug=SLUG, default_region="US")
    contacts = Contact.objects.bulk_create(
        [Contact(organization=org, name=f"Bench {i}", email=f"bench{i}@example.com") for i in range(args.contacts)]
    )
    receiver = Receiver()
    endpoint, secret = create_endpoint(organization=org, url=receiver.url)
    receiver.verifier = Webhook(secret)
    log = Path(tempfile.mkstemp(prefix="bench_webhooks_worker_", suffix=".log")[1])
    print(f"worker log: {log}", flush=True)
    worker = start_worker(log, args.concurrency)
    lines: list[str] = []
    try:
        time.sleep(3)  # the worker's start; not timed
        from crm.celery import app

        # The floor under any latency here: a broker round trip to the worker and back (control ping), timed now.
        pings = []
        for _ in range(20):
            begun = time.perf_counter()
            if app.control.ping(timeout=2, limit=1):
                pings.append((time.perf_counter() - begun) * 1000)
        baseline = statistics.median(pings) if pings else float("nan")
        lines.append(
            f"- Baseline: a broker round trip to the worker (control ping), median of {len(pings)}: {baseline:.0f} ms."
        )
        print(lines[-1], flush=True)
        last_latency_pk = 0
        for spacing in [float(value) for value in str(args.spacing).split(",")]:
            p50, line, last_latency_pk = latency(args, org, contacts, receiver, spacing)
            lines.append(f"{line} p50 / baseline: {p50 / baseline:.1f}x.")
            print(lines[-1], flush=True)
        if not args.events:
            return finish(args, lines, 0)

        # -- 2. reliability --------------------------------------------------------------------------------------
        with receiver.lock:
            receiver.seen.clear()
        started = time.time()
        rows = [
            ContactEvent(organization=org, contact_uuid=contacts[i % len(contacts)].uuid, type=EventType.UPDATED)
            for i in range(args.events)
        ]
        for start in range(0, len(rows), 1000):
            with transaction.atomic():
                ContactEvent.objects.bulk_create(rows[start : start + 1000])
        written = time.time() - started
        while receiver.distinct() < args.events // 2 and time.time() - started < args.timeout:
            time.sleep(0.05)
        killed_at = receiver.distinct()
        kill(worker)
        in_flight = WebhookDelivery.objects.filter(endpoint=endpoint, status="sending").count()
        worker = start_worker(log, args.concurrency)
        while receiver.distinct() < args.events and time.time() - started < args.timeout:
            time.sleep(0.1)
        elapsed = time.time() - started
        time.sleep(2)  # late repeats, if any, arrive before counting
    finally:
        kill(worker)
        receiver.server.shutdown()

    with receiver.lock:
        seen = list(receiver.seen)
    ids_of_event: dict[int, set[str]] = {}
    first_seen: dict[str, tuple[float, int, str]] = {}
    bad = 0
    for message_id, at, data in seen:
        if data is None:
            bad += 1
            continue
        ids_of_event.setdefault(data["sequence"], set()).add(message_id)
        first_seen.setdefault(message_id, (at, data["sequence"], data["contact_id"]))
    expected = set(ContactEvent.objects.filter(organization=org, pk__gt=last_latency_pk).values_list("pk", flat=True))
    lost = len(expected - set(ids_of_event))
    duplicated = sum(1 for ids in ids_of_event.values() if len(ids) > 1)
    per_contact: dict[str, list[tuple[float, int]]] = {}
    for at, sequence, contact in first_seen.values():
        per_contact.setdefault(contact, []).append((at, sequence))
    out_of_order = sum(
        1 for arrivals in per_contact.values() if [s for _, s in sorted(arrivals)] != sorted(s for _, s in arrivals)
    )
    counts = WebhookDelivery.objects.filter(endpoint=endpoint).values_list("status").annotate(n=Count("id"))
    status = dict(counts)
    lines += [
        f"- {args.events:,} events ({args.contacts:,} contacts, {args.events // args.contacts} each) written in bulk "
        f"in {written:.1f} s; worker SIGKILLed after {killed_at:,} had arrived ({in_flight} being sent at that "
        f"moment) and restarted; all arrived {elapsed:.1f} s after the first write "
        f"({args.events / elapsed:.0f} deliveries/s).",
        f"- Lost: {lost}. Events under more than one webhook-id (duplicated after dedupe): {duplicated}. "
        f"Requests received: {len(seen):,} for {len(first_seen):,} distinct webhook-ids "
        f"({len(seen) - len(first_seen)} at-least-once repeats). Signatures that failed to verify: {bad}. "
        f"Contacts whose events first arrived out of order: {out_of_order}. Deliveries by status: {status}.",
    ]
    for line in lines[-2:]:
        print(line, flush=True)
    finish(args, lines, lost + duplicated + bad + out_of_order)


def latency(args, org, contacts, receiver: Receiver, spacing: float) -> tuple[float, str, int]:
    """Events written one at a time, `spacing` ms apart: (p50 ms, the line to report, the last event's id)."""
    from django.db import transaction

    from events.models import ContactEvent, EventType

    with receiver.lock:
        receiver.seen.clear()
    committed: dict[int, float] = {}
    for i in range(args.latency):
        with transaction.atomic():
            event = ContactEvent.objects.create(
                organization=org, contact_uuid=contacts[i % len(contacts)].uuid, type=EventType.UPDATED
            )
        committed[event.pk] = time.time()
        time.sleep(spacing / 1000)
    deadline = time.time() + 60
    while receiver.distinct() < args.latency and time.time() < deadline:
        time.sleep(0.05)
    arrived: dict[int, float] = {}
    with receiver.lock:
        for _, at, data in receiver.seen:
            if data is not None:
                arrived.setdefault(data["sequence"], at)
    latencies = [(arrived[pk] - at) * 1000 for pk, at in committed.items() if pk in arrived]
    p50 = statistics.median(latencies)
    line = (
        f"- Outbox → delivered, {len(latencies)} of {args.latency} events written one by one ({spacing:g} ms "
        f"apart), Celery worker (-c {args.concurrency}) on Redis: p50 {p50:.0f} ms, "
        f"p90 {percentile(latencies, 0.9):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms, "
        f"max {max(latencies):.0f} ms."
    )
    return p50, line, max(committed)


def finish(args, lines: list[str], faults: int) -> None:
    if args.out:
        header = [
            "# Webhooks benchmark (bench/webhooks.py)",
            "",
            f"PostgreSQL, Redis broker, one Celery worker (prefork, -c {args.concurrency}), a local http.server "
            "receiver; 2-core machine shared with other work.",
            "",
        ]
        Path(args.out).write_text("\n".join(header + lines) + "\n")
    if faults:
        sys.exit(1)


if __name__ == "__main__":
    main()
