"""GET /api/v1/contacts/{id}/history and GET /api/v1/events: bodies, keyset pages, tombstones, scoping, problems."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection

from contacts.models import Contact
from events.models import ActorKind, ContactEvent, EventType, Surface
from tests.factories import ContactFactory
from tests.history.conftest import make_event

pytestmark = pytest.mark.django_db

ADA = uuid.UUID("0b0e9d4e-1111-4c3a-9d55-000000000001")
BOB = uuid.UUID("0b0e9d4e-2222-4c3a-9d55-000000000002")
E1 = uuid.UUID("e0000000-0000-4000-8000-000000000001")
E2 = uuid.UUID("e0000000-0000-4000-8000-000000000002")


def problem(status: int, kind: str, title: str, detail: str, errors: list) -> dict:
    return {"type": f"urn:crm:problem:{kind}", "title": title, "status": status, "detail": detail, "errors": errors}


def invalid(field: str, message: str, code: str = "invalid") -> dict:
    return problem(
        400, "invalid-request", "The request is invalid", message, [{"field": field, "code": code, "message": message}]
    )


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [event["id"] for event in response.json()["results"]]


# --- one contact's history ------------------------------------------------------------------------------------


def test_history_body_oldest_first(api, organization):
    ContactFactory(organization=organization, uuid=ADA, name="Ada L.")
    make_event(
        organization,
        ADA,
        uuid=E1,
        type=EventType.CREATED,
        actor_kind=ActorKind.API_KEY,
        actor_id="12",
        actor_name="Zapier key",
        surface=Surface.CALLBELL,
        changes={"name": {"before": None, "after": "Ada"}, "tags": {"before": [], "after": ["VIP", "Lead"]}},
        request_id="req-1",
    )
    make_event(organization, ADA, uuid=E2, minutes=5)

    response = api.get(f"/api/v1/contacts/{ADA}/history")

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "id": "e0000000-0000-4000-8000-000000000001",
                "type": "contact.created",
                "contact_id": "0b0e9d4e-1111-4c3a-9d55-000000000001",
                "actor": {"kind": "api_key", "id": "12", "name": "Zapier key"},
                "surface": "callbell",
                "changes": {"name": {"before": None, "after": "Ada"}, "tags": {"before": [], "after": ["VIP", "Lead"]}},
                "request_id": "req-1",
                "occurred_at": "2026-03-01T09:30:00Z",
            },
            {
                "id": "e0000000-0000-4000-8000-000000000002",
                "type": "contact.updated",
                "contact_id": "0b0e9d4e-1111-4c3a-9d55-000000000001",
                "actor": {"kind": "user", "id": "7", "name": "alice"},
                "surface": "admin",
                "changes": {"name": {"before": "Ada", "after": "Ada L."}},
                "request_id": None,
                "occurred_at": "2026-03-01T09:35:00Z",
            },
        ],
        "next_cursor": None,
        "next": None,
    }


def test_a_system_change_has_no_actor_id_or_name(api, organization):
    make_event(organization, ADA, actor_kind=ActorKind.SYSTEM, actor_id="", actor_name="", surface=Surface.SYSTEM)

    event = api.get(f"/api/v1/contacts/{ADA}/history").json()["results"][0]

    assert event["actor"] == {"kind": "system", "id": None, "name": None}
    assert event["surface"] == "system"


def test_history_pages_across_a_cursor_with_events_written_in_between(api, organization, other_organization):
    first = [make_event(organization, ADA, minutes=m) for m in range(3)]
    make_event(organization, BOB, minutes=1)

    page1 = api.get(f"/api/v1/contacts/{ADA}/history", {"limit": 2})
    assert ids(page1) == [str(first[0].uuid), str(first[1].uuid)]
    cursor = page1.json()["next_cursor"]
    assert page1.json()["next"] == f"http://testserver/api/v1/contacts/{ADA}/history?cursor={cursor}&limit=2"

    later = make_event(organization, ADA, minutes=10)  # written between the two requests
    make_event(organization, BOB, minutes=11)
    make_event(other_organization, ADA, minutes=12)

    page2 = api.get(f"/api/v1/contacts/{ADA}/history", {"limit": 2, "cursor": cursor})
    assert ids(page2) == [str(first[2].uuid), str(later.uuid)]
    assert page2.json()["next_cursor"] is None
    assert page2.json()["next"] is None


def test_a_deleted_contacts_history_still_answers(api, organization):
    contact = ContactFactory(organization=organization, uuid=ADA)
    make_event(organization, ADA, type=EventType.CREATED, changes={"name": {"before": None, "after": "Ada"}})
    Contact.objects.filter(pk=contact.pk).delete()
    tombstone = make_event(organization, ADA, type=EventType.DELETED, changes={}, minutes=1)

    response = api.get(f"/api/v1/contacts/{ADA}/history")

    assert [event["type"] for event in response.json()["results"]] == ["contact.created", "contact.deleted"]
    assert response.json()["results"][1]["id"] == str(tombstone.uuid)
    assert response.json()["results"][1]["changes"] == {}


def test_a_contact_without_events_has_an_empty_history(api, organization):
    ContactFactory(organization=organization, uuid=ADA)

    response = api.get(f"/api/v1/contacts/{ADA}/history")

    assert response.status_code == 200
    assert response.json() == {"results": [], "next_cursor": None, "next": None}


NOT_FOUND = problem(404, "not-found", "Not found", "Contact not found", [])


def test_another_organizations_contact_is_not_found(api, organization, other_organization):
    ContactFactory(organization=other_organization, uuid=ADA)
    make_event(other_organization, ADA)

    for path in (f"/api/v1/contacts/{ADA}/history", f"/api/v1/contacts/{BOB}/history", "/api/v1/contacts/nope/history"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/problem+json"
        assert response.json() == NOT_FOUND


def test_history_refuses_bad_parameters(api, organization):
    make_event(organization, ADA)
    path = f"/api/v1/contacts/{ADA}/history"

    assert api.get(path, {"cursor": "bm90IGEgY3Vyc29y"}).json() == invalid(
        "cursor", "cursor is not a cursor this API returned"
    )
    assert api.get(path, {"cursor": "!!!"}).status_code == 400
    assert api.get(path, {"limit": "0"}).json() == invalid("limit", "limit must be an integer from 1 to 200")
    assert api.get(path, {"since": "2026-01-01T00:00:00Z"}).json() == invalid(
        "since", "since is not a parameter of this list.", "unknown_parameter"
    )


def test_history_needs_contacts_read(client_for, organization):
    make_event(organization, ADA)

    response = client_for(organization, scopes=["contacts:write"]).get(f"/api/v1/contacts/{ADA}/history")

    assert response.status_code == 403
    assert response.json()["type"] == "urn:crm:problem:forbidden"


# --- the organization's events ---------------------------------------------------------------------------------


def test_events_in_write_order_only_the_organizations_own(api, organization, other_organization):
    a = make_event(organization, ADA, minutes=5)
    make_event(other_organization, ADA, minutes=6)
    b = make_event(organization, BOB, minutes=1)  # occurred earlier, written later: id order

    response = api.get("/api/v1/events")

    assert ids(response) == [str(a.uuid), str(b.uuid)]
    assert response.json()["next_cursor"] is None


def test_events_of_an_organization_with_none(client_for, organization, other_organization, monkeypatch):
    make_event(organization, ADA)
    monkeypatch.setattr(
        "contacts.api.native.history.sync_watermark", lambda: dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    )

    response = client_for(other_organization).get("/api/v1/events")

    assert response.json() == {"results": [], "next_cursor": None, "next": None, "next_since": "2026-03-01T12:00:00Z"}


def test_events_page_across_a_cursor_with_events_written_in_between(api, organization):
    first = [make_event(organization, ADA if m % 2 else BOB, minutes=m) for m in range(3)]

    page1 = api.get("/api/v1/events", {"limit": 2, "type": "contact.updated"})
    assert ids(page1) == [str(first[0].uuid), str(first[1].uuid)]
    cursor = page1.json()["next_cursor"]
    assert page1.json()["next"] == f"http://testserver/api/v1/events?cursor={cursor}&limit=2&type=contact.updated"

    later = make_event(organization, ADA, minutes=-60)  # an old occurred_at does not put it before the cursor
    make_event(organization, ADA, type=EventType.TAGGED)

    page2 = api.get(page1.json()["next"])
    assert ids(page2) == [str(first[2].uuid), str(later.uuid)]
    assert page2.json()["next_cursor"] is None


def test_events_since_a_time(api, organization):
    make_event(organization, ADA, minutes=0)
    at = make_event(organization, ADA, minutes=10)
    after = make_event(organization, BOB, minutes=11)

    assert ids(api.get("/api/v1/events", {"since": "2026-03-01T09:40:00Z"})) == [str(at.uuid), str(after.uuid)]
    assert ids(api.get("/api/v1/events", {"since": "2026-03-01T10:40:00+01:00"})) == [str(at.uuid), str(after.uuid)]
    assert ids(api.get("/api/v1/events", {"since": "2026-03-01T09:41:00Z"})) == [str(after.uuid)]


def test_events_since_an_event(api, organization):
    first = make_event(organization, ADA, minutes=0)
    second = make_event(organization, BOB, minutes=1)
    third = make_event(organization, ADA, minutes=2)

    assert ids(api.get("/api/v1/events", {"since": str(first.uuid)})) == [str(second.uuid), str(third.uuid)]
    assert ids(api.get("/api/v1/events", {"since": str(third.uuid)})) == []


def test_events_by_type_comma_separated_or_repeated(api, organization):
    created = make_event(organization, ADA, type=EventType.CREATED)
    make_event(organization, ADA, type=EventType.UPDATED)
    tagged = make_event(organization, ADA, type=EventType.TAGGED)

    expected = [str(created.uuid), str(tagged.uuid)]
    assert ids(api.get("/api/v1/events", {"type": "contact.created,contact.tagged"})) == expected
    assert ids(api.get("/api/v1/events?type=contact.created&type=contact.tagged")) == expected


def test_events_refuse_bad_parameters(api, organization, other_organization):
    theirs = make_event(other_organization, ADA)
    time_message = "since must be an RFC 3339 time with its offset (2026-01-01T00:00:00Z) or an event id"

    assert api.get("/api/v1/events", {"since": "yesterday"}).json() == invalid("since", time_message)
    assert api.get("/api/v1/events", {"since": "2026-03-01T09:40:00"}).json() == invalid("since", time_message)
    assert api.get("/api/v1/events", {"since": "2026-03-01"}).json() == invalid("since", time_message)
    assert api.get("/api/v1/events", {"since": str(theirs.uuid)}).json() == invalid(
        "since", "since names no event of this organization"
    )
    assert api.get("/api/v1/events", {"cursor": "eyJlIjoiMSJ9"}).json() == invalid(  # {"e":"1"}
        "cursor", "cursor is not a cursor this API returned"
    )
    assert api.get("/api/v1/events", {"type": "contact.renamed"}).json() == invalid(
        "type",
        "Unknown event type: contact.renamed (one of contact.created, contact.updated, contact.deleted, "
        "contact.tagged, contact.untagged, contact.grouped, contact.ungrouped, contact.avatar_changed, "
        "contact.merged, contact.unmerged)",
    )
    response = api.get("/api/v1/events", {"contact": str(ADA)})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == invalid("contact", "contact is not a parameter of this list.", "unknown_parameter")


def test_a_page_of_events_reads_in_constant_queries(api, organization, django_assert_max_num_queries):
    ContactEvent.objects.bulk_create(
        ContactEvent(organization=organization, contact_uuid=uuid.uuid4(), changes={"n": {"before": i, "after": i + 1}})
        for i in range(120)
    )

    # Key, its last use, the page; and on PostgreSQL the first page's watermark (two statements).
    with django_assert_max_num_queries(7 if connection.vendor == "postgresql" else 5):
        response = api.get("/api/v1/events", {"limit": 50})

    assert len(response.json()["results"]) == 50


def test_paths_take_a_trailing_slash(api, organization):
    event = make_event(organization, ADA)

    assert ids(api.get("/api/v1/events/")) == [str(event.uuid)]
    assert ids(api.get(f"/api/v1/contacts/{ADA}/history/")) == [str(event.uuid)]
    assert api.post("/api/v1/events", {}, format="json").status_code == 405
