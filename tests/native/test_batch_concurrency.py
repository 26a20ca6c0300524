"""Batches racing on PostgreSQL, in real threads: the same new phones upserted by several batches at once, and a
batch racing a single create of one of its phones. Each key ends as one contact, nothing answers a 500, and every
item is written or refused with its own 409."""

from __future__ import annotations

import threading
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from rest_framework.test import APIClient

from contacts.api.native import contacts as contact_views
from contacts.models import Contact
from contacts.services import batch as batch_service
from tests.factories import OrganizationFactory, make_api_key

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

URL = "/api/v1/contacts/batch"
PHONES = [f"+1212555{n:04d}" for n in range(20)]
TAKEN = {"field": "contact.phone", "code": "already_exists", "message": "A contact with this phone already exists"}


def upsert(phone: str, name: str) -> dict[str, Any]:
    email = f"p{phone[-4:]}@example.org"
    return {"op": "upsert", "match_on": "phone", "contact": {"phone": phone, "email": email, "name": name}}


class Racers:
    """Runs the callables in threads at once; each answer is kept as (status, body), or the exception."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}
        self._lock = threading.Lock()

    def run(self, calls: dict[str, Any]) -> dict[str, Any]:
        threads = [threading.Thread(target=self._call, args=(name, call)) for name, call in calls.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return self.answers

    def _call(self, name: str, call: Any) -> None:
        try:
            response = call()
            answer: Any = (response.status_code, response.json())
        except Exception as exc:  # reported by the assertions
            answer = repr(exc)
        finally:
            connection.close()
        with self._lock:
            self.answers[name] = answer


def waiting_before_writes(barrier: threading.Barrier) -> Any:
    """`write_prepared` once every racer has looked its contacts up (and found none of the new phones)."""
    real = batch_service.write_prepared

    def wait_then_write(*args: Any, **kwargs: Any) -> Any:
        barrier.wait(timeout=20)
        return real(*args, **kwargs)

    return mock.patch.object(batch_service, "write_prepared", wait_then_write)


def client_of(organization) -> APIClient:
    _, secret = make_api_key(organization, scopes=["contacts:read", "contacts:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_three_batches_upserting_the_same_new_phones_end_with_one_contact_per_phone():
    organization = OrganizationFactory(slug="batch-race", default_region="US")
    clients = [client_of(organization) for _ in range(3)]
    # One batch lists the phones in reverse: the rows are still inserted in one order, so no batch deadlocks.
    bodies = [
        {"items": [upsert(phone, f"A {phone}") for phone in PHONES]},
        {"items": [upsert(phone, f"B {phone}") for phone in PHONES]},
        {"items": [upsert(phone, f"C {phone}") for phone in reversed(PHONES)]},
    ]
    with waiting_before_writes(threading.Barrier(3)):
        answers = Racers().run(
            {
                name: (lambda client=client, body=body: client.post(URL, body, format="json"))
                for name, client, body in zip("ABC", clients, bodies, strict=True)
            }
        )

    assert sorted(answers) == ["A", "B", "C"] and all(isinstance(answer, tuple) for answer in answers.values())
    assert {status for status, _ in answers.values()} == {200}
    statuses = {name: {result["status"] for result in body["results"]} for name, (_, body) in answers.items()}
    # Every batch looked before any wrote: one creates all twenty, the others are refused item by item.
    [winner] = [name for name, seen in statuses.items() if seen == {201}]
    for name, (_, body) in answers.items():
        if name != winner:
            assert [(r["status"], r["contact"], r["errors"]) for r in body["results"]] == [(409, None, [TAKEN])] * 20
    stored = Contact.objects.filter(organization=organization).order_by("phone")
    assert [(str(c.phone), c.name, c.email) for c in stored] == [
        (phone, f"{winner} {phone}", f"p{phone[-4:]}@example.org") for phone in PHONES
    ]


def test_batches_racing_without_waiting_each_create_or_update_every_phone_once():
    organization = OrganizationFactory(slug="batch-race-free", default_region="US")
    clients = [client_of(organization) for _ in range(3)]
    bodies = [{"items": [upsert(phone, f"{name} {phone}") for phone in PHONES]} for name in "ABC"]
    answers = Racers().run(
        {
            name: (lambda client=client, body=body: client.post(URL, body, format="json"))
            for name, client, body in zip("ABC", clients, bodies, strict=True)
        }
    )

    assert {answer[0] if isinstance(answer, tuple) else answer for answer in answers.values()} == {200}
    for _, body in answers.values():
        for result in body["results"]:
            assert (result["status"], result["errors"]) in ((201, []), (200, []), (409, [TAKEN]))
    # Each phone created by exactly one batch.
    created = [r["contact"]["phone"] for _, body in answers.values() for r in body["results"] if r["status"] == 201]
    assert sorted(created) == PHONES
    assert sorted(Contact.objects.filter(organization=organization).values_list("phone", flat=True)) == PHONES


def test_a_batch_racing_a_single_create_of_one_of_its_phones():
    organization = OrganizationFactory(slug="batch-race-single", default_region="US")
    batch_client, single_client = client_of(organization), client_of(organization)
    barrier = threading.Barrier(2)
    real_create = contact_views.create_contact

    def create_once_the_batch_looked(**kwargs: Any) -> Any:
        barrier.wait(timeout=20)
        return real_create(**kwargs)

    body = {"items": [upsert(phone, f"Batch {phone}") for phone in PHONES[:3]]}
    single = {"phone": PHONES[1], "name": "Single"}
    with (
        waiting_before_writes(barrier),
        mock.patch.object(contact_views, "create_contact", create_once_the_batch_looked),
    ):
        answers = Racers().run(
            {
                "batch": lambda: batch_client.post(URL, body, format="json"),
                "single": lambda: single_client.post("/api/v1/contacts", single, format="json"),
            }
        )

    batch_status, batch_body = answers["batch"]
    single_status, single_body = answers["single"]
    assert batch_status == 200
    results = batch_body["results"]
    assert [results[0]["status"], results[2]["status"]] == [201, 201]
    stored = Contact.objects.filter(organization=organization).order_by("phone")
    names = [(str(c.phone), c.name) for c in stored]
    # Whichever wrote the shared phone first has it; the other is told the phone is taken.
    if single_status == 201:
        assert (results[1]["status"], results[1]["errors"]) == (409, [TAKEN])
        assert names == [(PHONES[0], f"Batch {PHONES[0]}"), (PHONES[1], "Single"), (PHONES[2], f"Batch {PHONES[2]}")]
    else:
        assert (single_status, results[1]["status"]) == (409, 201)
        assert single_body["errors"] == [
            {"field": "phone", "code": "already_exists", "message": "A contact with this phone already exists"}
        ]
        assert names == [(phone, f"Batch {phone}") for phone in PHONES[:3]]
