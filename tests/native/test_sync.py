"""Incremental sync: the last page of a walk with `updated_since` answers `next_updated_since`, and a sync started
there reads every change the walk could not see: writes still open while it read (PostgreSQL, real concurrent
transactions) or timestamped within the write allowance before it (SQLite)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from contacts.models import Contact
from contacts.services.contacts import update_contact
from tests.factories import ContactFactory

T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
ON_POSTGRESQL = pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
ON_SQLITE = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's watermark")


def make(organization, name, *, minutes=0):
    contact = ContactFactory(organization=organization, name=name)
    stamp = T0 + dt.timedelta(minutes=minutes)
    Contact.objects.filter(pk=contact.pk).update(created_at=stamp, updated_at=stamp)
    return contact


def walk(api, since, limit=2):
    """Follow `next` from a sync from `since`: the names read and every page's `next_updated_since`."""
    seen, tokens, url = [], [], None
    response = api.get("/api/v1/contacts", {"updated_since": since, "limit": limit})
    while True:
        assert response.status_code == 200, response.json()
        seen += [row["name"] for row in response.json()["results"]]
        tokens.append(response.json()["next_updated_since"])
        url = response.json()["next"]
        if url is None:
            return seen, tokens
        response = api.get(url)


def stamp(token: str) -> dt.datetime:
    assert token.endswith("Z"), token
    return dt.datetime.fromisoformat(token)


class OpenWrite:
    """A rename of `contact` in a transaction of its own thread, held open until `commit()`."""

    def __init__(self, contact: Contact, name: str) -> None:
        self.contact, self.name = contact, name
        self.written, self.release, self.failure = threading.Event(), threading.Event(), None
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            with transaction.atomic():
                # The transaction begins on the server here, before the write takes its timestamp: as a request's
                # credential lookup precedes its writes.
                locked = Contact.objects.select_for_update().get(pk=self.contact.pk)
                update_contact(locked, name=self.name)
                self.written.set()
                assert self.release.wait(20)
        except BaseException as error:  # reported by commit()
            self.failure = error
            self.written.set()
        finally:
            connection.close()

    def __enter__(self) -> OpenWrite:
        self.thread.start()
        assert self.written.wait(20)
        assert self.failure is None, self.failure
        return self

    def commit(self) -> None:
        self.release.set()
        self.thread.join(20)
        assert self.failure is None, self.failure

    def __exit__(self, *exc) -> None:
        if self.thread.is_alive():
            self.commit()


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_a_write_open_while_the_walk_reads_comes_in_the_next_sync(api, organization, settings):
    # No clock allowance: the watermark must come from the open transaction itself, not from a margin.
    settings.SYNC_CLOCK_SKEW_SECONDS = 0
    a = make(organization, "a", minutes=1)
    make(organization, "b", minutes=2)
    make(organization, "c", minutes=3)

    with OpenWrite(a, "a renamed") as write:
        seen, tokens = walk(api, "2026-01-01T00:00:00Z")
        write.commit()
    renamed_at = Contact.objects.get(pk=a.pk).updated_at

    assert seen == ["a", "b", "c"]  # the rename was not committed: the walk read the old name
    assert tokens[:-1] == [None]
    # The rename was timestamped before the walk read; the token is not past it, so the next sync reads it.
    assert stamp(tokens[-1]) <= renamed_at
    assert walk(api, tokens[-1])[0] == ["a renamed"]


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_the_watermark_is_taken_before_the_first_page_not_at_the_last(api, organization, settings):
    settings.SYNC_CLOCK_SKEW_SECONDS = 0
    a = make(organization, "a", minutes=1)

    with OpenWrite(a, "a renamed") as write:
        # Both changed after the rename took its timestamp: they sort after it.
        ContactFactory(organization=organization, name="c")
        ContactFactory(organization=organization, name="d")
        first = api.get("/api/v1/contacts", {"updated_since": "2026-01-01T00:00:00Z", "limit": 2})
        # The rename commits between the pages, behind the walk's position: the walk never reads it, and no
        # transaction is open any more when its last page is read.
        write.commit()
        last = api.get(first.json()["next"])
    renamed_at = Contact.objects.get(pk=a.pk).updated_at

    assert [row["name"] for row in first.json()["results"]] == ["a", "c"]
    assert [row["name"] for row in last.json()["results"]] == ["d"]
    token = last.json()["next_updated_since"]
    assert stamp(token) <= renamed_at
    assert walk(api, token)[0] == ["a renamed", "c", "d"]


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_the_allowance_moves_the_watermark_back(api, organization, settings):
    settings.SYNC_CLOCK_SKEW_SECONDS = 3600
    a = make(organization, "a", minutes=1)

    with OpenWrite(a, "a renamed") as write:
        token = walk(api, "2026-01-01T00:00:00Z")[1][-1]
        write.commit()
    renamed_at = Contact.objects.get(pk=a.pk).updated_at

    # Within a second of an hour before the rename began (the rename began a moment before it took its timestamp).
    assert dt.timedelta(seconds=3599) <= renamed_at - stamp(token) <= dt.timedelta(seconds=3601)


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_without_open_writes_tokens_follow_the_clock_and_never_go_back(api, organization, settings):
    settings.SYNC_CLOCK_SKEW_SECONDS = 5
    make(organization, "a", minutes=1)
    before = Contact.objects.get(name="a").updated_at
    ContactFactory(organization=organization, name="now")
    created_at = Contact.objects.get(name="now").updated_at

    seen, tokens = walk(api, "2026-01-01T00:00:00Z")
    after = timezone.now()
    again, later = walk(api, tokens[-1])

    assert seen == ["a", "now"]
    assert before < created_at - dt.timedelta(seconds=5) <= stamp(tokens[-1]) <= after - dt.timedelta(seconds=5)
    assert stamp(tokens[-1]) <= stamp(later[-1])
    assert again == ["now"]  # changed within the allowance: read once more (at least once; dedupe by id)


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_under_repeatable_read_the_sync_restarts_where_it_started(api, organization):
    # The request's snapshot would then be older than the watermark's query: nothing it missed is bounded.
    make(organization, "a", minutes=1)
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    try:
        body = api.get("/api/v1/contacts", {"updated_since": "2026-01-01T00:00:00Z"}).json()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED")

    assert [row["name"] for row in body["results"]] == ["a"]
    assert body["next_updated_since"] == "2026-01-01T00:00:00Z"


@ON_SQLITE
@pytest.mark.django_db
def test_on_sqlite_the_watermark_is_now_minus_the_longest_write(api, organization, settings, monkeypatch):
    settings.SYNC_SQLITE_WRITE_SECONDS = 60
    for name, minute in (("a", 1), ("b", 2), ("c", 3)):
        make(organization, name, minutes=minute)
    monkeypatch.setattr("contacts.selectors.sync.timezone.now", lambda: T0 + dt.timedelta(hours=1))

    seen, tokens = walk(api, "2026-01-01T12:00:00Z")
    # Timestamped 30 s before the walk read, committed after it: within the allowance.
    make(organization, "late", minutes=59.5)
    make(organization, "earlier", minutes=58)  # (a write that committed before the walk is never backdated here)

    assert seen == ["a", "b", "c"]
    assert tokens == [None, "2026-01-01T12:59:00Z"]
    assert walk(api, tokens[-1])[0] == ["late"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "token"),
    [
        # Never before where the walk started, so a client that passes it on never goes back.
        ({"updated_since": "2030-01-01T00:00:00Z"}, "2030-01-01T00:00:00Z"),
        ({"updated_since": "2030-01-01T00:00:00+02:00"}, "2029-12-31T22:00:00Z"),
        ({"updated_since": "2026-01-01T00:00:00Z", "updated_after": "2030-01-01T00:00:00Z"}, "2030-01-01T00:00:00Z"),
        # Never past what `updated_before` left unread.
        ({"updated_since": "2026-01-01T00:00:00Z", "updated_before": "2026-06-01T00:00:00Z"}, "2026-06-01T00:00:00Z"),
    ],
)
def test_the_token_is_bounded_by_the_walks_own_range(api, organization, params, token):
    make(organization, "a", minutes=1)

    response = api.get("/api/v1/contacts", params)

    assert response.status_code == 200
    assert response.json()["next_updated_since"] == token


@pytest.mark.django_db
def test_no_token_without_updated_since(api, organization):
    make(organization, "a", minutes=1)

    body = api.get("/api/v1/contacts", {"updated_after": "2026-01-01T00:00:00Z"}).json()

    assert body == {"results": [body["results"][0]], "next_cursor": None, "next": None, "next_updated_since": None}


def cursor_of(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"updated_since": "yesterday"}, "updated_since", "Enter a valid date/time."),
        ({"updated_since": "2026-13-01T00:00:00Z"}, "updated_since", "Enter a valid date/time."),
        (
            {"cursor": cursor_of({"o": "updated_at", "t": "2026-01-01T12:01:00+00:00", "i": 1, "w": "soon"})},
            "cursor",
            "cursor is not a cursor this API returned",
        ),
        (
            {"cursor": cursor_of({"o": "updated_at", "t": "2026-01-01T12:01:00+00:00", "i": 1, "w": "2026-01-01"})},
            "cursor",
            "cursor is not a cursor this API returned",
        ),
        (
            {"cursor": cursor_of({"o": "updated_at", "t": "2026-01-01T12:01:00+00:00", "i": 1, "w": 5})},
            "cursor",
            "cursor is not a cursor this API returned",
        ),
    ],
)
def test_a_malformed_sync_position_is_a_400_naming_it(api, organization, params, field, message):
    response = api.get("/api/v1/contacts", {"updated_since": "2026-01-01T00:00:00Z", **params})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": field, "code": "invalid", "message": message}]


@pytest.mark.django_db
def test_the_watermark_rides_in_the_cursor_to_the_last_page(api, organization, monkeypatch):
    for name, minute in (("a", 1), ("b", 2), ("c", 3)):
        make(organization, name, minutes=minute)
    monkeypatch.setattr("contacts.api.native.contacts.sync_watermark", lambda: T0 + dt.timedelta(hours=1))
    first = api.get("/api/v1/contacts", {"updated_since": "2026-01-01T12:00:00Z", "limit": 2}).json()
    # A later page computes nothing: it answers the watermark taken before the walk's first page.
    monkeypatch.setattr("contacts.api.native.contacts.sync_watermark", lambda: pytest.fail("taken again"))

    last = api.get(first["next"]).json()

    assert first["next_updated_since"] is None
    assert [row["name"] for row in last["results"]] == ["c"]
    assert last["next_updated_since"] == "2026-01-01T13:00:00Z"


@pytest.mark.django_db
def test_a_watermark_that_cannot_be_bounded_restarts_where_the_walk_started(api, organization, monkeypatch):
    make(organization, "a", minutes=1)
    monkeypatch.setattr("contacts.api.native.contacts.sync_watermark", lambda: None)

    body = api.get("/api/v1/contacts", {"updated_since": "2026-01-01T12:00:00Z"}).json()

    assert body["next_updated_since"] == "2026-01-01T12:00:00Z"


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_syncs_chained_on_their_tokens_while_writers_run_miss_no_change(api, organization, settings):
    settings.SYNC_CLOCK_SKEW_SECONDS = 0
    ids = [make(organization, f"c{index}", minutes=index).pk for index in range(40)]
    stop, failures = threading.Event(), []

    def writer(seed: int) -> None:
        chooser = random.Random(seed)
        try:
            for turn in range(1000):
                if stop.is_set():
                    return
                with transaction.atomic():
                    locked = Contact.objects.select_for_update().get(pk=chooser.choice(ids))
                    update_contact(locked, name=f"w{seed}-{turn}")
                    time.sleep(chooser.uniform(0, 0.03))  # committed well after its timestamp
        except BaseException as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(3)]
    for thread in threads:
        thread.start()
    latest: dict[str, str] = {}  # what the client holds: each contact's last state read, by id
    token, walks = "2026-01-01T00:00:00Z", 0
    deadline = time.monotonic() + 2
    try:
        while time.monotonic() < deadline or walks < 5:
            token = sync_into(api, token, latest)
            walks += 1
    finally:
        stop.set()
        for thread in threads:
            thread.join(20)
    token = sync_into(api, token, latest)  # every write has committed: the last sync from the last token

    assert not failures, failures
    names = dict(Contact.objects.filter(pk__in=ids).values_list("uuid", "name"))
    assert latest == {str(uuid): name for uuid, name in names.items()}
    assert sum(name.startswith("w") for name in latest.values()) >= 10  # the writers did write


def sync_into(api, since: str, latest: dict[str, str]) -> str:
    """One sync from `since`, its rows folded into `latest` (the later read wins); the next sync's token."""
    response = api.get("/api/v1/contacts", {"updated_since": since, "limit": 7})
    while True:
        assert response.status_code == 200, response.json()
        for row in response.json()["results"]:
            latest[row["id"]] = row["name"]
        if response.json()["next"] is None:
            return response.json()["next_updated_since"]
        response = api.get(response.json()["next"])
