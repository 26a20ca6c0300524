"""Generated bodies and query strings against /api/v1/: never a server error, every refusal a problem document,
and a refused write writes nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from contacts.models import Contact, Tag
from tests.factories import BranchFactory, ContactFactory, CustomFieldFactory, TagFactory

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
)
PROBLEM_KEYS = ["detail", "errors", "status", "title", "type"]
CONTACT_FIELDS = [
    "name", "full_name", "phone", "email", "alias", "contact_key", "country", "description", "address", "note",
    "is_favorite", "source", "avatar_url", "branch", "team", "assigned_user", "tags", "groups", "custom_fields",
    "id", "created_at",
]  # fmt: skip
LIST_PARAMETERS = [
    "tags", "tags_any", "groups", "groups_any", "branch", "team", "assigned_user", "source", "is_favorite",
    "phone_valid", "created_after", "created_before", "updated_after", "updated_before", "updated_since", "q",
    "ordering", "limit", "cursor", "custom_fields.SIZE", "custom_fields.SIZE.gte", "custom_fields.CITY",
    "custom_fields.SINCE.lt", "custom_fields.NOPE",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["+14155550100", "(415) 555-0100", "a@example.com", "VIP", "12", "2026-01-01", "0", "-1"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
contact_bodies = st.dictionaries(st.sampled_from(CONTACT_FIELDS) | st.text(max_size=10), json_values, max_size=6)
bodies = contact_bodies | json_values


@pytest.fixture
def world(organization):
    TagFactory(organization=organization, name="VIP")
    BranchFactory(organization=organization)
    CustomFieldFactory(organization=organization, key="SIZE", field_type="number")
    CustomFieldFactory(organization=organization, key="CITY")
    CustomFieldFactory(organization=organization, key="SINCE", field_type="date")
    return ContactFactory(organization=organization, name="target")


def check(response) -> None:
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"
        body = response.json()
        assert sorted(body) == PROBLEM_KEYS
        assert body["status"] == response.status_code


@FUZZ
@given(body=bodies)
def test_create_and_patch_bodies(api, world, body):
    before = Contact.objects.count()
    created = api.post("/api/v1/contacts", json.dumps(body), content_type="application/json")
    check(created)
    assert Contact.objects.count() == before + (created.status_code == 201)
    patched = api.patch(f"/api/v1/contacts/{world.uuid}", json.dumps(body), content_type="application/json")
    check(patched)


@FUZZ
@given(
    body=st.dictionaries(
        st.sampled_from(["name", "key", "type", "choices", "label"]) | st.text(max_size=6), json_values, max_size=4
    )
    | json_values
)
def test_vocabulary_bodies(api, world, body):
    before = Tag.objects.count()
    response = api.post("/api/v1/tags", json.dumps(body), content_type="application/json")
    check(response)
    assert Tag.objects.count() == before + (response.status_code == 201)
    check(api.post("/api/v1/custom-fields", json.dumps(body), content_type="application/json"))


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(LIST_PARAMETERS),
        st.text(max_size=40) | st.sampled_from(["true", "2026-01-01T00:00:00Z", "12", "-created_at"]),
        max_size=4,
    )
)
def test_list_parameters(api, world, params):
    check(api.get("/api/v1/contacts", params))
