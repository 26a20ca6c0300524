"""`POST /api/v1/contacts/batch`: exact per-item results, each item all-or-nothing and the batch not, duplicates
within a batch, a constant number of queries, tenancy, limits, and docs/api.md's batch example as printed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection

from contacts import demo
from contacts.models import Contact, CustomFieldType
from contacts.services import batch as batch_service
from contacts.services.changes import contacts_changed
from tests.example_runner import Shell, code_blocks, matches
from tests.factories import ContactFactory, CustomFieldFactory, OrganizationFactory, TagFactory, make_api_key
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/batch"
UUID = Matches(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
STAMP = Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")


def contact_body(**values):
    """A rendered contact: every member `null`, empty or default unless given."""
    body = {
        "id": UUID,
        "name": None,
        "full_name": None,
        "phone": None,
        "phone_valid": False,
        "email": None,
        "alias": None,
        "contact_key": None,
        "country": None,
        "description": None,
        "address": None,
        "note": None,
        "is_favorite": False,
        "source": "api",
        "avatar_url": None,
        "branch": None,
        "team": None,
        "assigned_user": None,
        "tags": [],
        "groups": [],
        "custom_fields": {},
        "created_at": STAMP,
        "updated_at": STAMP,
    }
    return {**body, **values}


@pytest.fixture
def changes():
    seen = []

    def receiver(sender, organization_id, contact_ids, actor, **kwargs):
        seen.append((str(sender), contact_ids))

    contacts_changed.connect(receiver, weak=False, dispatch_uid="tests.native.batch")
    yield seen
    contacts_changed.disconnect(dispatch_uid="tests.native.batch")


@pytest.fixture
def vocabulary(organization):
    TagFactory(organization=organization, name="VIP")
    CustomFieldFactory(
        organization=organization, key="plan", field_type=CustomFieldType.CHOICE, choices=["free", "pro"]
    )
    CustomFieldFactory(organization=organization, key="city")


def post(api, items):
    return api.post(URL, {"items": items}, format="json")


def test_mixed_items_answer_one_exact_result_each(api, organization, vocabulary, changes):
    ada = ContactFactory(
        organization=organization,
        name="Ada",
        phone="+12125550100",
        email="ada@example.org",
        custom_fields={"city": "Paris"},
    )
    ada.custom_field_order = ["city"]
    ada.save()
    response = post(
        api,
        [
            {"op": "create", "contact": {"name": "Bo", "phone": "(212) 555-0101", "tags": ["vip"]}},
            {"op": "update", "id": str(ada.uuid), "contact": {"note": "Met", "custom_fields": {"plan": "pro"}}},
            {"op": "upsert", "match_on": "email", "contact": {"email": "cy@example.org", "name": "Cy"}},
            {"op": "create", "contact": {"name": "Dee", "tags": ["no such tag"]}},
            {"op": "create", "contact": {"name": 5, "nope": 1}},
            {"op": "create", "contact": {"name": "Eve", "phone": "+1 212 555 0100"}},
            {"op": "update", "id": "00000000-0000-4000-8000-000000000000", "contact": {"name": "Nobody"}},
            {"op": "upsert", "contact": {"alias": "x"}},
            {"op": "create", "contact": {"custom_fields": {"plan": "gold"}}},
            "not an object",
        ],
    )
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "index": 0,
                "status": 201,
                "contact": contact_body(name="Bo", phone="+12125550101", phone_valid=True, tags=["VIP"]),
                "errors": [],
            },
            {
                "index": 1,
                "status": 200,
                "contact": contact_body(
                    id=str(ada.uuid),
                    name="Ada",
                    phone="+12125550100",
                    phone_valid=True,
                    email="ada@example.org",
                    note="Met",
                    custom_fields={"city": "Paris", "plan": "pro"},
                ),
                "errors": [],
            },
            {"index": 2, "status": 201, "contact": contact_body(name="Cy", email="cy@example.org"), "errors": []},
            {
                "index": 3,
                "status": 422,
                "contact": None,
                "errors": [
                    {"field": "contact.tags", "code": "unknown_reference", "message": "Unknown tag: no such tag"}
                ],
            },
            {
                "index": 4,
                "status": 400,
                "contact": None,
                "errors": [
                    {"field": "contact.name", "code": "invalid", "message": "Must be a string."},
                    {
                        "field": "contact.nope",
                        "code": "unknown_field",
                        "message": "nope is not a field of this resource.",
                    },
                ],
            },
            {
                "index": 5,
                "status": 409,
                "contact": None,
                "errors": [
                    {
                        "field": "contact.phone",
                        "code": "already_exists",
                        "message": "A contact with this phone already exists",
                    }
                ],
            },
            {
                "index": 6,
                "status": 404,
                "contact": None,
                "errors": [],
            },
            {
                "index": 7,
                "status": 400,
                "contact": None,
                "errors": [
                    {"field": "match_on", "code": "required", "message": "An upsert names the field it matches on."}
                ],
            },
            {
                "index": 8,
                "status": 400,
                "contact": None,
                "errors": [
                    {
                        "field": "contact.custom_fields.plan",
                        "code": "invalid",
                        "message": "plan must be one of: free, pro",
                    }
                ],
            },
            {
                "index": 9,
                "status": 400,
                "contact": None,
                "errors": [
                    {"field": None, "code": "invalid", "message": "Invalid data. Expected a dictionary, but got str."}
                ],
            },
        ]
    }
    # One report for the whole batch, with the contacts it wrote, ascending.
    written = sorted(Contact.objects.filter(name__in=["Bo", "Ada", "Cy"]).values_list("pk", flat=True))
    assert changes == [("batch", tuple(written))]


def test_a_failing_item_writes_nothing_while_the_others_are_written(api, organization, vocabulary):
    response = post(
        api,
        [
            {"op": "create", "contact": {"name": "Kept 1", "alias": "kept-1"}},
            {"op": "create", "contact": {"name": "Refused", "alias": "refused", "tags": ["VIP", "ghost"]}},
            {"op": "create", "contact": {"name": "Kept 2", "alias": "kept-2", "tags": ["VIP"]}},
        ],
    )
    assert [result["status"] for result in response.json()["results"]] == [201, 422, 201]
    assert sorted(Contact.objects.values_list("alias", flat=True)) == ["kept-1", "kept-2"]
    assert list(Contact.tags.through.objects.values_list("contact__alias", "tag__name")) == [("kept-2", "VIP")]


def test_a_collision_at_write_time_fails_only_its_item(api, organization, monkeypatch):
    """A unique value taken after the checks (a concurrent writer) rolls back the batch's savepoint; the items are
    written again one savepoint each, and only the one that collides fails."""
    ContactFactory(organization=organization, alias="taken", phone=None, email="")
    monkeypatch.setattr(batch_service, "_claim", lambda known, prepared, index: None)  # as if the check missed it
    response = post(
        api,
        [
            {"op": "create", "contact": {"name": "One", "alias": "one"}},
            {"op": "create", "contact": {"name": "Two", "alias": "taken"}},
            {"op": "upsert", "match_on": "alias", "contact": {"name": "Three", "alias": "three"}},
        ],
    )
    results = response.json()["results"]
    assert [result["status"] for result in results] == [201, 409, 201]
    assert results[1]["errors"] == [
        {"field": "contact.alias", "code": "already_exists", "message": "A contact with this alias already exists"}
    ]
    assert sorted(Contact.objects.values_list("alias", flat=True)) == ["one", "taken", "three"]


def test_a_second_item_with_the_same_match_key_is_a_conflict(api, organization):
    existing = ContactFactory(organization=organization, alias=None, contact_key="K-1", phone=None)
    response = post(
        api,
        [
            {"op": "upsert", "match_on": "phone", "contact": {"phone": "+12125550123", "name": "First"}},
            {"op": "upsert", "match_on": "phone", "contact": {"phone": "212 555 0123", "name": "Second"}},
            {"op": "upsert", "match_on": "contact_key", "contact": {"contact_key": "K-1", "name": "Third"}},
            {"op": "update", "id": str(existing.uuid), "contact": {"name": "Fourth"}},
        ],
    )
    assert response.json()["results"][1:] == [
        {
            "index": 1,
            "status": 409,
            "contact": None,
            "errors": [
                {
                    "field": "contact.phone",
                    "code": "already_exists",
                    "message": "Item 0 of this batch has the same phone",
                }
            ],
        },
        {
            "index": 2,
            "status": 200,
            "contact": contact_body(
                id=str(existing.uuid),
                name="Third",
                email=existing.email,
                contact_key="K-1",
                phone_valid=True,
            ),
            "errors": [],
        },
        {
            "index": 3,
            "status": 409,
            "contact": None,
            "errors": [
                {"field": "id", "code": "already_exists", "message": "Item 2 of this batch writes the same contact"}
            ],
        },
    ]
    assert sorted(Contact.objects.values_list("name", flat=True)) == ["First", "Third"]


def test_upsert_updates_the_match_with_patch_semantics(api, organization, vocabulary):
    contact = ContactFactory(
        organization=organization, phone="+12125550150", name="Old", custom_fields={"city": "Rome"}
    )
    response = post(
        api,
        [
            {
                "op": "upsert",
                "match_on": "phone",
                "contact": {"phone": "2125550150", "note": "New", "custom_fields": {"city": None, "plan": "free"}},
            }
        ],
    )
    assert response.json()["results"][0]["status"] == 200
    contact.refresh_from_db()
    assert (contact.name, contact.note, contact.custom_fields) == ("Old", "New", {"plan": "free"})


def test_300_items_take_a_constant_number_of_queries(api, organization, vocabulary, django_assert_max_num_queries):
    for n in range(100):
        ContactFactory(organization=organization, phone=f"+1212556{n:04d}")
    items = [
        {
            "op": "upsert",
            "match_on": "phone",
            "contact": {
                "phone": f"+1212556{n:04d}",
                "name": f"N{n}",
                "tags": ["VIP"],
                "custom_fields": {"plan": "pro"},
            },
        }
        for n in range(300)
    ]
    # 18 on PostgreSQL whatever the number of items (17 for 3 items); SQLite: Django splits each INSERT at 999
    # parameters (38 contacts), 25 queries for 300 items.
    bound = 20 if connection.vendor == "postgresql" else 30
    with django_assert_max_num_queries(bound):
        response = post(api, items)
    assert [result["status"] for result in response.json()["results"]] == [200] * 100 + [201] * 200
    assert Contact.objects.filter(organization=organization, custom_fields__plan="pro").count() == 300
    assert Contact.tags.through.objects.count() == 300


def test_another_organizations_contact_is_a_404_item(api, organization, other_organization):
    theirs = ContactFactory(organization=other_organization, name="Theirs", phone="+12125550177", alias="theirs")
    response = post(
        api,
        [
            {"op": "update", "id": str(theirs.uuid), "contact": {"name": "Mine now"}},
            {"op": "upsert", "match_on": "alias", "contact": {"alias": "theirs", "name": "Mine"}},
        ],
    )
    results = response.json()["results"]
    assert results[0] == {"index": 0, "status": 404, "contact": None, "errors": []}
    assert results[1] == {"index": 1, "status": 201, "contact": contact_body(name="Mine", alias="theirs"), "errors": []}
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"


def test_more_than_1000_items_is_a_400_problem(api, organization):
    response = post(api, [{"op": "create", "contact": {"name": "x"}}] * 1001)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:crm:problem:invalid-request",
        "title": "The request is invalid",
        "status": 400,
        "detail": "Ensure this field has no more than 1000 elements.",
        "errors": [
            {"field": "items", "code": "max_length", "message": "Ensure this field has no more than 1000 elements."}
        ],
    }
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    "body, errors",
    [
        (
            {"items": {"op": "create"}},
            [{"field": "items", "code": "not_a_list", "message": 'Expected a list of items but got type "dict".'}],
        ),
        (
            {"items": [], "extra": 1},
            [{"field": "extra", "code": "unknown_field", "message": "extra is not a field of this resource."}],
        ),
        ({}, [{"field": "items", "code": "required", "message": "This field is required."}]),
    ],
)
def test_a_malformed_envelope_is_a_400_problem(api, body, errors):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == errors


def test_a_batch_needs_contacts_write(organization, client_for):
    # The dialects' create and update permissions together are not the native API's write permission.
    response = client_for(organization, ["contacts:read", "contacts:create", "contacts:update"]).post(
        URL, {"items": []}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Missing permission contacts:write"


@pytest.mark.django_db(transaction=True)
def test_the_docs_batch_example_runs_as_printed(live_server, tmp_path):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    section = doc[doc.index("\n## Batch writes") :]
    example = next(block for block in code_blocks(section) if block.lang == "shell")
    organization = OrganizationFactory(name="Demo", slug="demo", default_region="US")
    make_api_key(organization, secret=demo.DEMO_API_KEY)
    TagFactory(organization=organization, name="Docs VIP")
    shell = Shell(live_server.url, tmp_path)
    try:
        shell.run_block("\n".join(re.findall(r"^export .*$", doc, re.M)[:2]) + "\n")
        shell.run_block(example.text)
    finally:
        shell.close()
    [entry] = shell.transcript
    expected = {
        "request": "POST /api/v1/contacts/batch",
        "status": 200,
        "json": {
            "results": [
                {"index": 0, "status": 201, "contact": {"name": "Grace Docs", "tags": ["Docs VIP"]}, "errors": []},
                {"index": 1, "status": 201, "contact": {"contact_key": "docs-2", "phone": "+447700900462"}},
                {"index": 2, "status": 422, "contact": None, "errors": [{"field": "contact.tags"}]},
            ]
        },
    }
    assert not matches(entry, expected), matches(entry, expected)


def test_a_batch_retried_with_its_idempotency_key_is_answered_again_and_writes_once(api, organization):
    body = {"items": [{"op": "upsert", "match_on": "alias", "contact": {"alias": "once", "name": "Once"}}]}
    first = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="batch-retry-1")
    again = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="batch-retry-1")
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (200, 200, "true")
    assert again.json() == first.json()
    assert first.json()["results"][0]["status"] == 201
    assert list(Contact.objects.values_list("alias", flat=True)) == ["once"]
