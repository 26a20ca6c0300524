"""Two requests with one `Idempotency-Key` at the same time, from two connections (PostgreSQL, real threads): the
second is a 409 at once, not queued behind the first, and its retry after the first has committed replays it."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from contacts.models import Contact, IdempotencyRecord
from contacts.services.changes import contacts_changed
from tests.factories import OrganizationFactory, make_api_key

UID = "tests.native.idempotency_concurrency"


def post(secret: str, key: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client.post("/api/v1/contacts", json.dumps({"name": "Ada"}), content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=key)  # fmt: skip


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_key_while_the_first_request_runs_is_a_409_at_once():
    organization = OrganizationFactory(slug="idempotency-race")
    _, secret = make_api_key(organization, scopes=["contacts:write"])
    inside, finish = threading.Barrier(2, timeout=10), threading.Event()
    answers: dict[str, object] = {}

    def hold(sender, **kwargs):
        # The first request has written its contact and holds its key until the second has been answered.
        if threading.current_thread().name == "first":
            inside.wait()
            finish.wait(timeout=10)

    def first() -> None:
        try:
            answers["first"] = post(secret, "race-1")
        finally:
            connection.close()

    contacts_changed.connect(hold, weak=False, dispatch_uid=UID)
    thread = threading.Thread(target=first, name="first")
    try:
        thread.start()
        inside.wait()
        started = time.monotonic()
        second = post(secret, "race-1")
        waited = time.monotonic() - started
        finish.set()
        thread.join(timeout=20)
    finally:
        finish.set()
        contacts_changed.disconnect(dispatch_uid=UID)
    retry = post(secret, "race-1")

    assert second.status_code == 409
    assert waited < 5  # answered while the first still ran (it holds for up to 10 s)
    assert second.json()["type"] == "urn:crm:problem:idempotency-key-in-use"
    assert answers["first"].status_code == 201
    assert (retry.status_code, retry["Idempotent-Replayed"]) == (201, "true")
    assert retry.json() == answers["first"].json()
    assert Contact.objects.filter(organization=organization).count() == 1
    assert list(IdempotencyRecord.objects.values_list("key", "state", "status_code")) == [("race-1", "done", 201)]
