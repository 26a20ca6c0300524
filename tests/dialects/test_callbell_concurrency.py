"""Concurrent Callbell creates against a live server: the database constraint, not a check, decides the winner."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from contacts.models import Contact
from tests.factories import make_api_key

CLIENTS = 12


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_identifier_end_as_one_row_and_409s(live_server, organization):
    _, secret = make_api_key(organization)
    url = f"{live_server.url}/callbell/v1/contacts"
    start = threading.Barrier(CLIENTS)

    def create(index: int) -> requests.Response:
        body = {"identifier": "123456789", "source": "whatsapp", "name": f"Client {index}"}
        start.wait()
        return requests.post(url, json=body, headers={"Authorization": f"Bearer {secret}"}, timeout=60)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        responses = list(pool.map(create, range(CLIENTS)))

    assert sorted(response.status_code for response in responses) == [200] + [409] * (CLIENTS - 1)
    message = "A contact with this identifier already exists"
    assert [response.json() for response in responses if response.status_code == 409] == [
        {"error": {"code": "conflict", "message": message, "details": {"identifier": message}}}
    ] * (CLIENTS - 1)
    winner = next(response.json()["contact"][0] for response in responses if response.status_code == 200)
    contact = Contact.objects.get(organization=organization)
    assert (contact.uuid.hex, contact.name, contact.phone_e164) == (winner["uuid"], winner["name"], "+123456789")
