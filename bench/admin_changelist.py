"""Admin changelist timings with a million contacts on PostgreSQL.

Loads N contacts (COPY) into one organization and 1,000 into a second (the baseline, measured in the same run),
then renders, as a staff member of each organization, the contact changelist, a filtered changelist (tag,
source) and searches (a name word, a phone typed in national format), and prints median server times.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_admin \
        .venv/bin/python bench/admin_changelist.py --rows 1000000

The database is dropped and re-created unless --reuse is given.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.support import postgres_url, prepare_database, setup_django  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.test_settings")

FIRST = ["John", "Mary", "Ahmed", "Juan", "Angela", "Wei", "Fatima", "Olga", "Ravi", "Sofia", "Liam", "Noah"]
LAST = ["Smith", "Cruz", "Mohammed", "Pérez", "Jones", "Chen", "Khan", "Ivanova", "Patel", "Rossi", "Brown"]
SOURCES = ["whatsapp", "sms", "email", "api", "import"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    args = parser.parse_args()

    prepare_database(postgres_url("it is dropped and re-created"), fresh=not args.reuse)
    setup_django()
    from contacts.models import Contact

    big, small = load(args) if not args.reuse or not Contact.objects.exists() else existing()
    time_pages(big, small, args.repeat)


def existing():
    from contacts.models import Organization

    return Organization.objects.get(slug="big"), Organization.objects.get(slug="small")


def load(args):
    from django.db import connection

    from contacts.models import Branch, Contact, ContactGroup, Organization, Tag

    started = time.perf_counter()
    # Bulk loading is much faster without the GIN indexes; they are rebuilt from their own definitions after.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'contacts_contact' AND indexdef ILIKE '%gin%'"
        )
        gin_indexes = cursor.fetchall()
        for name, _ in gin_indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    big = Organization.objects.create(name="Big", slug="big", default_region="US")
    small = Organization.objects.create(name="Small", slug="small", default_region="US")
    for org, rows in ((big, args.rows), (small, args.baseline_rows)):
        tags = [Tag.objects.create(organization=org, name=f"tag-{i}") for i in range(30)]
        groups = [ContactGroup.objects.create(organization=org, name=f"group-{i}") for i in range(10)]
        branches = [Branch.objects.create(organization=org, name=f"branch-{i}") for i in range(5)]
        copy_contacts(connection, org, rows, branches)
        ids = list(Contact.objects.filter(organization=org).values_list("id", flat=True))
        copy_links(connection, "contacts_contact_tags", "tag_id", ids, [t.pk for t in tags], per_contact=2)
        copy_links(connection, "contacts_contact_groups", "contactgroup_id", ids, [g.pk for g in groups], per_contact=1)
    with connection.cursor() as cursor:
        for _, definition in gin_indexes:
            cursor.execute(definition)
        cursor.execute("ANALYZE")
    print(f"loaded {args.rows:,} + {args.baseline_rows:,} contacts in {time.perf_counter() - started:.0f} s")
    return big, small


def copy_contacts(connection, org, rows: int, branches) -> None:
    rng = random.Random(org.pk)
    columns = (
        "uuid, organization_id, name, full_name, phone, phone_valid, email, country, description, address, "
        "is_favorite, source, avatar, avatar_url, branch_id, custom_fields, custom_field_order, attributes, "
        "bot_status, note, created_at, updated_at"
    )
    raw = connection.connection if connection.connection else None
    if raw is None:
        connection.ensure_connection()
        raw = connection.connection
    with raw.cursor() as cursor, cursor.copy(f"COPY contacts_contact ({columns}) FROM STDIN") as copy:
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            name = f"{first} {last} {i}"
            phone = f"+1{rng.randint(201, 989)}{i % 10_000_000:07d}" if i % 20 else None
            days = rng.randint(0, 365)
            created = f"2026-{1 + days % 12:02d}-{1 + days % 28:02d} {i % 24:02d}:{i % 60:02d}:00+00"
            copy.write_row(
                (
                    str(uuid.uuid4()),
                    org.pk,
                    name,
                    name,
                    phone,
                    True,
                    f"{first.lower()}.{i}@example.com",
                    "",
                    "",
                    "",
                    rng.random() < 0.02,
                    SOURCES[i % len(SOURCES)],
                    "",
                    "https://cdn.example.com/a.png" if i % 3 == 0 else "",
                    branches[i % len(branches)].pk,
                    '{"CITY": "London"}',
                    '["CITY"]',
                    "{}",
                    "",
                    "",
                    created,
                    created,
                )
            )
    raw.commit() if not raw.autocommit else None


def copy_links(connection, table: str, column: str, ids, targets, per_contact: int) -> None:
    rng = random.Random(len(ids))
    buffer = io.StringIO()
    for contact_id in ids:
        for target in rng.sample(targets, per_contact):
            buffer.write(f"{contact_id}\t{target}\n")
    buffer.seek(0)
    raw = connection.connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} (contact_id, {column}) FROM STDIN") as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)
    raw.commit() if not raw.autocommit else None


def time_pages(big, small, repeat: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from contacts.models import Contact, Membership, Tag

    User = get_user_model()
    url = "/admin/contacts/contact/"
    results = []
    for org in (small, big):
        user, _ = User.objects.get_or_create(username=f"staff-{org.slug}", defaults={"is_staff": True})
        Membership.objects.get_or_create(user=user, organization=org, defaults={"role": "admin"})
        client = Client()
        client.force_login(user)
        tag = Tag.objects.filter(organization=org).order_by("id").first()
        sample = Contact.objects.filter(organization=org, phone__isnull=False).order_by("id")[5]
        national = sample.phone_e164[2:5] + "-" + sample.phone_e164[5:8] + "-" + sample.phone_e164[8:]
        cases = [
            ("changelist", {}),
            ("filtered: tag", {"tags__id__exact": tag.pk}),
            ("filtered: source+favorite", {"source__exact": "sms", "is_favorite__exact": "1"}),
            ("search: name word", {"q": "angela"}),
            ("search: phone (national format)", {"q": national}),
        ]
        for label, params in cases:
            timings = []
            for _ in range(repeat):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(url, params)
                    elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.status_code
                timings.append(elapsed)
            results.append((org.slug, label, statistics.median(timings), len(queries.captured_queries)))
    baseline = {label: ms for slug, label, ms, _ in results if slug == "small"}
    print(f"{'case':34} {'1k rows ms':>11} {'big ms':>9} {'ratio':>6} {'queries':>8}")
    for slug, label, ms, nq in results:
        if slug == "big":
            print(f"{label:34} {baseline[label]:11.1f} {ms:9.1f} {ms / baseline[label]:6.2f} {nq:8d}")
    total = Contact.objects.filter(organization=big).count()
    print(f"big organization: {total:,} contacts")


if __name__ == "__main__":
    main()
