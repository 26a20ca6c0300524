"""docs/api.md's examples run as printed (tests/example_runner.py) against a live server, in order, with the demo
key the doc uses; each request answers what this test says."""

from __future__ import annotations

from pathlib import Path

import pytest

from contacts import demo
from contacts.models import Contact, Tag
from tests.example_runner import Shell, matches, runnable_blocks
from tests.factories import OrganizationFactory, make_api_key

pytestmark = pytest.mark.django_db(transaction=True)

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "api.md"
ID = {"$re": r"[0-9a-f-]{36}"}

EXPECTED = [
    {"request": "POST /api/v1/tags", "status": 201, "json": {"name": "Docs VIP"}},
    {"request": "POST /api/v1/custom-fields", "status": 201, "json": {"key": "docs_plan", "choices": ["free", "pro"]}},
    {"request": "POST /api/v1/contacts", "status": 201, "json": {"id": ID, "phone": "+447700900461"}},
    {"request": {"$re": r"GET /api/v1/contacts/[0-9a-f-]{36}"}, "status": 200, "json": {"tags": ["Docs VIP"]}},
    {
        "request": "GET /api/v1/contacts?tags=Docs%20VIP&custom_fields.docs_plan=pro",
        "status": 200,
        "json": {"results": [{"name": "Ada Docs"}], "next": None},
    },
    {"request": "GET /api/v1/contacts?q=ada%20docs", "status": 200, "json": {"results": [{"name": "Ada Docs"}]}},
    {
        "request": "GET /api/v1/contacts/lookup?phone=0044%207700%20900461",
        "status": 200,
        "json": {"name": "Ada Docs", "custom_fields": {"docs_plan": "pro"}},
    },
    {"request": "GET /api/v1/contacts?limit=2", "status": 200, "json": {"results": [{"name": "Ada Docs"}]}},
    {
        "request": {"$re": r"PATCH /api/v1/contacts/[0-9a-f-]{36}"},
        "status": 200,
        "json": {"note": "Met at the docs", "custom_fields": {}, "tags": ["Docs VIP"]},
    },
    {
        "request": "GET /api/v1/contacts?updated_since=2026-01-01T00:00:00Z&limit=2",
        "status": 200,
        "json": {"results": [{"name": "Ada Docs"}]},
    },
    {"request": {"$re": r"DELETE /api/v1/contacts/[0-9a-f-]{36}"}, "status": 204},
    {"request": "POST /api/v1/contacts", "status": 201, "json": {"id": ID, "alias": "retry-docs"}},
    {"request": "POST /api/v1/contacts", "status": 201, "json": {"id": ID, "alias": "retry-docs"}},
    {
        "request": "POST /api/v1/contacts",
        "status": 422,
        "json": {
            "type": "urn:crm:problem:unknown-reference",
            "errors": [{"field": "tags", "code": "unknown_reference", "message": "Unknown tag: no such tag"}],
        },
    },
]


def test_the_walk_through_runs_as_printed(live_server, tmp_path):
    organization = OrganizationFactory(name="Demo", slug="demo", default_region="US")
    make_api_key(organization, secret=demo.DEMO_API_KEY)
    shell = Shell(live_server.url, tmp_path)
    try:
        for block in runnable_blocks(DOC.read_text(encoding="utf-8")):
            shell.run_block(block.text)
    finally:
        shell.close()

    assert [entry["request"] for entry in shell.transcript] == [
        "POST /api/v1/tags",
        "POST /api/v1/custom-fields",
        "POST /api/v1/contacts",
        f"GET /api/v1/contacts/{shell.env['CONTACT']}",
        "GET /api/v1/contacts?tags=Docs%20VIP&custom_fields.docs_plan=pro",
        "GET /api/v1/contacts?q=ada%20docs",
        "GET /api/v1/contacts/lookup?phone=0044%207700%20900461",
        "GET /api/v1/contacts?limit=2",
        f"PATCH /api/v1/contacts/{shell.env['CONTACT']}",
        "GET /api/v1/contacts?updated_since=2026-01-01T00:00:00Z&limit=2",
        f"DELETE /api/v1/contacts/{shell.env['CONTACT']}",
        "POST /api/v1/contacts",
        "POST /api/v1/contacts",
        "POST /api/v1/contacts",
    ]
    assert shell.transcript[-2]["json"] == shell.transcript[-3]["json"]
    for index, (entry, step) in enumerate(zip(shell.transcript, EXPECTED, strict=True)):
        problems = matches(entry, step, f"api.md[{index}]")
        assert not problems, "\n".join(problems)
    assert list(Contact.objects.values_list("alias", flat=True)) == ["retry-docs"]
    assert list(Tag.objects.values_list("name", flat=True)) == ["Docs VIP"]
