"""Batch upsert through the native API vs the CSV importer, side by side, on PostgreSQL (issue 16).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_batch .venv/bin/python bench/batch.py --runs 5

The database is dropped and re-created. Each run upserts the same --items contacts (phone, name, email, two tags,
a choice custom field), matched on phone, into a fresh organization, twice: first into an empty one (every item a
create), then again with new names over what the first pass wrote (every item an update, every row changed). Measured each time:
- importer: `contacts.services.imports.import_contacts` of a CSV file of those rows (mode upsert, match on phone),
  in-process cleaning (a file this small never forks);
- batch: `POST /api/v1/contacts/batch` of those items through Django's test client (authentication, parsing,
  validation, the writes and the rendering of every contact in the answer).
Every figure is the median of --runs runs (each in its own organization); the ratio is batch / importer. Garbage
is collected before each measurement, so that neither side pays for a collection of what the other left behind;
--each prints every run's figures (the spread on a shared machine); --split prints, for the creates, the CPU time
(this process's, so the server's share of a statement is not in it) of each side and of the batch's parts.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.support import postgres_url, prepare_database, setup_django  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.test_settings")

TAGS = ["VIP", "Lead"]
# {part: CPU seconds per run}, filled when --split is given.
SPLIT: dict[str, list[float]] = {}
# The batch request's parts: (label, module, attribute), nested parts after the part they are in.
PARTS = [
    ("validating the items (view)", "contacts.api.native.batch", "ContactBatchView._item"),
    ("write_batch", "contacts.api.native.batch", "write_batch"),
    ("  reading what they refer to", "contacts.services.batch", "Known"),
    ("    normalizing the phones", "contacts.services.batch_known", "normalize_phone"),
    ("  writing (COPY, links)", "contacts.services.batch", "write_prepared"),
    ("  building the events", "contacts.services.batch", "contact_events"),
    ("  record_change (writing them)", "contacts.services.batch", "record_change"),
    ("rendering the contacts (view)", "contacts.api.native.batch", "render_contact"),
]


def phone(n: int) -> str:
    digits = f"{4_560_000 + n:07d}"
    return f"+1 212 {digits[:3]} {digits[3:]}"


def rows(count: int, version: int = 1) -> list[dict]:
    return [
        {
            "phone": phone(n),
            "name": f"Person {n} v{version}",
            "email": f"person{n}@example.org",
            "tags": TAGS[: 1 + n % 2],
            "plan": ["free", "pro"][n % 2],
        }
        for n in range(count)
    ]


def csv_file(data: list[dict]) -> bytes:
    lines = ["phone,name,email,tags,cf:plan"]
    lines += [f'"{r["phone"]}",{r["name"]},{r["email"]},{"|".join(r["tags"])},{r["plan"]}' for r in data]
    return ("\n".join(lines) + "\n").encode()


def batch_body(data: list[dict]) -> str:
    items = [
        {
            "op": "upsert",
            "match_on": "phone",
            "contact": {
                "phone": r["phone"],
                "name": r["name"],
                "email": r["email"],
                "tags": r["tags"],
                "custom_fields": {"plan": r["plan"]},
            },
        }
        for r in data
    ]
    return json.dumps({"items": items})


def organization(name: str):
    from contacts.models import CustomField, CustomFieldType, Organization, Tag

    org = Organization.objects.create(name=name, slug=name, default_region="US")
    for tag in TAGS:
        Tag.objects.create(organization=org, name=tag)
    CustomField.objects.create(organization=org, key="plan", label="plan", field_type=CustomFieldType.CHOICE,
                               choices=["free", "pro"])  # fmt: skip
    return org


def time_importer(org, payload: bytes) -> float:
    from contacts.services.imports import ImportOptions, import_contacts

    gc.collect()
    start = time.perf_counter()
    result = import_contacts(org, io.BytesIO(payload), ImportOptions(mode="upsert", match_on="phone"))
    elapsed = time.perf_counter() - start
    assert result.rejected == 0, result
    return elapsed


def time_batch(org, body: str, expected: int) -> float:
    from django.test import Client

    from tests.factories import make_api_key

    _, secret = make_api_key(org, scopes=["contacts:write"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    gc.collect()
    start = time.perf_counter()
    response = client.post("/api/v1/contacts/batch", body, content_type="application/json")
    elapsed = time.perf_counter() - start
    statuses = {result["status"] for result in response.json()["results"]}
    assert response.status_code == 200 and statuses == {expected}, (response.status_code, statuses)
    return elapsed


def measure_parts() -> dict[str, float]:
    """Wrap each part so that its CPU time adds up in the returned dict (reset by the caller per request)."""
    import importlib

    spent: dict[str, float] = {}
    for label, module_name, attribute in PARTS:
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for step in path:
            owner = getattr(owner, step)
        spent[label] = 0.0
        setattr(owner, name, _timed(getattr(owner, name), label, spent))
    return spent


def _timed(real: Any, label: str, spent: dict[str, float]) -> Any:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return real(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - start

    return timed


def cpu(key: str, call: Any, *args: Any) -> float:
    start = time.process_time()
    elapsed = call(*args)
    SPLIT.setdefault(key, []).append(time.process_time() - start)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--each", action="store_true", help="print every run's figures too")
    parser.add_argument("--split", action="store_true", help="print the CPU time of each side and the batch's parts")
    args = parser.parse_args()
    prepare_database(postgres_url("it is dropped and re-created"), fresh=True)
    setup_django()
    from django.conf import settings

    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["v1"] = "100000/min"
    first, second = rows(args.items), rows(args.items, version=2)
    spent = measure_parts() if args.split else {}
    times: dict[str, list[float]] = {key: [] for key in ("importer new", "batch new", "importer again", "batch again")}
    for run in range(args.runs):
        imported, batched = organization(f"imp{run}"), organization(f"bat{run}")
        times["importer new"].append(cpu("importer, whole import", time_importer, imported, csv_file(first)))
        spent.update(dict.fromkeys(spent, 0.0))
        times["batch new"].append(cpu("batch, whole request", time_batch, batched, batch_body(first), 201))
        for label, seconds in spent.items():
            SPLIT.setdefault(label, []).append(seconds)
        times["importer again"].append(time_importer(imported, csv_file(second)))
        times["batch again"].append(time_batch(batched, batch_body(second), 200))
    if args.each:
        for key, values in times.items():
            print(f"  {key:15}", "  ".join(f"{value * 1000:7.1f}" for value in values))
    median = {key: statistics.median(values) * 1000 for key, values in times.items()}
    print(f"{args.items} items, median of {args.runs} runs (ms):")
    for case in ("new", "again"):
        imp, bat = median[f"importer {case}"], median[f"batch {case}"]
        print(f"  {case:6} importer {imp:8.1f}   batch {bat:8.1f}   batch/importer {bat / imp:.2f}x")
    if args.split:
        print("CPU time of the creates, median (ms):")
        for label, values in SPLIT.items():
            print(f"  {label:32} {statistics.median(values) * 1000:8.1f}")


if __name__ == "__main__":
    main()
