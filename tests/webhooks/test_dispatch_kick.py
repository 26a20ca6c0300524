"""A committed service write tells the dispatcher at once (the services write events in bulk, without post_save)."""

from __future__ import annotations

import pytest

from contacts.services.contacts import create_contact
from webhooks import runner

pytestmark = pytest.mark.django_db


def test_a_service_write_kicks_the_dispatcher_when_it_commits(
    organization, monkeypatch, django_capture_on_commit_callbacks
):
    kicks = []
    monkeypatch.setattr(runner, "kick", lambda: kicks.append("kick"))

    with django_capture_on_commit_callbacks(execute=True):
        create_contact(organization=organization, name="Ada")
        assert kicks == []

    assert kicks == ["kick"]
