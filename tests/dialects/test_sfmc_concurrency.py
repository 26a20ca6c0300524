"""Two SFMC creates of the same new contactKey racing: one contact, one create and one update, never a 500."""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from unittest import mock

import pytest
import requests
from django.db import connection
from rest_framework.test import APIClient

from contacts.models import Contact
from contacts.models.credentials import ALL_SCOPES
from contacts.services import contacts as contact_services
from contacts.services import credentials
from tests.factories import OrganizationFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_creates_of_one_new_key_end_as_one_contact():
    organization = OrganizationFactory(slug="sfmc-race")
    client, _ = credentials.create_oauth_client(organization=organization, name="race", client_id="race", secret="s")
    _, token = credentials.issue_access_token(client, scopes=ALL_SCOPES, scope_text="")
    # Both requests must have looked the key up (and found nothing) before either inserts.
    barrier = threading.Barrier(2)
    real_create = contact_services.create_contact

    def create_after_both_looked(**kwargs):
        barrier.wait(timeout=10)
        return real_create(**kwargs)

    outcomes: list = []
    lock = threading.Lock()

    def post(address: str) -> None:
        body = {
            "contactKey": "racer",
            "attributeSets": [
                {
                    "name": "Email Addresses",
                    "items": [
                        {
                            "values": [
                                {"name": "Email Address", "value": address},
                                {"name": "HTML Enabled", "value": True},
                            ]
                        }
                    ],
                }
            ],
        }
        try:
            response = APIClient().post(
                "/sfmc/contacts/v1/contacts", body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}"
            )
            result = (response.status_code, response.json().get("isNewContactKey"))
        except Exception as exc:  # reported by the assertion below
            result = ("error", repr(exc))
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    with mock.patch.object(contact_services, "create_contact", create_after_both_looked):
        threads = [threading.Thread(target=post, args=(f"r{i}@example.com",)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert sorted(outcomes) == [(200, False), (200, True)]
    assert Contact.objects.filter(organization=organization, contact_key="racer").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_key_with_a_phone_never_answer_duplicate_value(live_server, settings):
    """The phone's unique index can be the one that collides first; the loser still updates the winner's contact."""
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "100000/min")}
    organization = OrganizationFactory(slug="sfmc-phone-race")
    client, _ = credentials.create_oauth_client(organization=organization, name="race", client_id="race", secret="s")
    _, token = credentials.issue_access_token(client, scopes=ALL_SCOPES, scope_text="")
    clients, rounds = 8, 10

    def body(key: str, index: int) -> dict:
        mobile = {"name": "MobileConnect Demographics", "items": [{"values": [
            {"name": "Mobile Number", "value": "3175315555"},
            {"name": "Locale", "value": "US"},
        ]}]}  # fmt: skip
        email = {"name": "Email Addresses", "items": [{"values": [
            {"name": "Email Address", "value": f"racer{index}@example.com"},
            {"name": "HTML Enabled", "value": True},
        ]}]}  # fmt: skip
        return {"contactKey": key, "attributeSets": [mobile, email]}

    for round_number in range(rounds):
        key = f"phone-racer-{round_number}"
        start = threading.Barrier(clients)

        def post(index: int, key: str = key, start: threading.Barrier = start) -> tuple[int, Any]:
            start.wait(timeout=30)
            response = requests.post(
                f"{live_server.url}/sfmc/contacts/v1/contacts",
                json=body(key, index),
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
            payload = response.json()
            return response.status_code, (payload.get("operationStatus"), payload.get("isNewContactKey"))

        with ThreadPoolExecutor(max_workers=clients) as pool:
            results = list(pool.map(post, range(clients)))

        assert sorted(results, key=str) == sorted(
            [(200, ("OK", True))] + [(200, ("OK", False))] * (clients - 1), key=str
        )
        assert list(Contact.objects.filter(organization=organization).values_list("contact_key", flat=True)) == [key]
        Contact.objects.filter(organization=organization).delete()
