"""GET /api/v1/contacts: filters, ordering, keyset pages stable under inserts, `updated_since`, query counts."""

from __future__ import annotations

import datetime as dt

import pytest

from contacts.models import Contact, ContactSource
from tests.factories import (
    BranchFactory,
    ContactFactory,
    ContactGroupFactory,
    MembershipFactory,
    TagFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


def make(organization, name, *, minutes=0, **fields):
    """A contact created and last updated `minutes` after T0 (the model's auto timestamps overwritten)."""
    contact = ContactFactory(organization=organization, name=name, **fields)
    stamp = T0 + dt.timedelta(minutes=minutes)
    Contact.objects.filter(pk=contact.pk).update(created_at=stamp, updated_at=stamp)
    return contact


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


def test_newest_first_by_default_and_only_the_organizations_own(api, organization, other_organization):
    make(organization, "old", minutes=1)
    make(organization, "new", minutes=2)
    make(other_organization, "theirs", minutes=3)

    response = api.get("/api/v1/contacts")

    assert names(response) == ["new", "old"]
    assert response.json()["next_cursor"] is None
    assert response.json()["next"] is None


def test_tags_all_and_any(api, organization):
    vip, lead = TagFactory(organization=organization, name="VIP"), TagFactory(organization=organization, name="Lead")
    both = make(organization, "both", minutes=3)
    both.tags.add(vip, lead)
    make(organization, "vip", minutes=2).tags.add(vip)
    make(organization, "none", minutes=1)

    assert names(api.get("/api/v1/contacts", {"tags": "vip,LEAD"})) == ["both"]
    assert names(api.get("/api/v1/contacts", {"tags_any": "vip,lead"})) == ["both", "vip"]
    assert names(api.get("/api/v1/contacts", {"tags": "vip,unknown"})) == []
    assert names(api.get("/api/v1/contacts", {"tags_any": "vip,unknown"})) == ["both", "vip"]


def test_groups_all_and_any(api, organization):
    news, promo = ContactGroupFactory(organization=organization), ContactGroupFactory(organization=organization)
    make(organization, "both", minutes=2).groups.add(news, promo)
    make(organization, "news", minutes=1).groups.add(news)

    assert names(api.get("/api/v1/contacts", {"groups": f"{news.pk},{promo.pk}"})) == ["both"]
    assert names(api.get("/api/v1/contacts", {"groups_any": f"{promo.pk},{news.pk}"})) == ["both", "news"]
    assert names(api.get("/api/v1/contacts", {"groups_any": "nope"})) == []


def test_branch_team_user_source_favorite_and_phone_valid(api, organization):
    branch = BranchFactory(organization=organization)
    team = TeamFactory(organization=organization)
    user = UserFactory(email="agent@acme.test")
    MembershipFactory(user=user, organization=organization)
    make(organization, "branch", minutes=1, branch=branch)
    make(organization, "team", minutes=2, team=team)
    make(organization, "user", minutes=3, assigned_user=user)
    make(organization, "sms", minutes=4, source=ContactSource.SMS)
    make(organization, "favorite", minutes=5, is_favorite=True)
    make(organization, "invalid", minutes=6, phone_valid=False)

    assert names(api.get("/api/v1/contacts", {"branch": branch.pk})) == ["branch"]
    assert names(api.get("/api/v1/contacts", {"team": str(team.uuid)})) == ["team"]
    assert names(api.get("/api/v1/contacts", {"assigned_user": "AGENT@acme.test"})) == ["user"]
    assert names(api.get("/api/v1/contacts", {"source": "sms"})) == ["sms"]
    assert names(api.get("/api/v1/contacts", {"is_favorite": "true"})) == ["favorite"]
    assert names(api.get("/api/v1/contacts", {"phone_valid": "false"})) == ["invalid"]


def test_created_and_updated_ranges(api, organization):
    for minute in (1, 2, 3):
        make(organization, f"m{minute}", minutes=minute)

    assert names(
        api.get("/api/v1/contacts", {"created_after": "2026-01-01T12:02:00Z", "created_before": "2026-01-01T12:03:00Z"})
    ) == ["m2"]
    assert names(api.get("/api/v1/contacts", {"updated_after": "2026-01-01T12:02:00+00:00"})) == ["m3", "m2"]
    assert names(api.get("/api/v1/contacts", {"updated_before": "2026-01-01T12:02:00Z"})) == ["m1"]


def test_free_text_search_matches_words_and_phones(api, organization):
    make(organization, "Ada Lovelace", minutes=1, phone="+14155550100")
    make(organization, "Grace Hopper", minutes=2, phone="+14155550199")

    assert names(api.get("/api/v1/contacts", {"q": "lovelace"})) == ["Ada Lovelace"]
    assert names(api.get("/api/v1/contacts", {"q": "(415) 555-0199"})) == ["Grace Hopper"]


def test_ordering(api, organization):
    make(organization, "a", minutes=2)
    make(organization, "b", minutes=1)

    assert names(api.get("/api/v1/contacts", {"ordering": "created_at"})) == ["b", "a"]
    assert names(api.get("/api/v1/contacts", {"ordering": "-updated_at"})) == ["a", "b"]


@pytest.mark.parametrize(
    ("params", "field", "code", "message"),
    [
        (
            {"is_favorite": "maybe"},
            "is_favorite",
            "invalid_choice",
            "Select a valid choice. maybe is not one of the available choices.",
        ),
        ({"created_after": "yesterday"}, "created_after", "invalid", "Enter a valid date/time."),
        (
            {"source": "fax"},
            "source",
            "invalid_choice",
            "Select a valid choice. fax is not one of the available choices.",
        ),
        ({"team": "x"}, "team", "invalid", "Enter a valid UUID."),
        ({"branch": "x"}, "branch", "invalid", "branch must be a branch id"),
        ({"tag": "vip"}, "tag", "unknown_parameter", "tag is not a parameter of this list."),
        (
            {"ordering": "name"},
            "ordering",
            "invalid",
            "ordering must be one of: -created_at, created_at, -updated_at, updated_at",
        ),
        ({"limit": "0"}, "limit", "invalid", "limit must be an integer from 1 to 200"),
        ({"limit": "99999999999999999999"}, "limit", "invalid", "limit must be an integer from 1 to 200"),
        ({"cursor": "garbage"}, "cursor", "invalid", "cursor is not a cursor this API returned"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, params, field, code, message):
    response = api.get("/api/v1/contacts", params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": field, "code": code, "message": message}]


def test_pages_follow_the_cursor_and_a_row_inserted_between_pages_shifts_nothing(api, organization):
    for minute in range(1, 6):
        make(organization, f"c{minute}", minutes=minute)

    first = api.get("/api/v1/contacts", {"limit": 2})
    assert names(first) == ["c5", "c4"]
    # Inserted between the two requests: newest, so it belongs before the first page, not in the next ones.
    ContactFactory(organization=organization, name="inserted")
    second = api.get(first.json()["next"])
    third = api.get(second.json()["next"])

    assert names(second) == ["c3", "c2"]
    assert names(third) == ["c1"]
    assert third.json()["next"] is None
    assert first.json()["next"] == f"http://testserver/api/v1/contacts?cursor={first.json()['next_cursor']}&limit=2"


def test_rows_with_the_same_timestamp_are_paged_by_id_without_loss(api, organization):
    for index in range(5):
        make(organization, f"same{index}", minutes=1)

    seen, url = [], "/api/v1/contacts?limit=2"
    while url:
        response = api.get(url)
        seen += names(response)
        url = response.json()["next"]

    assert seen == ["same4", "same3", "same2", "same1", "same0"]


def test_a_cursor_of_another_ordering_is_refused(api, organization):
    for minute in range(3):
        make(organization, f"c{minute}", minutes=minute)
    cursor = api.get("/api/v1/contacts", {"limit": 1}).json()["next_cursor"]

    response = api.get("/api/v1/contacts", {"limit": 1, "cursor": cursor, "ordering": "created_at"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        "This cursor pages the -created_at ordering; pass ordering=-created_at with it"
    )


def test_updated_since_reads_in_change_order_and_a_row_changed_during_the_sync_comes_later(api, organization):
    a, b, c = (make(organization, name, minutes=minute) for name, minute in (("a", 1), ("b", 2), ("c", 3)))
    make(organization, "before", minutes=0)

    first = api.get("/api/v1/contacts", {"updated_since": "2026-01-01T12:01:00Z", "limit": 2})
    assert names(first) == ["a", "b"]
    # Changed while the client syncs: its updated_at is now the newest, so the sync reaches it on a later page.
    api.patch(f"/api/v1/contacts/{a.uuid}", {"name": "a2"}, format="json")
    rest, url = [], first.json()["next"]
    while url:
        response = api.get(url)
        rest += names(response)
        url = response.json()["next"]

    assert rest == ["c", "a2"]
    assert b.pk and c.pk


def test_listing_a_page_costs_a_constant_number_of_queries(api, organization, django_assert_max_num_queries):
    tags = [TagFactory(organization=organization) for _ in range(3)]
    groups = [ContactGroupFactory(organization=organization) for _ in range(2)]
    branch, team = BranchFactory(organization=organization), TeamFactory(organization=organization)
    for minute in range(30):
        contact = make(organization, f"c{minute}", minutes=minute, branch=branch, team=team)
        contact.tags.add(*tags)
        contact.groups.add(*groups)
    api.get("/api/v1/contacts")  # the key's last_used_at is written once a minute: not part of what is counted

    # The key, the filter's tag ids, the page (branch, team and user joined), its tags, its groups; and the
    # request's savepoint and its release. None of them per contact.
    with django_assert_max_num_queries(7):
        response = api.get("/api/v1/contacts", {"limit": 30, "tags_any": tags[0].name})

    assert len(response.json()["results"]) == 30
    assert response.json()["results"][0]["tags"] == sorted(tag.name for tag in tags)


@pytest.fixture
def custom_fields(organization):
    from tests.factories import CustomFieldFactory

    CustomFieldFactory(organization=organization, key="CITY")
    CustomFieldFactory(organization=organization, key="SIZE", field_type="number")
    CustomFieldFactory(organization=organization, key="SINCE", field_type="date")
    CustomFieldFactory(organization=organization, key="a__b")
    CustomFieldFactory(organization=organization, key="PRO", field_type="boolean")


def test_custom_field_equality_and_ranges(api, organization, custom_fields):
    make(
        organization,
        "small",
        minutes=1,
        custom_fields={"CITY": "Paris", "SIZE": 2, "SINCE": "2025-01-05", "PRO": False},
    )
    make(organization, "big", minutes=2, custom_fields={"CITY": "Lyon", "SIZE": 40, "SINCE": "2026-03-01", "a__b": "x"})
    make(organization, "none", minutes=3)

    assert names(api.get("/api/v1/contacts", {"custom_fields.CITY": "Paris"})) == ["small"]
    assert names(api.get("/api/v1/contacts", {"custom_fields.SIZE": "40.0"})) == ["big"]
    assert names(api.get("/api/v1/contacts", {"custom_fields.SIZE.gte": "2", "custom_fields.SIZE.lt": "40"})) == [
        "small"
    ]
    assert names(api.get("/api/v1/contacts", {"custom_fields.SINCE.gt": "2025-12-31T23:00"})) == ["big"]
    assert names(api.get("/api/v1/contacts", {"custom_fields.a__b": "x"})) == ["big"]
    assert names(api.get("/api/v1/contacts", {"custom_fields.PRO": "false"})) == ["small"]


@pytest.mark.parametrize(
    ("params", "status", "field", "code", "message"),
    [
        ({"custom_fields.NOPE": "x"}, 422, "custom_fields.NOPE", "unknown_reference", "Unknown custom field: NOPE"),
        ({"custom_fields.SIZE": "big"}, 400, "custom_fields.SIZE", "invalid", "SIZE must be a number"),
        (
            {"custom_fields.CITY.gte": "A"},
            400,
            "custom_fields.CITY.gte",
            "invalid",
            "CITY is a text field; only number and date fields have ranges",
        ),
    ],
)
def test_a_bad_custom_field_filter_is_refused(api, custom_fields, params, status, field, code, message):
    response = api.get("/api/v1/contacts", params)

    assert response.status_code == status
    assert response.json()["errors"] == [{"field": field, "code": code, "message": message}]
