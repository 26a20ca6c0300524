"""`Idempotency-Key` records are database rows written in the request's transaction: every process sees them (no
cache is shared here), a request that rolled back leaves none, they last 24 hours and `purge_idempotency_keys`
deletes them after that."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from contacts.models import Contact, IdempotencyRecord
from contacts.services.changes import contacts_changed
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db

SCOPES = ["contacts:read", "contacts:write", "contacts:delete", "settings:write"]


@pytest.fixture(autouse=True)
def own_cache(settings, request):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": request.node.nodeid}
    }


@pytest.fixture
def secret(organization):
    return make_api_key(organization, scopes=SCOPES)[1]


def process(secret):
    """A client of another process: the cache it reaches holds nothing (only the database is shared)."""
    cache.clear()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def post(client, body, key, path="/api/v1/contacts"):
    return client.post(path, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def rows():
    return list(IdempotencyRecord.objects.order_by("key").values_list("key", "state", "status_code"))


def test_a_retry_reaching_another_process_replays_the_answer(secret):
    first = post(process(secret), {"name": "Ada", "phone": "+14155550100"}, "r-1")
    second = post(process(secret), {"name": "Ada", "phone": "+14155550100"}, "r-1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Location"] == first["Location"]
    assert second["Idempotent-Replayed"] == "true"
    assert Contact.objects.count() == 1
    assert rows() == [("r-1", "done", 201)]


def test_another_request_under_the_key_in_another_process_is_a_422(secret):
    post(process(secret), {"name": "Ada"}, "r-2")

    other_body = post(process(secret), {"name": "Grace"}, "r-2")
    other_path = post(process(secret), {"name": "Ada"}, "r-2", path="/api/v1/tags")

    assert (other_body.status_code, other_path.status_code) == (422, 422)
    assert other_body.json()["type"] == "urn:crm:problem:idempotency-key-reused"
    assert list(Contact.objects.values_list("name", flat=True)) == ["Ada"]
    assert rows() == [("r-2", "done", 201)]


def test_the_record_is_in_progress_inside_the_request_and_done_with_its_commit(secret):
    seen = []

    def look(sender, **kwargs):
        seen.append(rows())

    contacts_changed.connect(look, weak=False, dispatch_uid="tests.native.idempotency_records")
    try:
        response = post(process(secret), {"name": "Ada"}, "r-3")
    finally:
        contacts_changed.disconnect(dispatch_uid="tests.native.idempotency_records")

    assert response.status_code == 201
    assert seen == [[("r-3", "in_progress", None)]]
    assert rows() == [("r-3", "done", 201)]


def test_a_request_that_fails_after_writing_leaves_no_record_and_its_retry_runs(secret):
    def fail(sender, **kwargs):
        raise RuntimeError("the process dies before the commit")

    contacts_changed.connect(fail, weak=False, dispatch_uid="tests.native.idempotency_records")
    try:
        failed = post(process(secret), {"name": "Ada"}, "r-4")
    finally:
        contacts_changed.disconnect(dispatch_uid="tests.native.idempotency_records")
    assert failed.status_code == 500
    assert (Contact.objects.count(), rows()) == (0, [])

    retried = post(process(secret), {"name": "Ada"}, "r-4")

    assert retried.status_code == 201
    assert retried.has_header("Idempotent-Replayed") is False
    assert (Contact.objects.count(), rows()) == (1, [("r-4", "done", 201)])


def test_a_refusal_leaves_no_record(secret):
    refused = post(process(secret), {"name": "Ada", "tags": ["Nope"]}, "r-5")

    assert refused.status_code == 422
    assert rows() == []


def test_the_answer_is_kept_24_hours_then_the_key_is_free(secret):
    post(process(secret), {"name": "Ada"}, "r-6")
    record = IdempotencyRecord.objects.get()
    IdempotencyRecord.objects.update(created_at=record.created_at - dt.timedelta(hours=23, minutes=59))
    kept = post(process(secret), {"name": "Ada"}, "r-6")
    IdempotencyRecord.objects.update(created_at=record.created_at - dt.timedelta(hours=24, seconds=1))
    expired = post(process(secret), {"name": "Ada"}, "r-6")

    assert (kept.status_code, kept["Idempotent-Replayed"]) == (201, "true")
    assert expired.status_code == 201
    assert expired.has_header("Idempotent-Replayed") is False
    assert Contact.objects.count() == 2
    assert IdempotencyRecord.objects.get().created_at > record.created_at


def test_keys_of_another_credential_are_independent(organization, other_organization, secret):
    _, same_org = make_api_key(organization, scopes=SCOPES)
    _, other_org = make_api_key(other_organization, scopes=SCOPES)

    answers = [
        post(process(secret), {"name": "Ada"}, "r-7"),
        post(process(same_org), {"name": "Grace"}, "r-7"),
        post(process(other_org), {"name": "Edsger"}, "r-7"),
    ]

    assert [(r.status_code, r.has_header("Idempotent-Replayed")) for r in answers] == [(201, False)] * 3
    assert sorted(Contact.objects.values_list("name", flat=True)) == ["Ada", "Edsger", "Grace"]
    assert IdempotencyRecord.objects.filter(key="r-7").count() == 3
    assert set(IdempotencyRecord.objects.values_list("organization__slug", flat=True)) == {"acme", "globex"}


def test_purge_deletes_the_records_older_than_24_hours(organization):
    now = timezone.now()
    ages = {"fresh": dt.timedelta(hours=1), "kept": dt.timedelta(hours=23, minutes=59), "old": dt.timedelta(days=3)}
    for key, age in ages.items():
        IdempotencyRecord.objects.create(
            organization=organization, credential="ApiKey:1", key=key, fingerprint="0" * 64, created_at=now - age
        )
    out = io.StringIO()

    call_command("purge_idempotency_keys", stdout=out)

    assert out.getvalue() == "Deleted 1 Idempotency-Key record older than 24 hours.\n"
    assert sorted(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh", "kept"]
