"""Concurrent Mobivate creates against a live server: the database constraint, not a check, decides the winner."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from contacts.models import Contact, CustomField
from tests.factories import make_api_key

CLIENTS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_msisdn_end_as_one_row(live_server, organization):
    _, secret = make_api_key(organization)
    url = f"{live_server.url}/mobivate/addressbook/contacts"
    start = threading.Barrier(CLIENTS)

    def create(index: int) -> requests.Response:
        body = {"alias": f"user-{index}", "msisdn": "4479000000001", "meta": {"NAME": f"User {index}", "CITY": "x"}}
        start.wait()
        return requests.post(url, json=body, headers={"Authorization": f"Bearer {secret}"}, timeout=60)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        responses = list(pool.map(create, range(CLIENTS)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [400] * (CLIENTS - 1)
    failures = [response.json() for response in responses if response.status_code == 400]
    assert failures == [
        {"success": False, "error": {"name": "ValidationError", "statusCode": 400, "message": "Msisdn already exists"}}
    ] * (CLIENTS - 1)
    winner = next(response.json()["record"] for response in responses if response.status_code == 200)
    contact = Contact.objects.get(organization=organization)
    assert (str(contact.uuid), contact.alias, contact.phone_e164) == (winner["id"], winner["alias"], "+4479000000001")
    assert sorted(CustomField.objects.filter(organization=organization).values_list("key", flat=True)) == [
        "CITY",
        "NAME",
    ]
