"""History page times on PostgreSQL: `GET /api/v1/events`, `GET /api/v1/contacts/{id}/history` and the admin's
History page, at the first page and deep in the history (near the end of it), with N events in one organization.

Builds with server-side `generate_series` SQL one organization of N events over N/20 contacts (plus one contact
with N/50 events of its own, the deep contact history) and a neighbour organization of N/10 events interleaved in
id order, so neither organization condition is trivially true. Then, through Django's test client (an API key
with `contacts:read`; a logged-in staff member for the admin), times each page: the first, and one whose cursor
is the position 90% of the way through (made by the API's own encoder; the admin's `?before=` its own). Each case
is timed alternately with the first page of /api/v1/events, and "x base" is its p50 over that baseline's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_history .venv/bin/python bench/history.py

The data is kept between runs when the organization already has N events; --rebuild builds it again.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.support import postgres_url, prepare_database, setup_django  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.test_settings")
# The key's rate limit (600/min) would refuse the bench's back-to-back pages; the throttle still runs on each.
os.environ.setdefault("THROTTLE_V1", "1000000/min")

SLUG = "bench-history"
DEEP_CONTACT = "00000000-0000-4000-8000-00000000dee9"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per case")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    prepare_database(postgres_url("its tables are rewritten"), fresh=False)
    setup_django()
    from contacts.models import Organization
    from events.models import ContactEvent

    org = Organization.objects.filter(slug=SLUG).first()
    if args.rebuild or org is None or ContactEvent.objects.filter(organization=org).count() != args.events:
        org = build(args.events)
    run(org, args)


def sql(statement: str, params: list | None = None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def build(n: int):
    from contacts.models import Contact, Organization

    started = time.perf_counter()
    Organization.objects.filter(slug__in=[SLUG, f"{SLUG}-neighbour"]).delete()
    org = Organization.objects.create(name=SLUG, slug=SLUG, default_region="US")
    neighbour = Organization.objects.create(name=f"{SLUG}-neighbour", slug=f"{SLUG}-neighbour", default_region="US")
    Contact.objects.create(organization=org, uuid=DEEP_CONTACT, name="Deep history")
    # Every eleventh row is the neighbour's; one in 50 of the organization's is the deep contact's.
    sql(
        """
        INSERT INTO events_contactevent
            (uuid, organization_id, contact_uuid, type, actor_kind, actor_id, actor_name, surface, changes,
             request_id, occurred_at)
        SELECT gen_random_uuid(),
               CASE WHEN i %% 11 = 0 THEN %s ELSE %s END,
               CASE WHEN i %% 11 <> 0 AND i %% 50 = 1 THEN %s::uuid
                    ELSE md5((i %% %s)::text)::uuid END,
               'contact.updated', 'api_key', '12', 'bench key', 'native',
               jsonb_build_object('note', jsonb_build_object('before', 'n' || i, 'after', 'n' || (i + 1)),
                                  'tags', jsonb_build_object('before', '["VIP"]'::jsonb,
                                                             'after', '["VIP", "Lead"]'::jsonb)),
               '', now() - make_interval(secs => (%s - i))
        FROM generate_series(1, %s) AS i
        """,
        [neighbour.pk, org.pk, DEEP_CONTACT, max(n // 20, 1), n * 11 // 10, n * 11 // 10],
    )
    sql("VACUUM ANALYZE events_contactevent")
    print(f"built {n * 11 // 10:,} events in {time.perf_counter() - started:.0f} s")
    return org


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def timed(client, path: str, query: dict) -> float:
    began = time.perf_counter()
    response = client.get(path, query)
    elapsed = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    return elapsed


def run(org, args) -> None:
    from django.test import Client
    from rest_framework.test import APIClient

    from contacts.api.native.history import encode_cursor
    from contacts.models import Contact
    from contacts.services.credentials import create_api_key
    from events.models import ContactEvent
    from tests.conftest import make_staff

    _, secret = create_api_key(organization=org, name="bench", scopes=["contacts:read"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username="bench-history-staff").delete()
    admin = Client()
    admin.force_login(make_staff(org, username="bench-history-staff"))

    def position(queryset, share: float) -> int:
        ids = queryset.order_by("id").values_list("id", flat=True)
        return ids[int(queryset.count() * share)]

    everything = ContactEvent.objects.filter(organization=org)
    deep = everything.filter(contact_uuid=DEEP_CONTACT)
    contact = Contact.objects.get(organization=org, uuid=DEEP_CONTACT)
    history_path = f"/api/v1/contacts/{DEEP_CONTACT}/history"
    admin_path = f"/admin/contacts/contact/{contact.pk}/history/"
    base = ("/api/v1/events", {})
    cases = [
        ("events, first page", "/api/v1/events", {}),
        ("events, 90% deep", "/api/v1/events", {"cursor": encode_cursor(position(everything, 0.9))}),
        ("events, type filter, 90% deep", "/api/v1/events",
         {"type": "contact.updated", "cursor": encode_cursor(position(everything, 0.9))}),
        ("contact history, first page", history_path, {}),
        ("contact history, 90% deep", history_path, {"cursor": encode_cursor(position(deep, 0.9))}),
        ("admin History, newest page", admin_path, {}),
        ("admin History, 90% back", admin_path, {"before": position(deep, 0.1)}),
    ]  # fmt: skip
    print(f"{everything.count():,} events in the organization, {deep.count():,} of one contact; "
          f"{args.requests} requests per case, 50 per page")  # fmt: skip
    print(f"{'case':34} {'p50 ms':>8} {'p99 ms':>8} {'x base':>7}")
    for label, path, query in cases:
        client = admin if path.startswith("/admin/") else api
        for _ in range(3):  # warm the caches and the connection
            timed(client, path, query)
        times, baseline = [], []
        for _ in range(args.requests):
            times.append(timed(client, path, query))
            baseline.append(timed(api, *base))
        median = statistics.median(times)
        ratio = median / statistics.median(baseline)
        print(f"{label:34} {median:8.1f} {p99(times):8.1f} {ratio:7.2f}")


if __name__ == "__main__":
    main()
