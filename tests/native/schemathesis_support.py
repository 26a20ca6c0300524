"""What the schemathesis run against /api/v1/ stands on: the WSGI app called inside the test's transaction, an
organization seeded with one of every kind of row, the ids generated paths and bodies borrow from it, and a
snapshot of an organization's rows to tell whether a request changed any."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.db.models import F
from django.forms.models import model_to_dict
from hypothesis import strategies as st
from rest_framework.test import APIClient

from contacts.models import (
    Branch,
    ChannelIdentity,
    Contact,
    ContactGroup,
    CustomField,
    IdempotencyRecord,
    Organization,
    SenderNumber,
    Tag,
    Team,
)
from tests.factories import make_api_key

# Every row an organization owns that the native API reads or writes.
OWNED_MODELS = (Contact, Tag, ContactGroup, CustomField, Branch, Team, SenderNumber, ChannelIdentity, IdempotencyRecord)
# The vocabulary behind each `/api/v1/<prefix>/{entry_id}` path.
VOCABULARY_PATHS = {
    "tags": Tag,
    "groups": ContactGroup,
    "custom-fields": CustomField,
    "branches": Branch,
    "teams": Team,
    "sender-numbers": SenderNumber,
}


def in_test_transaction(app: WSGIHandler) -> Callable:
    """`app` as a WSGI callable that keeps the test's database connection: Django closes a connection whose
    autocommit differs from the settings' at the start and end of every request, and inside the test's
    transaction it always does. Django's own test client detaches the same handler for the same reason."""

    def wsgi(environ: dict, start_response: Callable) -> list[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            result = app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                result.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return wsgi


def bearer(organization: Organization, scopes: list[str]) -> dict[str, str]:
    _, secret = make_api_key(organization, scopes=scopes, name="schemathesis")
    return {"Authorization": f"Bearer {secret}"}


@dataclass
class World:
    """The seeded organization's ids, by what names them in a path or a body."""

    organization: Organization
    marker: str
    contacts: list[str] = field(default_factory=list)  # uuids
    entries: dict[str, list[Any]] = field(default_factory=dict)  # vocabulary path prefix -> ids, as JSON has them
    tag_names: list[str] = field(default_factory=list)
    custom_field_keys: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # strings no other organization may ever see
    # Another organization's world, whose ids the paths use too: a key must find its own and only its own.
    neighbour: World | None = None

    def own_ids(self, path: str) -> list[Any]:
        if path.startswith("/api/v1/contacts/"):
            return self.contacts
        return self.entries.get(path.removeprefix("/api/v1/").split("/", 1)[0], [])

    def path_ids(self, path: str) -> list[Any]:
        return self.own_ids(path) + (self.neighbour.own_ids(path) if self.neighbour else [])

    def owns(self, path: str, path_parameters: dict[str, Any] | None) -> bool:
        """Whether the path names one of this organization's rows."""
        values = {str(value) for value in (path_parameters or {}).values()}
        return bool(values & {str(value) for value in self.own_ids(path)})


CUSTOM_FIELDS = [
    ("plan", "choice", ["free", "pro"]),
    ("colours", "multichoice", ["red", "blue"]),
    ("size", "number", []),
    ("since", "date", []),
    ("vip", "boolean", []),
    ("city", "text", []),
    ("site", "url", []),
    ("work_email", "email", []),
    ("where", "location", []),
]
CUSTOM_VALUES = [
    {"plan": "pro", "colours": ["red"], "size": 12, "since": "2026-01-01", "vip": True, "city": "Riyadh"},
    {
        "site": "https://example.org/a",
        "work_email": "ada@example.org",
        "size": 3.5,
        "where": {"lat": 24.7, "lng": 46.7},
    },
    {"where": "Old town", "vip": False},
]


def seed(organization: Organization, *, marker: str) -> World:
    """One of everything in `organization`, written through the API itself so that the rows are what the API
    makes; `marker` goes into every name, so that a response leaking one is easy to spot."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=bearer(organization, ["contacts:write", "settings:write"])["Authorization"])
    world = World(organization=organization, marker=marker)

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(path, json.dumps(body), content_type="application/json")
        assert response.status_code == 201, (path, body, response.content)
        return response.json()

    for prefix, bodies in (
        ("tags", [{"name": f"{marker} vip"}, {"name": f"{marker} lead"}]),
        ("groups", [{"name": f"{marker} newsletter", "description": "weekly"}, {"name": f"{marker} staff"}]),
        ("branches", [{"name": f"{marker} riyadh"}, {"name": f"{marker} jeddah"}]),
        ("teams", [{"name": f"{marker} sales"}, {"name": f"{marker} support"}]),
        ("sender-numbers", [{"phone": "+966500000001", "external_id": f"{marker}-1", "label": f"{marker} main"}]),
        (
            "custom-fields",
            [
                {"key": key, "type": kind, "label": f"{marker} {key}", "choices": choices}
                for key, kind, choices in CUSTOM_FIELDS
            ],
        ),
    ):
        world.entries[prefix] = [post(f"/api/v1/{prefix}", body)["id"] for body in bodies]
        world.secrets += [value for body in bodies for key, value in body.items() if key in ("name", "label")]
    world.tag_names = [f"{marker} vip", f"{marker} lead"]
    world.custom_field_keys = [key for key, _, _ in CUSTOM_FIELDS]
    for index, custom_fields in enumerate(CUSTOM_VALUES):
        name = f"{marker} contact {index}"
        contact = post(
            "/api/v1/contacts",
            {
                "name": name,
                "phone": f"+1415555{index:04d}",
                "email": f"{marker.lower()}{index}@example.com",
                "alias": f"{marker}-alias-{index}",
                "contact_key": f"{marker}-key-{index}",
                "branch": world.entries["branches"][index % 2],
                "team": world.entries["teams"][index % 2],
                "tags": world.tag_names[: index + 1],
                "groups": [world.entries["groups"][0]],
                "custom_fields": custom_fields,
            },
        )
        world.contacts.append(contact["id"])
        world.secrets += [contact["id"], name]
    return world


def snapshot(organization: Organization) -> dict[str, list[dict[str, Any]]]:
    """Every row `organization` owns, with its many-to-many links, by model."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for model in OWNED_MODELS:
        queryset = model.objects.filter(organization=organization).order_by("pk")
        rows[model.__name__] = [
            {**model_to_dict(row, exclude=["avatar"]), "updated_at": getattr(row, "updated_at", None)}
            for row in queryset
        ]
    return rows


def prefer(existing: Iterable[Any], generated: Any) -> st.SearchStrategy:
    """Mostly a real id, sometimes what schemathesis generated (a missing or malformed one)."""
    existing = list(existing)
    if not existing:
        return st.just(generated)
    return st.one_of(st.sampled_from(existing), st.sampled_from(existing), st.just(generated))


# Values of every JSON type and of every custom field type, right and wrong.
FIELD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["pro", "free", "red", "12", "3.5", "2026-02-30", "2026-01-01", "yes", "https://example.org"]),
    st.sampled_from(["ada@example.org", "Riyadh", "", " ", "1e400", "-0", "NaN"]),
    st.lists(st.sampled_from(["red", "blue", "green", 1]), max_size=3),
    st.fixed_dictionaries({"lat": st.floats(-100, 100), "lng": st.floats(-200, 200)}),
    st.text(max_size=20),
)


def references(world: World) -> st.SearchStrategy:
    """A contact body's references to the organization's rows: its branches, teams, tags, groups and custom
    fields, as given and as mistaken (another type, a case change)."""
    custom_fields = st.dictionaries(st.sampled_from(world.custom_field_keys), FIELD_VALUES, max_size=4)
    return st.fixed_dictionaries(
        {},
        optional={
            "branch": st.sampled_from(world.entries["branches"]) | st.sampled_from([None, "1", 0]),
            "team": st.sampled_from(world.entries["teams"]) | st.sampled_from([None, "nope"]),
            "tags": st.lists(st.sampled_from(world.tag_names) | st.sampled_from(["ACME VIP", "none"]), max_size=3),
            "groups": st.lists(
                st.sampled_from(world.entries["groups"]) | st.sampled_from([f"{world.marker} staff", 0]), max_size=3
            ),
            "custom_fields": custom_fields,
        },
    )


CONTACT_MEMBERS = {
    "name", "full_name", "phone", "email", "alias", "contact_key", "country", "description", "address", "note",
    "is_favorite", "source", "avatar_url", "branch", "team", "assigned_user", "tags", "groups", "custom_fields",
}  # fmt: skip


def with_references(world: World, body: Any) -> st.SearchStrategy:
    """`body`, a contact's, now and then with real references and only the members a contact has: the schema
    lets generated bodies carry other members, which the API refuses before it looks at the rest."""
    if not isinstance(body, dict):
        return st.just(body)
    declared = {key: value for key, value in body.items() if key in CONTACT_MEMBERS}
    return st.one_of(st.just(body), references(world).map(lambda refs: {**declared, **refs}))


def with_item_references(world: World, body: Any) -> st.SearchStrategy:
    """A batch `body`, the contacts of its items now and then referring to real rows, by real ids."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        return st.just(body)

    def item(entry: Any) -> st.SearchStrategy:
        if not isinstance(entry, dict):
            return st.just(entry)
        contact = entry.get("contact")
        changed = with_references(world, contact).map(lambda c: {**entry, "contact": c})
        if "id" in entry:
            changed = st.tuples(changed, st.sampled_from(world.contacts)).map(lambda pair: {**pair[0], "id": pair[1]})
        return st.one_of(st.just(entry), changed)

    return st.one_of(st.just(body), st.tuples(*map(item, items)).map(lambda new: {**body, "items": list(new)}))


def contact_filters(world: World, query: Any) -> st.SearchStrategy:
    """A contact list's query, now and then filtering on the organization's own tags, groups and fields."""
    query = query or {}
    defined = {key: value for key, value in query.items() if key != "custom_fields.{key}"}
    filters = st.dictionaries(
        st.sampled_from(
            [f"custom_fields.{key}{suffix}" for key in world.custom_field_keys for suffix in ("", ".gte", ".lt")]
        ),
        FIELD_VALUES.map(lambda value: value if isinstance(value, str) else json.dumps(value)),
        max_size=2,
    )
    others = st.fixed_dictionaries(
        {},
        optional={
            "tags": st.sampled_from(world.tag_names),
            "groups_any": st.sampled_from([str(g) for g in world.entries["groups"]]),
            "branch": st.sampled_from([str(b) for b in world.entries["branches"]]),
            "team": st.sampled_from(world.entries["teams"]),
        },
    )
    return st.one_of(st.just(query), st.tuples(filters, others).map(lambda pair: {**defined, **pair[0], **pair[1]}))


def cross_links() -> list[str]:
    """Every contact's reference to a row of another organization than its own: the API must never make one."""
    contacts = Contact.objects.all()
    own = F("contact__organization")
    found = {
        "branch": contacts.exclude(branch=None).exclude(branch__organization=F("organization")),
        "team": contacts.exclude(team=None).exclude(team__organization=F("organization")),
        "tags": Contact.objects.filter(
            pk__in=Contact.tags.through.objects.exclude(tag__organization=own).values("contact")
        ),
        "groups": Contact.objects.filter(
            pk__in=Contact.groups.through.objects.exclude(contactgroup__organization=own).values("contact")
        ),
    }
    return [f"{member} of {uuid}" for member, rows in found.items() for uuid in rows.values_list("uuid", flat=True)]
