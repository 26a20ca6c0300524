"""Recording a credential's use never makes a second request with the same credential wait for the first."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from contacts.models import ApiKey
from contacts.services import credentials
from tests.factories import OrganizationFactory, make_api_key


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_request_with_the_same_key_does_not_wait_for_the_first_to_commit():
    key, secret = make_api_key(OrganizationFactory(slug="touch-race"))
    assert key.last_used_at is None
    first_touched, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first_request():
        try:
            with transaction.atomic():
                credentials.authenticate_api_key(secret)  # writes last_used_at: the row stays locked until commit
                first_touched.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    def second_request():
        try:
            with transaction.atomic():
                outcome["second"] = credentials.authenticate_api_key(secret).pk
        finally:
            connection.close()

    first = threading.Thread(target=first_request)
    first.start()
    assert first_touched.wait(timeout=10)
    second = threading.Thread(target=second_request)
    second.start()
    second.join(timeout=10)
    finished_while_first_open = not second.is_alive()
    release.set()
    first.join(timeout=10)
    second.join(timeout=10)

    assert finished_while_first_open
    assert outcome == {"second": key.pk}
    assert ApiKey.objects.get(pk=key.pk).last_used_at is not None
