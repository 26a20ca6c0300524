"""A change made through a real surface (the native API) reaches the receiver as its event, with the contact."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook

from webhooks import runner

pytestmark = pytest.mark.django_db


def test_a_contact_created_through_the_native_api_is_delivered(organization, endpoint, receiver, client_for):
    _, secret = endpoint
    api = client_for(organization)
    created = api.post("/api/v1/contacts", {"name": "Grace", "phone": "+12125550199"}, format="json")
    assert created.status_code == 201

    runner.run_pending()

    (request,) = receiver.requests
    body = Webhook(secret).verify(request.body, request.headers)
    assert body["type"] == "contact.created"
    assert body["data"]["contact_id"] == created.json()["id"]
    assert body["data"]["surface"] == "native"
    assert body["data"]["actor"]["kind"] == "api_key"
    assert body["data"]["contact"] == created.json()
    assert json.loads(request.body) == body
