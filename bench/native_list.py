"""Native list (`GET /api/v1/contacts`) page times with a million contacts in one organization on PostgreSQL.

Builds, with server-side `generate_series` SQL, one organization of N contacts (and a neighbour of N/100, so the
organization condition is never trivially true) spread as a real book is: two years of creation times in id
order, an update time somewhere between creation and now, tags and groups through their many-to-many tables
(some on most contacts, some on few), branches, teams, assigned users, sources, favorites, phone validity and
three custom fields (a number, a date, a text). Then, through Django's test client authenticated with a real API
key, it times the page request for every single filter, the search, and each ordering, at pages 1, 100 and
10,000 (or the deepest page a filter has, when it matches fewer than 10,000 pages).

Reaching page 10,000: the row just before the page is found once by an SQL OFFSET over the view's own queryset
(the same filters and keyset order), and its cursor is made by the API's own encoder. The measured requests are
real cursor requests: from there the bench follows `next_cursor` for --requests pages (from page 1 without a
cursor, from page 100 and 10,000 with one) and reports p50/p99 of those request times.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_list \
        .venv/bin/python bench/native_list.py --contacts 1000000

The data is kept between runs when the organization already has N contacts; --rebuild builds it again.
A case misses when p50 >= 50 ms or p99 >= 150 ms, or is not flat when a deeper page's p50 is over 1.5x page 1's
(compared as ratios to the baseline below).
"sql p50" is the median time the request spent in SQL; "x base" is the case's p50 over that of an unfiltered
first page timed alternately with it (1.00: as cheap as the plainest page), which holds while the machine's load
changes. The application's connections run without parallel query unless DATABASE_PARALLEL_WORKERS says otherwise
(crm/settings.py): `DATABASE_PARALLEL_WORKERS=2` times the list with PostgreSQL's default.

The search cases cover both ways `search_page` reads a page: q=john fills it from the next 5,000 contacts, the
others do not (q=john smith has matches beyond them on every page, smith perez and zzqx none at all)."""

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

SLUG = "bench-list"
LIMIT = 50
PAGES = (1, 100, 10_000)
FIRST = ["John", "Mary", "Ahmed", "Juan", "Angela", "Wei", "Fatima", "Olga", "Ravi", "Sofia", "Liam", "Noah"]
LAST = ["Smith", "Cruz", "Mohammed", "Perez", "Jones", "Chen", "Khan", "Ivanova", "Patel", "Rossi", "Brown"]
CITIES = ["London", "Paris", "Lagos", "Lima", "Delhi", "Tokyo", "Cairo", "Quito", "Oslo", "Rome"]
# (source, share of contacts): skewed as channels are.
SOURCES = [("whatsapp", 0.35), ("sms", 0.2), ("email", 0.15), ("api", 0.1), ("import", 0.1), ("manual", 0.05)]
SOURCES += [("facebook", 0.02), ("instagram", 0.015), ("telegram", 0.01), ("line", 0.004), ("push", 0.001)]
# Tag shares: a few on many contacts, most on few.
TAG_SHARES = [0.4, 0.2, 0.1, 0.05, 0.01, 0.001] + [0.02] * 24
GROUP_SHARES = [0.5, 0.25, 0.1, 0.02, 0.005] + [0.05] * 5
BRANCHES, TEAMS, USERS = 10, 5, 20
DAYS = 730


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per (case, page)")
    parser.add_argument("--rebuild", action="store_true", help="build the data again even if it is there")
    parser.add_argument(
        "--only", default="", help="run only the cases whose label contains one of these (comma-separated)"
    )
    args = parser.parse_args()
    prepare_database(postgres_url("its tables are rewritten"), fresh=False)
    setup_django()
    from contacts.models import Contact, Organization

    org = Organization.objects.filter(slug=SLUG).first()
    if args.rebuild or org is None or Contact.objects.filter(organization=org).count() != args.contacts:
        org = build(args.contacts)
    run(org, args)


def sql(statement: str, params: list | None = None, *, modulo: bool = False) -> list[tuple]:
    from django.db import connection

    if modulo:  # SQL's modulo operator, escaped from the driver's placeholders
        statement = statement.replace(" % ", " %% ")
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.fetchall() if cursor.description else []


def build(n: int):
    from contacts.models import Organization

    started = time.perf_counter()
    Organization.objects.filter(slug__in=[SLUG, f"{SLUG}-neighbour"]).delete()
    # Loading is several times faster without the secondary indexes; they are rebuilt from their definitions.
    indexes = sql(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'contacts_contact' "
        "AND i.indexname NOT IN (SELECT conname FROM pg_constraint) AND i.indexname <> 'contacts_contact_pkey'"
    )
    for name, _ in indexes:
        sql(f'DROP INDEX "{name}"')
    try:
        big = load_organizations(n)
    finally:
        for _, definition in indexes:
            sql(definition)
    sql("VACUUM ANALYZE contacts_contact")
    sql("VACUUM ANALYZE contacts_contact_tags")
    sql("VACUUM ANALYZE contacts_contact_groups")
    print(f"built {n:,} contacts (+{max(n // 100, 100):,} neighbours) in {time.perf_counter() - started:.0f} s")
    return big


def load_organizations(n: int):
    from django.contrib.auth import get_user_model

    from contacts.models import Branch, ContactGroup, CustomField, Organization, Tag, Team

    User = get_user_model()
    big = None
    for slug, rows in ((SLUG, n), (f"{SLUG}-neighbour", max(n // 100, 100))):
        org = Organization.objects.create(name=slug, slug=slug, default_region="US")
        tags = [Tag.objects.create(organization=org, name=f"tag-{i}").pk for i in range(len(TAG_SHARES))]
        groups = [ContactGroup.objects.create(organization=org, name=f"group-{i}").pk for i in range(10)]
        branches = [Branch.objects.create(organization=org, name=f"branch-{i}").pk for i in range(BRANCHES)]
        teams = [Team.objects.create(organization=org, name=f"team-{i}").pk for i in range(TEAMS)]
        users = [
            User.objects.get_or_create(username=f"{slug}-agent-{i}", defaults={"email": f"agent{i}@{slug}.example"})[
                0
            ].pk
            for i in range(USERS)
        ]
        for key, kind in (("SIZE", "number"), ("SINCE", "date"), ("CITY", "text")):
            CustomField.objects.create(organization=org, key=key, field_type=kind)
        insert_contacts(org.pk, rows, branches, teams, users, offset=0 if slug == SLUG else 10**9)
        link(org.pk, "contacts_contact_tags", "tag_id", tags, TAG_SHARES)
        link(org.pk, "contacts_contact_groups", "contactgroup_id", groups, GROUP_SHARES)
        big = big or org
    return big


def insert_contacts(org_id: int, n: int, branches: list, teams: list, users: list, offset: int) -> None:
    cases, total = [], 0.0
    for source, share in SOURCES:
        total += share
        cases.append(f"WHEN r.s < {total} THEN '{source}'")
    source_case = " ".join(cases) + " "
    sql("SELECT setseed(0.42)")
    # Creation times advance with the id over two years, as contacts arrive; updates land between then and now.
    sql(
        f"""
        INSERT INTO contacts_contact (uuid, organization_id, name, full_name, phone, phone_valid, email, country,
            description, address, is_favorite, source, avatar, avatar_url, branch_id, team_id, assigned_user_id,
            custom_fields, custom_field_order, attributes, bot_status, note, created_at, updated_at)
        SELECT gen_random_uuid(), %s, f.first || ' ' || f.last || ' ' || g, f.first || ' ' || f.last,
            CASE WHEN g % 20 = 0 THEN NULL ELSE '+1' || (2012000000::bigint + %s + g)::text END, r.v < 0.8,
            lower(f.first) || '.' || g || '@example.com', 'US', '', '', r.f < 0.05, CASE {source_case} ELSE 'api' END,
            '', '', CASE WHEN r.b < 0.7 THEN (%s::bigint[])[1 + g % {BRANCHES}] END,
            CASE WHEN r.t < 0.4 THEN (%s::bigint[])[1 + g % {TEAMS}] END,
            CASE WHEN r.u < 0.5 THEN (%s::int[])[1 + (g / 7) % {USERS}] END,
            jsonb_strip_nulls(jsonb_build_object(
                'SIZE', CASE WHEN r.c1 < 0.8 THEN floor(r.c1 * 1250)::int END,
                'SINCE', CASE WHEN r.c2 < 0.7 THEN to_char(date '2025-01-01' + floor(r.c2 * 1000)::int, 'YYYY-MM-DD') END,
                'CITY', CASE WHEN r.c3 < 0.9 THEN (%s::text[])[1 + floor(r.c3 * 100)::int % {len(CITIES)}] END)),
            '["SIZE", "SINCE", "CITY"]', '{{}}', '', '', c.at, c.at + (now() - c.at) * r.w * r.w
        FROM generate_series(1, %s) AS g
        CROSS JOIN LATERAL (SELECT random() AS s, random() AS v, random() AS f, random() AS b, random() AS t,
            random() AS u, random() AS c1, random() AS c2, random() AS c3, random() AS w, g AS gg) AS r
        CROSS JOIN LATERAL (SELECT (%s::text[])[1 + r.gg % {len(FIRST)}] AS first,
            (%s::text[])[1 + (r.gg / {len(FIRST)}) % {len(LAST)}] AS last) AS f
        CROSS JOIN LATERAL (SELECT now() - interval '{DAYS} days' + interval '{DAYS} days' * g / %s
            + interval '1 second' * (g % 60) AS at) AS c
        """,
        [org_id, offset, branches, teams, users, CITIES, n, FIRST, LAST, n],
        modulo=True,
    )


def link(org_id: int, table: str, column: str, targets: list, shares: list) -> None:
    # A hash of the pair, not random(): PostgreSQL evaluates a condition on the targets alone once per target.
    sql(
        f"""INSERT INTO {table} (contact_id, {column})
        SELECT c.id, t.target FROM contacts_contact c
        CROSS JOIN unnest(%s::bigint[], %s::float8[]) AS t(target, share)
        WHERE c.organization_id = %s AND (hashint8(c.id * 1000003 + t.target) & 1048575) < t.share * 1048576""",
        [targets, shares, org_id],
    )


def cases(org) -> list[tuple[str, dict]]:
    from contacts.models import Branch, Contact, ContactGroup, Team

    groups = list(ContactGroup.objects.filter(organization=org).order_by("id").values_list("pk", flat=True))
    branch = Branch.objects.filter(organization=org).order_by("id").first()
    team = Team.objects.filter(organization=org).order_by("id").first()
    email = f"AGENT3@{SLUG}.example"
    phone = Contact.objects.filter(organization=org, phone__isnull=False).order_by("id")[500].phone_e164
    year_ago = sql("SELECT to_char(now() - interval '1 year', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")[0][0]
    month_ago = sql("SELECT to_char(now() - interval '30 days', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")[0][0]
    return [
        ("no filter", {}),
        ("ordering=created_at", {"ordering": "created_at"}),
        ("ordering=-updated_at", {"ordering": "-updated_at"}),
        ("ordering=updated_at", {"ordering": "updated_at"}),
        ("tags (40%)", {"tags": "tag-0"}),
        ("tags (1%)", {"tags": "tag-4"}),
        ("tags (0.1%)", {"tags": "tag-5"}),
        ("tags_any (1%+0.1%)", {"tags_any": "tag-4,tag-5"}),
        ("groups (50%)", {"groups": str(groups[0])}),
        ("groups (0.5%)", {"groups": str(groups[4])}),
        ("groups_any (2%+0.5%)", {"groups_any": f"{groups[3]},{groups[4]}"}),
        ("branch (7%)", {"branch": str(branch.pk)}),
        ("team (8%)", {"team": str(team.uuid)}),
        ("assigned_user (2.5%)", {"assigned_user": email}),
        ("source=whatsapp (35%)", {"source": "whatsapp"}),
        ("source=push (0.1%)", {"source": "push"}),
        ("is_favorite=true (5%)", {"is_favorite": "true"}),
        ("phone_valid=false (20%)", {"phone_valid": "false"}),
        ("created_after (1y)", {"created_after": year_ago}),
        ("created_before (1y)", {"created_before": year_ago}),
        ("updated_after (30d)", {"updated_after": month_ago}),
        ("updated_before (1y)", {"updated_before": year_ago}),
        ("updated_since (1y)", {"updated_since": year_ago}),
        ("q=john (name, 8%)", {"q": "john"}),
        ("q=john smith (2 words, 0.8%)", {"q": "john smith"}),
        ("q=smith perez (2 words)", {"q": "smith perez"}),
        ("q=phone (one contact)", {"q": phone}),
        ("q=zzqx (no match)", {"q": "zzqx"}),
        ("cf CITY=Paris (9%)", {"custom_fields.CITY": "Paris"}),
        ("cf SIZE=42 (0.08%)", {"custom_fields.SIZE": "42"}),
        ("cf SIZE.gte=500 (40%)", {"custom_fields.SIZE.gte": "500"}),
        ("cf SIZE.lt=10 (0.8%)", {"custom_fields.SIZE.lt": "10"}),
        ("cf SINCE.lt=2025-03-01 (4%)", {"custom_fields.SINCE.lt": "2025-03-01"}),
    ]


def view_queryset(org, params: dict):
    """The list view's queryset for `params`, built by its own filter classes, in keyset order."""
    from types import SimpleNamespace

    from django.http import QueryDict

    from contacts.api.native.contacts import native_contacts
    from contacts.api.native.custom_field_filters import custom_field_parameters, filter_custom_fields
    from contacts.api.native.filters import ContactFilter
    from contacts.api.native.pagination import keyset

    query = QueryDict(mutable=True)
    query.update(params)
    request = SimpleNamespace(user=SimpleNamespace(organization=org), query_params=query)
    filterset = ContactFilter(query, queryset=native_contacts(org), request=request)
    assert filterset.is_valid(), filterset.errors
    custom = {name: query[name] for name in custom_field_parameters(query)}
    ordering = params.get("ordering", "updated_at" if "updated_since" in params else "-created_at")
    return keyset(filter_custom_fields(filterset.qs, org, custom), ordering, None), ordering


def cursor_before(org, params: dict, page: int) -> str | None:
    """The cursor the API returns at the end of page `page - 1`, found by one OFFSET instead of a walk."""
    from contacts.api.native.pagination import _encode

    if page == 1:
        return None
    queryset, ordering = view_queryset(org, params)
    field = ordering.lstrip("-")
    rows = list(queryset.values_list(field, "id")[(page - 1) * LIMIT - 1 : (page - 1) * LIMIT])
    return _encode(ordering, rows[0][0], rows[0][1]) if rows else None


def deepest_pages(org, params: dict) -> tuple[list[int], int]:
    queryset, _ = view_queryset(org, params)
    matches = queryset.order_by().count()
    last = max(matches // LIMIT, 1)
    pages = [p for p in PAGES if p <= last]
    if last < PAGES[-1] and last not in pages and last > 1:
        pages.append(last)
    return pages, matches


class QueryClock:
    """Wall time spent in SQL during a request: on a shared machine it tells the database's share of a slow
    request from the Python side's (and from waiting for a core)."""

    def __init__(self) -> None:
        self.spent = 0.0

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.spent += time.perf_counter() - began


def timed_get(client, query: dict) -> tuple[float, float, dict]:
    """(request ms, of which SQL ms, body)."""
    from django.db import connection

    clock = QueryClock()
    with connection.execute_wrapper(clock):
        began = time.perf_counter()
        response = client.get("/api/v1/contacts", query)
        elapsed = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return elapsed, clock.spent * 1000, response.json()


def time_case(client, org, params: dict, page: int, requests: int) -> tuple[list[float], list[float], list[float]]:
    """The case's request and SQL times, and those of an unfiltered first page timed between each two of its
    requests: the same load weighs on both, so their ratio holds on a machine whose other work comes and goes."""
    start = cursor_before(org, params, page)
    cursor, timings, sql_timings, baseline = start, [], [], []
    client.get("/api/v1/contacts", {**params, **({"cursor": cursor} if cursor else {})})  # warm the plan cache
    while len(timings) < requests:
        baseline.append(timed_get(client, {})[0])
        elapsed, in_sql, body = timed_get(client, {**params, **({"cursor": cursor} if cursor else {})})
        timings.append(elapsed)
        sql_timings.append(in_sql)
        cursor = body["next_cursor"] or start  # past the end: again from the measured page
    return timings, sql_timings, baseline


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def run(org, args) -> None:
    import gc

    from rest_framework.test import APIClient

    # As the WSGI entry point does (crm/wsgi.py): what is loaded by now lives as long as the process, and the
    # collector's full passes would scan it again in the middle of timed requests.
    gc.freeze()

    from contacts.models import Contact
    from contacts.services.credentials import create_api_key

    _, secret = create_api_key(organization=org, name="bench", scopes=["contacts:read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    total = Contact.objects.filter(organization=org).count()
    load = os.getloadavg()
    print(f"{total:,} contacts; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {args.requests} requests each")
    print(f"{'case':30} {'matches':>9} {'page':>6} {'p50 ms':>8} {'p99 ms':>8} {'sql p50':>8} {'x base':>7}  verdict")
    misses = []
    for label, params in cases(org):
        if args.only and not any(part in label for part in args.only.split(",")):
            continue
        pages, matches = deepest_pages(org, params)
        first_ratio = None
        for page in pages:
            timings, sql_timings, baseline = time_case(client, org, params, page, args.requests)
            p50, high, sql_p50 = statistics.median(timings), p99(timings), statistics.median(sql_timings)
            ratio = p50 / statistics.median(baseline)
            first_ratio = ratio if first_ratio is None else first_ratio
            verdict = []
            if p50 >= 50:
                verdict.append("p50 MISS")
            if high >= 150:
                verdict.append("p99 MISS")
            # Against page 1 through the ratios: the two were timed minutes apart, under different loads.
            if page != 1 and ratio > 1.5 * first_ratio:
                verdict.append(f"NOT FLAT ({ratio / first_ratio:.1f}x page 1)")
            if verdict:
                misses.append((label, page))
            print(
                f"{label:30} {matches:9,} {page:6,} {p50:8.1f} {high:8.1f} {sql_p50:8.1f} {ratio:7.2f}  "
                f"{', '.join(verdict) or 'ok'}",
                flush=True,
            )
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {len(misses)} (case, page) miss")


if __name__ == "__main__":
    main()
