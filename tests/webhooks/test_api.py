"""`/api/v1/webhooks`: create (the secret in that answer only), list, retrieve, patch, delete, rotate, test."""

from __future__ import annotations

import pytest
from standardwebhooks.webhooks import Webhook

from contacts import crypto
from webhooks import runner
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookSecret

pytestmark = pytest.mark.django_db

URL = "https://93.184.216.34/hooks"


@pytest.fixture
def api(organization, client_for):
    return client_for(organization)


def test_create_answers_201_with_the_secret_once_and_stores_it_encrypted(api, organization):
    response = api.post(
        "/api/v1/webhooks",
        {"url": URL, "event_types": ["contact.created", "contact.deleted"], "description": "CRM sync"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert response["Location"] == f"/api/v1/webhooks/{endpoint.uuid}"
    assert response["Cache-Control"] == "no-store"
    assert body["secret"].startswith("whsec_")
    assert {k: v for k, v in body.items() if k not in ("secret", "created_at", "updated_at")} == {
        "id": str(endpoint.uuid),
        "url": URL,
        "description": "CRM sync",
        "event_types": ["contact.created", "contact.deleted"],
        "enabled": True,
        "disabled_at": None,
        "disabled_reason": None,
        "failing_since": None,
    }
    stored = WebhookSecret.objects.get(endpoint=endpoint).encrypted
    assert body["secret"] not in stored
    assert crypto.decrypt(stored) == body["secret"]

    again = api.get(f"/api/v1/webhooks/{endpoint.uuid}")
    assert again.status_code == 200
    assert "secret" not in again.json()
    assert again.json()["url"] == URL


def test_list_shows_only_the_keys_organization(api, organization, other_organization, client_for):
    api.post("/api/v1/webhooks", {"url": URL}, format="json")
    client_for(other_organization).post("/api/v1/webhooks", {"url": URL + "/other"}, format="json")
    response = api.get("/api/v1/webhooks")
    assert response.status_code == 200
    assert [row["url"] for row in response.json()["results"]] == [URL]
    assert response.json()["next_cursor"] is None


def test_patch_changes_types_and_disables_then_enables(api):
    created = api.post("/api/v1/webhooks", {"url": URL}, format="json").json()
    path = f"/api/v1/webhooks/{created['id']}"
    response = api.patch(path, {"event_types": ["contact.updated"], "enabled": False}, format="json")
    assert response.status_code == 200
    assert response.json()["event_types"] == ["contact.updated"]
    assert response.json()["enabled"] is False
    assert response.json()["disabled_reason"] == "Disabled by a user"
    response = api.patch(path, {"enabled": True}, format="json")
    assert (response.json()["enabled"], response.json()["disabled_reason"]) == (True, None)


@pytest.mark.parametrize(
    ("body", "status", "field", "code"),
    [
        ({}, 400, "url", "required"),
        ({"url": URL, "event_types": ["contact.exploded"]}, 400, "event_types", "invalid"),
        ({"url": URL, "secret": "whsec_x"}, 400, "secret", "unknown_field"),
        ({"url": URL, "enabled": "yes"}, 400, "enabled", "invalid"),
        ({"url": "not a url"}, 422, "url", "invalid_url"),
    ],
)
def test_invalid_bodies_are_problems_naming_the_field(api, body, status, field, code):
    response = api.post("/api/v1/webhooks", body, format="json")
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert [(e["field"], e["code"]) for e in response.json()["errors"]][:1] == [(field, code)]


def test_delete_then_404(api):
    created = api.post("/api/v1/webhooks", {"url": URL}, format="json").json()
    assert api.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
    missing = api.get(f"/api/v1/webhooks/{created['id']}")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Webhook endpoint not found"
    assert WebhookEndpoint.objects.count() == 0


def test_another_organizations_endpoint_is_not_found(api, other_organization, client_for):
    theirs = client_for(other_organization).post("/api/v1/webhooks", {"url": URL}, format="json").json()
    assert api.get(f"/api/v1/webhooks/{theirs['id']}").status_code == 404
    assert api.delete(f"/api/v1/webhooks/{theirs['id']}").status_code == 404
    assert WebhookEndpoint.objects.count() == 1


def test_rotate_secret_returns_a_new_one_and_both_sign_until_the_overlap_ends(api, organization, receiver):
    created = api.post("/api/v1/webhooks", {"url": receiver.url}, format="json").json()
    rotated = api.post(f"/api/v1/webhooks/{created['id']}/rotate-secret", format="json")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != created["secret"]
    assert rotated.json()["previous_valid_until"].endswith("Z")

    test = api.post(f"/api/v1/webhooks/{created['id']}/test", format="json")
    assert test.status_code == 202
    runner.run_pending()
    (request,) = receiver.requests
    assert request.headers["webhook-id"] == test.json()["webhook_id"]
    assert Webhook(created["secret"]).verify(request.body, request.headers)["type"] == "webhook.test"
    assert Webhook(new).verify(request.body, request.headers)["data"]["contact"] is None
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_reading_needs_contacts_read(organization, client_for):
    api = client_for(organization, scopes=["settings:write"])
    assert api.get("/api/v1/webhooks").status_code == 403
