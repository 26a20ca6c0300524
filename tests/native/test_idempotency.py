"""`Idempotency-Key`: a retry replays the kept answer and writes nothing; another request with the key is a 422;
a key whose first request still runs is a 409."""

from __future__ import annotations

import json

import pytest

from contacts.api.native import idempotency
from contacts.models import Contact, Tag
from contacts.services.changes import contacts_changed
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def post(api, body, key, path="/api/v1/contacts", **extra):
    return api.post(path, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **extra)


def test_a_retry_replays_the_kept_answer_and_creates_nothing(api):
    first = post(api, {"name": "Ada", "phone": "+14155550100"}, "k-1")
    # The same JSON written differently is the same request.
    second = api.post(
        "/api/v1/contacts",
        '{ "phone": "+14155550100",  "name": "Ada" }',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Location"] == first["Location"]
    assert second["Idempotent-Replayed"] == "true"
    assert first.has_header("Idempotent-Replayed") is False
    assert Contact.objects.count() == 1


def test_the_same_key_for_another_request_is_a_422(api):
    post(api, {"name": "Ada"}, "k-2")

    response = post(api, {"name": "Grace"}, "k-2")

    assert response.status_code == 422
    assert response.json() == {
        "type": "urn:crm:problem:idempotency-key-reused",
        "title": "The Idempotency-Key belongs to another request",
        "status": 422,
        "detail": "This Idempotency-Key was used for another request; use a new key for a new request",
        "errors": [
            {
                "field": "Idempotency-Key",
                "code": "idempotency_key_reused",
                "message": "This Idempotency-Key was used for another request; use a new key for a new request",
            }
        ],
    }
    assert list(Contact.objects.values_list("name", flat=True)) == ["Ada"]


def test_a_key_whose_first_request_still_runs_is_a_409(api):
    seen = []

    def retry_while_running(sender, **kwargs):
        # The first request is inside its transaction here, holding the key: its retry arrives now.
        seen.append(post(api, {"name": "Ada"}, "k-3"))

    contacts_changed.connect(retry_while_running, weak=False, dispatch_uid="tests.native.idempotency")
    try:
        first = post(api, {"name": "Ada"}, "k-3")
    finally:
        contacts_changed.disconnect(dispatch_uid="tests.native.idempotency")

    assert first.status_code == 201
    assert [response.status_code for response in seen] == [409]
    assert (
        seen[0].json()["detail"] == "A request with this Idempotency-Key is still running; retry when it has finished"
    )
    assert Contact.objects.count() == 1


def test_a_refusal_is_not_kept_so_the_corrected_retry_runs(api, organization):
    refused = post(api, {"name": "Ada", "tags": ["VIP"]}, "k-4")
    Tag.objects.create(organization=organization, name="VIP")
    retried = post(api, {"name": "Ada", "tags": ["VIP"]}, "k-4")

    assert (refused.status_code, retried.status_code) == (422, 201)
    assert retried.has_header("Idempotent-Replayed") is False


def test_keys_belong_to_the_credential_that_sent_them(api, organization, client_for):
    other = client_for(organization)

    first = post(api, {"name": "Ada"}, "k-5")
    second = post(other, {"name": "Ada"}, "k-5")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["id"] != first.json()["id"]


def test_patch_and_delete_replay_too(api, organization):
    contact = ContactFactory(organization=organization, name="Ada")

    patched = [
        api.patch(f"/api/v1/contacts/{contact.uuid}", {"name": "Ada L"}, format="json", HTTP_IDEMPOTENCY_KEY="k-6")
        for _ in range(2)
    ]
    deleted = [api.delete(f"/api/v1/contacts/{contact.uuid}", HTTP_IDEMPOTENCY_KEY="k-7") for _ in range(2)]

    assert [r.status_code for r in patched] == [200, 200]
    assert patched[1].json() == patched[0].json()
    assert [r.status_code for r in deleted] == [204, 204]
    assert deleted[1]["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("key", ["", "x" * 256, "clé"])
def test_a_malformed_key_is_a_400(api, key):
    response = post(api, {"name": "Ada"}, key)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "Idempotency-Key",
            "code": "invalid",
            "message": "Idempotency-Key must be 1 to 255 printable ASCII characters",
        }
    ]
    assert Contact.objects.count() == 0


def test_reads_ignore_the_key(api):
    assert api.get("/api/v1/contacts", HTTP_IDEMPOTENCY_KEY="k-8").status_code == 200
    assert idempotency.HEADER == "Idempotency-Key"


def test_an_unknown_path_with_a_key_is_still_a_404(client):
    response = client.post("/api/v1/nothing", "{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-9")

    assert response.status_code == 404
    assert response.json()["type"] == "urn:crm:problem:not-found"
