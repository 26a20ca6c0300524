"""PATCH and DELETE of one contact racing, through every dialect, against a live server on PostgreSQL.

Each round creates a contact with tags and a group, then fires 20 PATCHes and 3 DELETEs at it at once (real threads,
real connections). Every answer is a success or the dialect's own "not found"; exactly one DELETE wins; nothing is
left linked to the deleted contact, and a bystander contact keeps its links. Before the contact row was locked first
in every write path, about 3% of these requests were 500s (deadlocks, and foreign-key violations at COMMIT).
"""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from contacts.models import Contact, ContactGroup, Tag
from contacts.models.credentials import ALL_SCOPES
from contacts.services import credentials
from contacts.services.contacts import create_contact
from tests.dialects.base import CLIENT_ID, CLIENT_SECRET, MULTIPART, SENDER_ID, awal_signature, encode_form
from tests.factories import SenderNumberFactory, make_api_key

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 20
PATCHES = 20
DELETES = 3
TAGS = ["red", "green", "blue"]
GROUPS = ["north", "south"]
_phones = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # 460 requests a minute would trip Awal's documented write limit; limits have tests of their own.
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "100000/min")}


@dataclass
class Outcome:
    kind: str  # "patch" or "delete"
    status: int
    body: Any


class Dialect:
    """How one dialect patches and deletes a contact, and what its success and not-found answers look like."""

    name = ""
    patch_ok = 200
    delete_ok = 200

    def __init__(self, base_url: str, organization) -> None:
        self.base_url, self.organization = base_url, organization

    def patch(self, contact: Contact, index: int) -> requests.Response:
        raise NotImplementedError

    def delete(self, contact: Contact) -> requests.Response:
        raise NotImplementedError

    def is_patch_not_found(self, contact: Contact, status: int, body: Any) -> bool:
        raise NotImplementedError

    def is_delete_not_found(self, contact: Contact, status: int, body: Any) -> bool:
        raise NotImplementedError

    def patch_succeeded(self, status: int, body: Any) -> bool:
        return status == self.patch_ok

    def delete_succeeded(self, status: int, body: Any) -> bool:
        return status == self.delete_ok


class Mobivate(Dialect):
    name = "mobivate"

    def __init__(self, base_url, organization):
        super().__init__(base_url, organization)
        self.headers = {"Authorization": f"Bearer {make_api_key(organization)[1]}"}

    def patch(self, contact, index):
        url = f"{self.base_url}/mobivate/addressbook/contacts/{contact.uuid}"
        return requests.post(url, json={"meta": {"round": str(index)}}, headers=self.headers, timeout=60)

    def delete(self, contact):
        url = f"{self.base_url}/mobivate/addressbook/contacts/{str(contact.phone).lstrip('+')}"
        return requests.delete(url, headers=self.headers, timeout=60)

    def is_patch_not_found(self, contact, status, body):
        # Mobivate answers an update of an unknown contact with a 400.
        error = {"name": "ValidationError", "statusCode": 400, "message": "Contact not found"}
        return status == 400 and body == {"success": False, "error": error}

    def is_delete_not_found(self, contact, status, body):
        error = {"name": "NotFoundError", "statusCode": 404, "message": "Contact not found"}
        return status == 404 and body == {"success": False, "error": error}


class Contactship(Dialect):
    name = "contactship"
    delete_ok = 204

    def __init__(self, base_url, organization):
        super().__init__(base_url, organization)
        self.headers = {"x-api-key": make_api_key(organization)[1]}

    def patch(self, contact, index):
        url = f"{self.base_url}/contactship/v1/contacts/{contact.uuid}"
        body = {
            "full_name": f"Patched {index}",
            "additional_data": [{"field": "round", "value": str(index), "type": "number"}],
        }
        return requests.patch(url, json=body, headers=self.headers, timeout=60)

    def delete(self, contact):
        return requests.delete(
            f"{self.base_url}/contactship/v1/contacts/{contact.uuid}", headers=self.headers, timeout=60
        )

    def _not_found(self, contact, status, body):
        expected = {"statusCode": 404, "error": "Not Found", "message": f"Contact with id {contact.uuid} not found"}
        return status == 404 and body == expected

    is_patch_not_found = is_delete_not_found = _not_found


class Callbell(Dialect):
    name = "callbell"

    def __init__(self, base_url, organization):
        super().__init__(base_url, organization)
        self.headers = {"Authorization": f"Bearer {make_api_key(organization)[1]}"}

    def patch(self, contact, index):
        url = f"{self.base_url}/callbell/v1/contacts/{contact.uuid.hex}"
        body = {"name": f"Patched {index}", "tags": [TAGS[index % 3], TAGS[(index + 1) % 3]]}
        return requests.patch(url, json=body, headers=self.headers, timeout=60)

    def delete(self, contact):
        url = f"{self.base_url}/callbell/v1/contacts/{contact.uuid.hex}"
        return requests.delete(url, headers=self.headers, timeout=60)

    def _not_found(self, contact, status, body):
        return status == 404 and body == {"error": {"code": "not_found", "message": "Contact not found", "details": {}}}

    is_patch_not_found = is_delete_not_found = _not_found


class Awal(Dialect):
    name = "awal"
    _stamps = itertools.count()

    def __init__(self, base_url, organization):
        super().__init__(base_url, organization)
        credentials.create_hmac_client(
            organization=organization, name="Awal", client_id=CLIENT_ID, secret=CLIENT_SECRET
        )
        SenderNumberFactory(organization=organization, external_id=SENDER_ID)
        self.group_ids = {group.name: group.pk for group in ContactGroup.objects.filter(organization=organization)}

    def _send(self, method: str, contact: Contact, fields: dict[str, str]) -> requests.Response:
        path = f"/awal/contacts/{contact.pk}"
        body = encode_form(fields) if method == "PATCH" else b""
        # A signature is accepted once: a distinct timestamp (all within the allowed skew) keeps each one unique.
        timestamp = str(int(time.time()) - next(self._stamps) % 250)
        headers = {
            "Accept": "application/json",
            "X-Awal-Signature-256": awal_signature(CLIENT_SECRET, method, path, "", timestamp, body),
            "X-Timestamp": timestamp,
            "X-Domain": self.organization.slug,
            "X-Client-ID": CLIENT_ID,
        }
        if body:
            headers["Content-Type"] = MULTIPART
        return requests.request(method, f"{self.base_url}{path}", data=body, headers=headers, timeout=60)

    def patch(self, contact, index):
        return self._send(
            "PATCH", contact, {"name": f"Patched {index}", "contact_group_id": str(self.group_ids[GROUPS[index % 2]])}
        )

    def delete(self, contact):
        return self._send("DELETE", contact, {})

    def _not_found(self, contact, status, body):
        expected = {"error": "resource_not_found", "message": f"Contact {contact.pk} not found"}
        return status == 404 and {key: body.get(key) for key in expected} == expected

    is_patch_not_found = is_delete_not_found = _not_found


class Sfmc(Dialect):
    name = "sfmc"

    def __init__(self, base_url, organization):
        super().__init__(base_url, organization)
        client, _ = credentials.create_oauth_client(
            organization=organization, name="race", client_id="race", secret="s"
        )
        _, token = credentials.issue_access_token(client, scopes=ALL_SCOPES, scope_text="")
        self.headers = {"Authorization": f"Bearer {token}"}

    def patch(self, contact, index):
        values = [{"name": "Email Address", "value": f"p{index}@example.com"}, {"name": "HTML Enabled", "value": True}]
        body = {
            "contactKey": contact.contact_key,
            "attributeSets": [{"name": "Email Addresses", "items": [{"values": values}]}],
        }
        return requests.patch(f"{self.base_url}/sfmc/contacts/v1/contacts", json=body, headers=self.headers, timeout=60)

    def delete(self, contact):
        url = f"{self.base_url}/sfmc/contacts/v1/contacts/actions/delete?type=keys"
        body = {"values": [contact.contact_key], "DeleteOperationType": "ContactAndAttributes"}
        return requests.post(url, json=body, headers=self.headers, timeout=60)

    def is_patch_not_found(self, contact, status, body):
        expected = [
            {
                "resultType": "Error",
                "resultCode": "ContactNotFound",
                "resultClass": "Contact",
                "resultMessage": f"No contact with contactKey {contact.contact_key}",
            }
        ]
        return status == 200 and body.get("operationStatus") == "FAIL" and body.get("resultMessages") == expected

    def patch_succeeded(self, status, body):
        return status == 200 and body.get("operationStatus") == "OK"

    def delete_succeeded(self, status, body):
        return status == 200 and body["operationInitiated"] is True and body["resultMessages"] == []

    def is_delete_not_found(self, contact, status, body):
        expected = [
            {
                "resultType": "Warning",
                "resultCode": "ContactNotFound",
                "resultClass": "Contact",
                "resultMessage": f"No contact with key {contact.contact_key}",
            }
        ]
        return status == 200 and body["operationInitiated"] is True and body["resultMessages"] == expected


DIALECTS = [Mobivate, Contactship, Callbell, Awal, Sfmc]


def _new_contact(organization, round_number: int) -> Contact:
    return create_contact(
        organization=organization,
        name=f"Racer {round_number}",
        phone=f"+1212555{next(_phones):04d}",
        contact_key=f"racer-{round_number}",
        tags=TAGS[:2],
        groups=[GROUPS[0]],
    )


@pytest.mark.slow
@pytest.mark.parametrize("dialect_class", DIALECTS, ids=[d.name for d in DIALECTS])
def test_patches_racing_deletes_never_fail_and_lose_no_links(live_server, organization, dialect_class):
    for name in TAGS:
        Tag.objects.create(organization=organization, name=name)
    for name in GROUPS:
        ContactGroup.objects.create(organization=organization, name=name)
    dialect = dialect_class(live_server.url, organization)
    bystander = _new_contact(organization, -1)
    outcomes: list[Outcome] = []

    for round_number in range(ROUNDS):
        contact = _new_contact(organization, round_number)
        jobs = ["patch"] * PATCHES + ["delete"] * DELETES
        # Interleave, so the deletes land among the patches rather than after them.
        jobs = jobs[::2] + jobs[1::2]
        start = threading.Barrier(len(jobs))

        def run(job: tuple[int, str], contact: Contact = contact, start: threading.Barrier = start) -> Outcome:
            index, kind = job
            start.wait(timeout=30)
            response = dialect.patch(contact, index) if kind == "patch" else dialect.delete(contact)
            return Outcome(kind, response.status_code, response.json() if response.content else None)

        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            results = list(pool.map(run, enumerate(jobs)))
        outcomes += results

        server_errors = [(o.kind, o.status, o.body) for o in results if o.status >= 500]
        assert server_errors == [], f"round {round_number}"
        deletes = [o for o in results if o.kind == "delete"]
        wins = [o for o in deletes if dialect.delete_succeeded(o.status, o.body)]
        assert len(wins) == 1, f"round {round_number}: {[(o.status, o.body) for o in deletes]}"
        losers = [o for o in deletes if o not in wins]
        assert all(dialect.is_delete_not_found(contact, o.status, o.body) for o in losers), [o.body for o in losers]
        patches = [o for o in results if o.kind == "patch"]
        unexpected = [
            (o.status, o.body)
            for o in patches
            if not dialect.patch_succeeded(o.status, o.body)
            and not dialect.is_patch_not_found(contact, o.status, o.body)
        ]
        assert unexpected == [], f"round {round_number}"
        assert not Contact.objects.filter(pk=contact.pk).exists()
        assert not Contact.tags.through.objects.filter(contact_id=contact.pk).exists()
        assert not Contact.groups.through.objects.filter(contact_id=contact.pk).exists()

    assert len(outcomes) == ROUNDS * (PATCHES + DELETES)
    assert sorted(bystander.tags.values_list("name", flat=True)) == ["green", "red"]
    assert list(bystander.groups.values_list("name", flat=True)) == ["north"]
    assert Contact.objects.filter(organization=organization).count() == 1


@pytest.mark.parametrize("dialect_class", DIALECTS, ids=[d.name for d in DIALECTS])
def test_two_concurrent_deletes_one_wins_one_is_not_found(live_server, organization, dialect_class):
    for name in GROUPS:
        ContactGroup.objects.create(organization=organization, name=name)
    for name in TAGS:
        Tag.objects.create(organization=organization, name=name)
    dialect = dialect_class(live_server.url, organization)
    for round_number in range(5):
        contact = _new_contact(organization, round_number)
        start = threading.Barrier(2)

        def delete(_: int, contact: Contact = contact, start: threading.Barrier = start) -> Outcome:
            start.wait(timeout=30)
            response = dialect.delete(contact)
            return Outcome("delete", response.status_code, response.json() if response.content else None)

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(delete, range(2)))
        wins = [o for o in results if dialect.delete_succeeded(o.status, o.body)]
        losers = [o for o in results if dialect.is_delete_not_found(contact, o.status, o.body)]
        assert (len(wins), len(losers)) == (1, 1), [(o.status, o.body) for o in results]
