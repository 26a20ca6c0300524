"""SFMC's contacts create/update write through `upsert_contact` and `update_contact`: one transaction for the
contact and its channel identities, every write reported once, racing creates of one key ending as one contact."""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.db import connection
from rest_framework.test import APIClient

from contacts.models import ChannelIdentity, Contact, Scope
from contacts.models.credentials import ALL_SCOPES
from contacts.services import contacts as contact_services
from contacts.services import credentials
from contacts.services.changes import contacts_changed
from tests.factories import OrganizationFactory

URL = "/sfmc/contacts/v1/contacts"

pytestmark = pytest.mark.django_db


def _token(organization, scopes=ALL_SCOPES) -> str:
    client, _ = credentials.create_oauth_client(organization=organization, name="SFMC", client_id="c", secret="s")
    _, raw = credentials.issue_access_token(client, scopes=list(scopes), scope_text="")
    return raw


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _body(key: str, address: str, device: str | None = None) -> dict:
    sets = [
        {
            "name": "Email Addresses",
            "items": [
                {"values": [{"name": "Email Address", "value": address}, {"name": "HTML Enabled", "value": True}]}
            ],
        }
    ]
    if device is not None:
        values = [{"name": "Device ID", "value": device}, {"name": "Application", "value": "app"}]
        sets.append({"name": "MobilePush Demographics", "items": [{"values": values}]})
    return {"contactKey": key, "attributeSets": sets}


@pytest.fixture
def changes():
    received: list[tuple[str, tuple[int, ...]]] = []

    def receiver(sender, organization_id, contact_ids, actor, **kwargs):
        received.append((str(sender), contact_ids))

    contacts_changed.connect(receiver)
    yield received
    contacts_changed.disconnect(receiver)


def test_a_create_and_its_update_each_record_one_change(organization, changes):
    client = _client(_token(organization))

    created = client.post(URL, _body("k1", "a@example.com", device="d1"), format="json")
    updated = client.post(URL, _body("k1", "b@example.com", device="d2"), format="json")

    contact = Contact.objects.get(organization=organization)
    assert (created.json()["isNewContactKey"], updated.json()["isNewContactKey"]) == (True, False)
    assert changes == [("created", (contact.pk,)), ("updated", (contact.pk,))]
    assert contact.email == "b@example.com"
    assert list(ChannelIdentity.objects.filter(contact=contact).values_list("channel", "external_id")) == [
        ("push", "d2")
    ]


def test_a_failure_writing_the_identities_writes_nothing(organization):
    client = _client(_token(organization))

    with mock.patch.object(contact_services, "write_channel_identities", side_effect=RuntimeError("boom")):
        response = client.post(URL, _body("k1", "a@example.com", device="d1"), format="json")

    assert response.status_code == 500
    assert response.json() == {"message": "An unexpected error occurred", "errorcode": 50000, "documentation": ""}
    assert Contact.objects.count() == 0


def test_a_device_of_another_contact_fails_the_create_and_writes_nothing(organization):
    client = _client(_token(organization))
    assert client.post(URL, _body("owner", "o@example.com", device="taken"), format="json").status_code == 200

    response = client.post(URL, _body("newcomer", "n@example.com", device="taken"), format="json")

    assert response.status_code == 400
    body = response.json()
    assert (body["operationStatus"], body["contactKey"], body["resultMessages"]) == (
        "FAIL",
        "newcomer",
        [
            {
                "resultType": "Error",
                "resultCode": "DuplicateValue",
                "resultClass": "Contact",
                "resultMessage": "A MobilePush Device ID or LINE Address ID in this request already belongs to "
                "another contact",
            }
        ],
    )
    assert list(Contact.objects.values_list("contact_key", flat=True)) == ["owner"]


def test_a_create_that_turns_out_an_update_needs_the_update_scope(organization):
    """The key was taken between the lookup and the insert; the credential may create but not update."""
    token = _token(organization, scopes=[Scope.CONTACTS_CREATE.value])
    real_create = contact_services.create_contact

    def winner_first(**kwargs):
        real_create(organization=organization, contact_key="racer", name="Winner")
        return real_create(**kwargs)

    with mock.patch.object(contact_services, "create_contact", winner_first):
        response = _client(token).post(URL, _body("racer", "loser@example.com"), format="json")

    assert response.status_code == 403
    assert response.json() == {
        "message": "Insufficient privileges: the access token lacks the list_and_subscribers_write scope",
        "errorcode": 20002,
        "documentation": "",
    }
    # The request's transaction is rolled back whole: here the "winner" was created in it too.
    assert Contact.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_creates_of_one_new_key_end_as_one_contact():
    organization = OrganizationFactory(slug="sfmc-upsert-race")
    token = _token(organization)
    # Both requests have looked the key up, and found nothing, before either inserts.
    barrier = threading.Barrier(2)
    real_create = contact_services.create_contact
    outcomes: list = []
    lock = threading.Lock()

    def create_after_both_looked(**kwargs):
        barrier.wait(timeout=10)
        return real_create(**kwargs)

    def post(index: int) -> None:
        try:
            response = _client(token).post(URL, _body("racer", f"r{index}@example.com"), format="json")
            result = (response.status_code, response.json().get("isNewContactKey"))
        except Exception as exc:  # reported by the assertion below
            result = ("error", repr(exc))
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    with mock.patch.object(contact_services, "create_contact", create_after_both_looked):
        threads = [threading.Thread(target=post, args=(index,)) for index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert sorted(outcomes) == [(200, False), (200, True)]
    assert Contact.objects.filter(organization=organization, contact_key="racer").count() == 1
