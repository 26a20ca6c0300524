"""The history endpoints answer what the served OpenAPI schema says they answer (200 pages, 400 and 404 problems)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from events.models import ActorKind, EventType, Surface
from tests.history.conftest import make_event

pytestmark = pytest.mark.django_db

DOCUMENT = "urn:crm:schema"
ADA = uuid.UUID("0b0e9d4e-1111-4c3a-9d55-000000000001")
HISTORY, EVENTS = "/api/v1/contacts/{contact_id}/history", "/api/v1/events"


@pytest.fixture
def schema() -> dict:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def errors_of(schema: dict, path: str, status: int, media: str, body) -> list[str]:
    registry = Registry().with_resource(DOCUMENT, DRAFT202012.create_resource(schema))
    parts = ["paths", path, "get", "responses", str(status), "content", media, "schema"]
    pointer = "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)
    validator = Draft202012Validator(
        {"$ref": f"{DOCUMENT}#/{pointer}"}, registry=registry, format_checker=FormatChecker()
    )
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(body)]


def test_pages_and_problems_match_the_schema(api, schema, organization):
    make_event(
        organization,
        ADA,
        type=EventType.CREATED,
        actor_kind=ActorKind.SYSTEM,
        actor_id="",
        actor_name="",
        surface=Surface.IMPORT,
        changes={
            "name": {"before": None, "after": "Ada"},
            "tags": {"before": [], "after": ["VIP"]},
            "branch": {"before": None, "after": {"id": 3, "name": "North"}},
            "is_favorite": {"before": False, "after": True},
        },
    )
    make_event(organization, ADA, request_id="req-1", minutes=1)

    answers = [
        (HISTORY, 200, "application/json", api.get(f"/api/v1/contacts/{ADA}/history", {"limit": 1})),
        (EVENTS, 200, "application/json", api.get(EVENTS)),
        (EVENTS, 400, "application/problem+json", api.get(EVENTS, {"since": "never"})),
        (HISTORY, 400, "application/problem+json", api.get(f"/api/v1/contacts/{ADA}/history", {"cursor": "x"})),
        (HISTORY, 404, "application/problem+json", api.get(f"/api/v1/contacts/{uuid.uuid4()}/history")),
    ]

    for path, status, media, response in answers:
        assert response.status_code == status, (path, response.json())
        assert response["Content-Type"] == media
        assert errors_of(schema, path, status, media, response.json()) == [], (path, status)
    assert answers[0][3].json()["next_cursor"] is not None  # a page with a cursor, and the last page without
