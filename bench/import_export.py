"""Import and export speed, side by side in one run on PostgreSQL (issue 9).

    DEBUG=1 .venv/bin/python bench/import_export.py --rows 100000 --runs 3
    DEBUG=1 .venv/bin/python bench/import_export.py --rows 1000000 --runs 1 --only ours,export

Measured, each in a fresh subprocess (so peak RSS is the step's own):
- floor: psycopg COPY of the file into a plain table, plus a bare loop of phonenumbers.parse + is_valid_number +
  E.164 format over its phones;
- ours: contacts.services.imports.import_contacts (upsert on phone) into an empty organization;
- iex-default: django-import-export 4 with a default ModelResource (import_id_fields=phone, per-row lookups and
  saves), the same phone normalization in before_import_row;
- iex-tuned: the same resource with use_bulk, skip_diff, force_init_instance (bulk mode cannot save tags);
- database: the database's own share of our import, measured after it: COPY of the contacts and tag links it
  wrote into fresh copies of those tables with the same indexes and foreign keys (no Python per row; a lower
  bound for any import that keeps the admin's indexes);
- export (after VACUUM ANALYZE of the imported tables): our CSV export of every contact vs `COPY contacts_contact TO STDOUT` (CSV).
Every figure is the median of --runs runs; ratios are against the floor measured in the same run. The default
resource is slow enough that it runs on at most --iex-default-rows rows and is compared by rows/s.
Needs requirements-bench.txt (django-import-export) and a PostgreSQL server; the database (--database) is
created if missing and used by this benchmark only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path and its name would shadow the import_export package.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
sys.path.insert(0, str(ROOT))
from bench.contact_file import HEADER, PLANS, TAGS, write_file  # noqa: E402

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/crm_bench"
ORG_SLUG = "bench"


# -- Steps (each runs in its own process) ---------------------------------------------------------------------


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


def bench_organization():
    from contacts.models import CustomField, Organization, Tag

    organization, _ = Organization.objects.get_or_create(slug=ORG_SLUG, defaults={"name": "Bench"})
    for key, kind, choices in (("plan", "choice", PLANS), ("age", "number", []), ("CITY", "text", [])):
        CustomField.objects.get_or_create(
            organization=organization, key=key, defaults={"field_type": kind, "choices": choices}
        )
    for name in TAGS:
        Tag.objects.get_or_create(organization=organization, name=name)
    return organization


def reset_contacts() -> None:
    from django.db import connection

    from contacts.models import Contact

    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {Contact._meta.db_table}, {Contact.tags.through._meta.db_table}, "
            f"{Contact.groups.through._meta.db_table}, contacts_channelidentity"
        )


def step_floor(path: Path) -> dict:
    import csv

    import phonenumbers
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(os.environ["BENCH_DATABASE"], autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor")
        conn.execute(f"CREATE TABLE bench_floor ({', '.join(f'c{i} text' for i in range(len(HEADER)))})")
        with (
            conn.cursor() as cursor,
            cursor.copy("COPY bench_floor FROM STDIN WITH (FORMAT csv, HEADER)") as copy,
            path.open("rb") as source,
        ):
            while data := source.read(1 << 20):
                copy.write(data)
    copied = time.perf_counter() - started
    rows = 0
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.reader(source)
        next(reader)
        for row in reader:
            rows += 1
            try:
                number = phonenumbers.parse(row[0], "US")
            except phonenumbers.NumberParseException:
                continue
            phonenumbers.is_valid_number(number)
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return {"seconds": time.perf_counter() - started, "copy_seconds": copied, "rows": rows}


def step_ours(path: Path) -> dict:
    setup_django()
    from contacts.services.imports import ImportOptions, import_contacts

    organization = bench_organization()
    reset_contacts()
    started = time.perf_counter()
    with path.open("rb") as binary:
        result = import_contacts(organization, binary, ImportOptions(), error_report=open(os.devnull, "w"))  # noqa: SIM115
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "rejected": result.rejected,
    }


def step_database(rows_hint: int) -> dict:
    """The database's own share of an import: COPY the rows `ours` wrote (contacts and their tag links) into
    fresh copies of the two tables with the same indexes and foreign keys, in one transaction. No Python work
    per row, so no import that keeps these indexes can be faster than this."""
    setup_django()
    import io

    from django.db import connection, transaction

    from contacts.models import Contact

    contacts, links = Contact._meta.db_table, Contact.tags.through._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.cursor
        data = {}
        for table in (contacts, links):
            buffer = io.BytesIO()
            with raw.copy(f"COPY {table} TO STDOUT (FORMAT binary)") as copy:
                for chunk in copy:
                    buffer.write(chunk)
            data[table] = buffer.getvalue()
        cursor.execute("DROP TABLE IF EXISTS bench_db_links, bench_db_contacts")
        cursor.execute(f"CREATE TABLE bench_db_contacts (LIKE {contacts} INCLUDING ALL)")
        cursor.execute(f"CREATE TABLE bench_db_links (LIKE {links} INCLUDING ALL)")
        deferred = "DEFERRABLE INITIALLY DEFERRED"
        cursor.execute(
            f"ALTER TABLE bench_db_contacts ADD FOREIGN KEY (organization_id) REFERENCES contacts_organization {deferred}"
        )
        cursor.execute(
            f"ALTER TABLE bench_db_links ADD FOREIGN KEY (contact_id) REFERENCES bench_db_contacts {deferred}"
        )
        cursor.execute(f"ALTER TABLE bench_db_links ADD FOREIGN KEY (tag_id) REFERENCES contacts_tag {deferred}")
    rows = Contact.objects.count()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, source in (("bench_db_contacts", contacts), ("bench_db_links", links)):
            with cursor.cursor.copy(f"COPY {table} FROM STDIN (FORMAT binary)") as copy:
                copy.write(data[source])
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_db_links, bench_db_contacts")
    return {"seconds": seconds, "rows": rows_hint, "contacts": rows}


def _iex_resource(tuned: bool):
    from import_export import fields, resources, widgets

    from contacts.errors import ValidationFailed
    from contacts.models import Contact, Tag
    from contacts.services.phones import normalize_phone

    organization = bench_organization()

    class ContactResource(resources.ModelResource):
        tags = fields.Field(
            attribute="tags", column_name="tags", widget=widgets.ManyToManyWidget(Tag, field="name", separator="|")
        )

        class Meta:
            model = Contact
            fields = ("phone", "name", "email", "tags", "custom_fields", "organization", "phone_valid")
            import_id_fields = ("phone",)
            if tuned:
                use_bulk = True
                skip_diff = True
                force_init_instance = True
                batch_size = 1000

        def before_import_row(self, row, **kwargs):
            # The same normalization as ours, so the comparison is about the import machinery.
            try:
                normalized = normalize_phone(row["phone"], default_region=organization.default_region)
            except ValidationFailed as exc:
                raise ValueError(exc.message) from None
            row["phone"] = normalized.e164
            row["phone_valid"] = normalized.is_valid
            row["organization"] = organization.pk
            row["custom_fields"] = json.dumps(
                {"plan": row["cf:plan"], "age": int(row["cf:age"]), "CITY": row["cf:CITY"]}
            )

    return ContactResource()


def step_iex(path: Path, tuned: bool, limit: int | None) -> dict:
    setup_django()
    import tablib

    bench_organization()
    reset_contacts()
    text = path.read_text(encoding="utf-8")
    if limit:
        text = "".join(text.splitlines(keepends=True)[: limit + 1])
    started = time.perf_counter()
    dataset = tablib.Dataset().load(text, format="csv")
    result = _iex_resource(tuned).import_data(dataset, dry_run=False, raise_errors=False, collect_failed_rows=True)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(dataset), "errors": len(result.invalid_rows) + len(result.row_errors())}


def step_export(kind: str) -> dict:
    setup_django()
    from django.db import connection

    from contacts.models import Contact
    from contacts.services.exports import stream_contacts_csv

    organization = bench_organization()
    rows = Contact.objects.filter(organization=organization).count()
    started = time.perf_counter()
    written = 0
    with open(os.devnull, "w", encoding="utf-8") as sink:
        if kind == "copy":
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {Contact._meta.db_table} TO STDOUT WITH (FORMAT csv)") as copy,
            ):
                for data in copy:
                    written += len(data)
        else:
            for piece in stream_contacts_csv(
                Contact.objects.filter(organization=organization), organization=organization
            ):
                sink.write(piece)
                written += len(piece)
    return {"seconds": time.perf_counter() - started, "rows": rows, "bytes": written}


def run_step(argv: list[str]) -> dict:
    """Run one step in a fresh interpreter; returns its result plus its peak RSS."""
    completed = subprocess.run(
        [sys.executable, __file__, "--step", *argv], capture_output=True, text=True, env=os.environ, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"step {argv} failed:\n{completed.stdout}\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def child(args: argparse.Namespace) -> None:
    name, *rest = args.step
    if name == "floor":
        result = step_floor(Path(rest[0]))
    elif name == "ours":
        result = step_ours(Path(rest[0]))
    elif name == "database":
        result = step_database(int(rest[0]))
    elif name in ("iex-default", "iex-tuned"):
        result = step_iex(Path(rest[0]), tuned=name == "iex-tuned", limit=int(rest[1]) or None)
    else:
        result = step_export(rest[0])
    # The import's row process (a child) is measured apart; the table shows the larger of the two.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["peak_rss_mb"] = max(own, children)
    result["peak_rss_own_mb"], result["peak_rss_child_mb"] = own, children
    print(json.dumps(result))


# -- Driver --------------------------------------------------------------------------------------------------


def prepare_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], check=True, env=os.environ)


def settle(url: str) -> None:
    """VACUUM ANALYZE the freshly imported tables, as autovacuum soon would: otherwise it may start during the
    export measurements, and the first reads of new rows also write their hint bits, so whichever export ran first
    would pay for the import's aftermath."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE contacts_contact, contacts_contact_tags, contacts_contact_groups")


def median(results: list[dict], key: str = "seconds") -> float:
    return statistics.median(result[key] for result in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", DEFAULT_DATABASE))
    parser.add_argument("--iex-default-rows", type=int, default=5_000, help="Rows for the (slow) default resource.")
    parser.add_argument("--iex-tuned-rows", type=int, default=0, help="Rows for the tuned resource (0: all).")
    parser.add_argument("--only", default="floor,ours,database,iex-tuned,iex-default,export")
    parser.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["BENCH_DATABASE"] = args.database
    os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DEBUG", "1")
    if args.step:
        child(args)
        return

    only = set(args.only.split(","))
    prepare_database(args.database)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contacts.csv"
        write_file(path, args.rows)
        print(f"file: {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB", flush=True)
        results: dict[str, list[dict]] = {}
        for run in range(args.runs):
            # Interleaved, so machine noise hits every contender alike.
            # "ours" runs last so the export measures the contacts it imported.
            for name in ("floor", "iex-tuned", "iex-default", "ours"):
                if name not in only:
                    continue
                limit = {"iex-default": args.iex_default_rows, "iex-tuned": args.iex_tuned_rows}.get(name)
                result = run_step([name, str(path), *([str(limit or 0)] if name.startswith("iex") else [])])
                results.setdefault(name, []).append(result)
                print(f"run {run + 1} {name}: {json.dumps(result)}", flush=True)
            if "database" in only:
                result = run_step(["database", str(args.rows)])
                results.setdefault("database", []).append(result)
                print(f"run {run + 1} database: {json.dumps(result)}", flush=True)
            if "export" in only:
                if "ours" not in only:
                    run_step(["ours", str(path)])  # the contacts to export
                settle(args.database)
                for kind in ("copy", "ours"):
                    result = run_step(["export", kind])
                    results.setdefault(f"export-{kind}", []).append(result)
                    print(f"run {run + 1} export-{kind}: {json.dumps(result)}", flush=True)
    report(results)


def report(results: dict[str, list[dict]]) -> None:
    rate = {name: median(runs, "rows") / median(runs) for name, runs in results.items()}
    print("\n| step | rows | median s | rows/s | time per row vs floor | ours faster by | peak RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, runs in results.items():
        importing = not name.startswith("export")
        ratio_floor = f"{rate['floor'] / rate[name]:.2f}" if "floor" in rate and importing else "-"
        faster = f"{rate['ours'] / rate[name]:.2f}" if "ours" in rate and importing else "-"
        print(
            f"| {name} | {int(median(runs, 'rows'))} | {median(runs):.2f} | {rate[name]:,.0f} | {ratio_floor} | "
            f"{faster} | {median(runs, 'peak_rss_mb'):.0f} |"
        )
    if "export-copy" in rate and "export-ours" in rate:
        print(f"\nexport rows/s vs COPY TO STDOUT: {rate['export-ours'] / rate['export-copy']:.2f}")


if __name__ == "__main__":
    main()
