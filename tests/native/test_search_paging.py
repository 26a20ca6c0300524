"""`GET /api/v1/contacts?q=...` pages: the same rows, in the same keyset order, with the same cursors, whether a page
is found by walking the next contacts of the list (the window) or, when the window holds too few matches, from the
rest of the organization's matches. The window is made tiny here so that both happen within a few contacts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import Contact
from contacts.selectors import search as search_module
from tests.factories import ContactFactory, TagFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)

# (name, created minute, updated minute), in the order of creation (and of ids). Two share a creation time and two
# an update time, so the id breaks those ties.
BOOK = [
    ("Smith Perez A", 1, 50),
    ("Smith Only", 2, 49),
    ("Perez Only", 3, 48),
    ("Smith Perez B", 4, 10),
    ("Smith Perez C", 4, 20),
    ("Nobody 1", 5, 47),
    ("Nobody 2", 6, 46),
    ("Perez-Smith D", 7, 5),
    ("Smith Perez E", 8, 30),
    ("Nobody 3", 9, 45),
    ("Nobody 4", 10, 44),
    ("Smith Perez F", 11, 30),
]
# Every contact that q=smith perez finds, in each ordering.
BOTH_WORDS = {
    "-created_at": [
        "Smith Perez F",
        "Smith Perez E",
        "Perez-Smith D",
        "Smith Perez C",
        "Smith Perez B",
        "Smith Perez A",
    ],
    "created_at": [
        "Smith Perez A",
        "Smith Perez B",
        "Smith Perez C",
        "Perez-Smith D",
        "Smith Perez E",
        "Smith Perez F",
    ],
    "-updated_at": [
        "Smith Perez A",
        "Smith Perez F",
        "Smith Perez E",
        "Smith Perez C",
        "Smith Perez B",
        "Perez-Smith D",
    ],
    "updated_at": [
        "Perez-Smith D",
        "Smith Perez B",
        "Smith Perez C",
        "Smith Perez E",
        "Smith Perez F",
        "Smith Perez A",
    ],
}


def stamped(organization, name: str, created: int, updated: int, **fields) -> Contact:
    contact = ContactFactory(organization=organization, name=name, **fields)
    Contact.objects.filter(pk=contact.pk).update(
        created_at=T0 + dt.timedelta(minutes=created), updated_at=T0 + dt.timedelta(minutes=updated)
    )
    return contact


@pytest.fixture
def book(organization, other_organization):
    contacts = {name: stamped(organization, name, created, updated) for name, created, updated in BOOK}
    # Another organization's match, created among them: never shown, never counted in a window.
    stamped(other_organization, "Smith Perez Theirs", 6, 6)
    return contacts


@pytest.fixture
def window(monkeypatch):
    def set_window(size: int) -> None:
        monkeypatch.setattr(search_module, "SEARCH_WINDOW", size)

    return set_window


def walk(api, params: dict[str, str]) -> list[list[str]]:
    """Every page's names, following `next_cursor` (checked against `next`) to the end."""
    pages, cursor = [], None
    while True:
        response = api.get("/api/v1/contacts", {**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.json()
        body = response.json()
        pages.append([row["name"] for row in body["results"]])
        cursor = body["next_cursor"]
        if cursor is None:
            assert body["next"] is None
            return pages
        assert f"cursor={cursor}" in body["next"]
        assert len(pages) < 20, pages


def chunks(names: list[str], size: int) -> list[list[str]]:
    return [names[start : start + size] for start in range(0, len(names), size)] or [[]]


@pytest.mark.parametrize("ordering", list(BOTH_WORDS))
@pytest.mark.parametrize("size", [1, 2, 3, 5000])
@pytest.mark.parametrize("limit", [1, 2, 4, 6])
def test_two_words_page_by_page_whatever_the_window(api, book, window, ordering, size, limit):
    window(size)

    pages = walk(api, {"q": "smith perez", "ordering": ordering, "limit": str(limit)})

    assert pages == chunks(BOTH_WORDS[ordering], limit)


def test_the_pages_exactly_at_a_glance(api, book, window):
    window(2)

    assert walk(api, {"q": "smith perez", "limit": "4"}) == [
        ["Smith Perez F", "Smith Perez E", "Perez-Smith D", "Smith Perez C"],
        ["Smith Perez B", "Smith Perez A"],
    ]
    assert walk(api, {"q": "PEREZ smith", "ordering": "-updated_at", "limit": "5"}) == [
        ["Smith Perez A", "Smith Perez F", "Smith Perez E", "Smith Perez C", "Smith Perez B"],
        ["Perez-Smith D"],
    ]


@pytest.mark.parametrize("size", [1, 3, 5000])
def test_one_word_and_no_match(api, book, window, size):
    window(size)

    assert walk(api, {"q": "perez", "ordering": "created_at", "limit": "3"}) == [
        ["Smith Perez A", "Perez Only", "Smith Perez B"],
        ["Smith Perez C", "Perez-Smith D", "Smith Perez E"],
        ["Smith Perez F"],
    ]
    assert walk(api, {"q": "nobody", "limit": "3"}) == [["Nobody 4", "Nobody 3", "Nobody 2"], ["Nobody 1"]]
    assert walk(api, {"q": "smith zzqx", "limit": "3"}) == [[]]


def test_a_phone_number_and_another_filter(api, organization, book, window):
    window(2)
    stamped(organization, "Caller", 12, 12, phone="+14155550199")
    tag = TagFactory(organization=organization, name="vip")
    for name in ("Smith Perez B", "Smith Perez E", "Nobody 2"):
        book[name].tags.add(tag)

    assert walk(api, {"q": "(415) 555-0199"}) == [["Caller"]]
    assert walk(api, {"q": "smith perez", "tags": "vip", "limit": "1"}) == [["Smith Perez E"], ["Smith Perez B"]]


def test_a_page_the_window_cannot_fill_reads_the_rest_of_the_matches(api, book, window):
    """A window of 3 holds one match of the first page (F); the other three come from the matches beyond it."""
    window(3)

    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/contacts", {"q": "smith perez", "limit": "4"})

    assert [row["name"] for row in response.json()["results"]] == BOTH_WORDS["-created_at"][:4]
    assert sum("MATERIALIZED" in query["sql"] for query in queries.captured_queries) == 1
    # Its tags and groups in one query each, for the rows of both parts of the page.
    assert sum("contacts_contact_tags" in query["sql"] for query in queries.captured_queries) == 1


def test_a_page_the_window_fills_does_not_read_beyond_it(api, book, window):
    window(6)

    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/contacts", {"q": "smith", "limit": "2"})

    assert [row["name"] for row in response.json()["results"]] == ["Smith Perez F", "Smith Perez E"]
    assert not any("MATERIALIZED" in query["sql"] for query in queries.captured_queries)


def test_a_cursor_from_one_window_size_pages_on_with_another(api, book, window):
    """The cursor names the last row shown, not how it was found: a page read one way continues the other way."""
    window(5000)
    first = api.get("/api/v1/contacts", {"q": "smith perez", "ordering": "updated_at", "limit": "2"}).json()
    window(1)

    rest = api.get(
        "/api/v1/contacts",
        {"q": "smith perez", "ordering": "updated_at", "limit": "10", "cursor": first["next_cursor"]},
    ).json()

    assert [row["name"] for row in first["results"]] == ["Perez-Smith D", "Smith Perez B"]
    assert [row["name"] for row in rest["results"]] == [
        "Smith Perez C",
        "Smith Perez E",
        "Smith Perez F",
        "Smith Perez A",
    ]
    assert rest["next_cursor"] is None


def test_a_window_with_a_few_matches_reads_a_stretch_sized_for_the_rest_then_the_rest(api, book, window):
    """A window of one contact holds F. The three more a page of 3 needs (and one to tell there is a next page)
    are sought in the next 6 contacts (twice what one match in one contact suggests): E and D; C is beyond."""
    window(1)

    with CaptureQueriesContext(connection) as queries:
        body = api.get("/api/v1/contacts", {"q": "smith perez", "limit": "3"}).json()
    # Counted now: the next request clears the connection's query log.
    assert sum("MATERIALIZED" in query["sql"] for query in queries.captured_queries) == 2
    rest = api.get("/api/v1/contacts", {"q": "smith perez", "limit": "3", "cursor": body["next_cursor"]}).json()

    assert [row["name"] for row in body["results"]] == ["Smith Perez F", "Smith Perez E", "Perez-Smith D"]
    assert [row["name"] for row in rest["results"]] == ["Smith Perez C", "Smith Perez B", "Smith Perez A"]
    assert rest["next_cursor"] is None


def test_a_row_of_the_page_updated_while_the_page_is_read_is_on_it_once(api, book, window, monkeypatch):
    """In updated order, D (the window's one match) is updated between the window's statement and the next ones:
    it moves to the end of the list, where the last stretch reads again. The page shows it once, where it was."""
    window(1)
    read_rest = search_module._first_rows

    def updated_meanwhile(*args):
        Contact.objects.filter(pk=book["Perez-Smith D"].pk).update(updated_at=T0 + dt.timedelta(minutes=100))
        return read_rest(*args)

    monkeypatch.setattr(search_module, "_first_rows", updated_meanwhile)

    pages = walk(api, {"q": "smith perez", "ordering": "updated_at", "limit": "10"})

    assert pages == [
        ["Perez-Smith D", "Smith Perez B", "Smith Perez C", "Smith Perez E", "Smith Perez F", "Smith Perez A"]
    ]
