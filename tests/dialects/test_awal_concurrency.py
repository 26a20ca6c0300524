"""Concurrent Awal requests against a live server: the database constraint decides duplicate phones, and an atomic
cache add decides which copy of a replayed signature gets through."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from contacts.models import Contact
from tests.dialects.base import (
    CLIENT_ID,
    CLIENT_SECRET,
    MULTIPART,
    SENDER_ID,
    Awal,
    awal_signature,
    encode_form,
)

CLIENTS = 10
QUERY = f"phone_number_id={SENDER_ID}"


def signed_headers(body: bytes, timestamp: str, domain: str) -> dict[str, str]:
    return {
        "Accept": "application/json",
        "Content-Type": MULTIPART,
        "X-Awal-Signature-256": awal_signature(CLIENT_SECRET, "POST", "/awal/contacts", QUERY, timestamp, body),
        "X-Timestamp": timestamp,
        "X-Domain": domain,
        "X-Client-ID": CLIENT_ID,
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_phone_end_as_one_row_and_409s(live_server, api_client, organization):
    Awal.authenticate(api_client, organization)
    url = f"{live_server.url}/awal/contacts?{QUERY}"
    start = threading.Barrier(CLIENTS)

    def create(index: int) -> requests.Response:
        body = encode_form({"name": f"Client {index}", "phone": "96650000000"})
        headers = signed_headers(body, str(int(time.time())), organization.slug)
        start.wait()
        return requests.post(url, data=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        responses = list(pool.map(create, range(CLIENTS)))

    assert sorted(response.status_code for response in responses) == [201] + [409] * (CLIENTS - 1)
    message = "A contact with this phone already exists"
    for response in responses:
        if response.status_code == 409:
            body = response.json()
            assert body["request_id"].startswith("req_")
            assert body == {
                "error": "resource_conflict",
                "message": message,
                "details": {"phone": message},
                "request_id": body["request_id"],
            }
    winner = next(response.json()["data"] for response in responses if response.status_code == 201)
    contact = Contact.objects.get(organization=organization)
    assert (contact.pk, contact.name, contact.phone_e164) == (winner["id"], winner["name"], "+96650000000")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_signature_sent_concurrently_is_accepted_once(live_server, api_client, organization):
    Awal.authenticate(api_client, organization)
    url = f"{live_server.url}/awal/contacts?{QUERY}"
    body = encode_form({"name": "Once", "phone": "96650000001"})
    headers = signed_headers(body, str(int(time.time())), organization.slug)
    start = threading.Barrier(CLIENTS)

    def send(_: int) -> requests.Response:
        start.wait()
        return requests.post(url, data=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        responses = list(pool.map(send, range(CLIENTS)))

    assert sorted(response.status_code for response in responses) == [201] + [401] * (CLIENTS - 1)
    assert {response.json()["message"] for response in responses if response.status_code == 401} == {
        "This signature has already been used; sign every request afresh"
    }
    assert Contact.objects.filter(organization=organization).count() == 1
