"""`GET /api/v1/events` as a feed: the walk's last page hands out `next_since`, taken before its first page, so an
event still committing while the walk read comes in the next read."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from contacts.models import Contact
from contacts.services.contacts import create_contact, update_contact
from tests.factories import ContactFactory, OrganizationFactory, make_api_key
from tests.history.conftest import make_event

pytestmark = pytest.mark.django_db
ON_POSTGRESQL = pytest.mark.postgres
ADA = "7b0d4a4e-0f59-4a8a-9a31-5d1f7c1f0a01"
MARKS = iter([dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), dt.datetime(2026, 3, 1, 13, tzinfo=dt.UTC)])


def walk(api, **params) -> tuple[list[str], list]:
    """Every page from the first: the events' change values in order, and each page's next_since."""
    names, tokens = [], []
    response = api.get("/api/v1/events", {"limit": 2, **params})
    while True:
        body = response.json()
        assert response.status_code == 200, body
        names += [event["changes"]["name"]["after"] for event in body["results"] if "name" in event["changes"]]
        tokens.append(body["next_since"])
        if body["next"] is None:
            return names, tokens
        response = api.get(body["next"])


def test_next_since_is_on_the_last_page_only_and_is_the_watermark_of_the_walks_start(api, organization, monkeypatch):
    for minute in range(5):
        make_event(organization, ADA, minutes=minute, changes={"name": {"before": None, "after": f"n{minute}"}})
    # A later page would see a later watermark: the walk keeps the one taken before its first page.
    monkeypatch.setattr("contacts.api.native.history.sync_watermark", lambda: next(MARKS))

    names, tokens = walk(api)

    assert names == ["n0", "n1", "n2", "n3", "n4"]
    assert tokens == [None, None, "2026-03-01T12:00:00Z"]


def test_next_since_is_never_before_the_walks_own_since(api, organization, monkeypatch):
    make_event(organization, ADA, changes={"name": {"before": None, "after": "n0"}})
    monkeypatch.setattr("contacts.api.native.history.sync_watermark", lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC))

    assert walk(api, since="2026-04-01T00:00:00Z") == ([], ["2026-04-01T00:00:00Z"])


def test_a_cursor_with_a_malformed_watermark_is_a_400_naming_the_cursor(api):
    import base64

    forged = base64.urlsafe_b64encode(b'{"e":1,"w":"yesterday"}').decode().rstrip("=")

    response = api.get("/api/v1/events", {"cursor": forged})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "cursor", "code": "invalid", "message": "cursor is not a cursor this API returned"}
    ]


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_an_event_still_committing_while_the_walk_reads_comes_in_the_next_read(settings):
    settings.SYNC_CLOCK_SKEW_SECONDS = 0
    organization = OrganizationFactory(slug="feed-race")
    _, secret = make_api_key(organization, scopes=["contacts:read"])
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    contact = ContactFactory(organization=organization, name="Ada")
    written, release, failures = threading.Event(), threading.Event(), []

    def rename() -> None:
        try:
            with transaction.atomic():
                update_contact(Contact.objects.select_for_update().get(pk=contact.pk), name="Ada L.")
                written.set()
                assert release.wait(20)
        except BaseException as error:
            failures.append(error)
            written.set()
        finally:
            connection.close()

    writer = threading.Thread(target=rename)
    writer.start()
    assert written.wait(20)
    create_contact(organization=organization, name="Grace")  # committed after the rename's event took its id
    seen, tokens = walk(api)
    release.set()
    writer.join(20)

    assert failures == []
    # The rename's event has the lower id but was not committed: the walk read past it.
    assert [name for name in seen] == ["Grace"]
    again, _ = walk(api, since=tokens[-1])
    assert again == ["Ada L.", "Grace"]
