"""Where the surface, the request id and the actor of an event come from: the native API, the admin, the
middleware's request id, commands and imports."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from contacts.models import Membership
from contacts.services.contacts import create_contact
from events.context import current_request_id, current_surface, event_context, set_surface
from events.models import ContactEvent
from tests.factories import ContactFactory, make_api_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def native(organization):
    from rest_framework.test import APIClient

    _, secret = make_api_key(organization, name="Sync job")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def event_row() -> tuple:
    event = ContactEvent.objects.get()
    return event.type, event.surface, event.actor_kind, event.actor_name, event.request_id


def test_a_native_create_names_the_native_surface_its_key_and_the_callers_request_id(native):
    response = native.post("/api/v1/contacts", {"name": "Ana"}, format="json", HTTP_X_REQUEST_ID="abc-123")

    assert response.status_code == 201, response.content
    assert event_row() == ("contact.created", "native", "api_key", "Sync job", "abc-123")


@pytest.mark.parametrize(
    "given",
    ["x" * 101, "tab\tinside", "caf\u00e9", ""],
    ids=["too-long", "control-character", "not-ascii", "empty"],
)
def test_an_unusable_request_id_is_replaced_by_a_new_one(native, given):
    response = native.post("/api/v1/contacts", {"name": "Ana"}, format="json", HTTP_X_REQUEST_ID=given)

    assert response.status_code == 201, response.content
    request_id = event_row()[4]
    assert request_id != given
    assert len(request_id) == 32 and int(request_id, 16) >= 0


def test_a_request_id_of_100_printable_characters_is_kept(native):
    given = "r" * 99 + "~"

    native.post("/api/v1/contacts", {"name": "Ana"}, format="json", HTTP_X_REQUEST_ID=given)

    assert event_row()[4] == given


def test_an_admin_delete_names_the_admin_surface_and_the_user(organization, staff_client):
    contact = ContactFactory(organization=organization)
    client = staff_client(organization, role=Membership.Role.ADMIN, username="grace")

    response = client.post(reverse("admin:contacts_contact_delete", args=[contact.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert event_row()[:4] == ("contact.deleted", "admin", "user", "grace")


def test_the_request_context_ends_with_the_request(native):
    native.post("/api/v1/contacts", {"name": "Ana"}, format="json", HTTP_X_REQUEST_ID="abc-123")

    assert (current_surface(), current_request_id()) == ("system", "")


def test_an_event_context_restores_what_was_set_inside_it():
    with event_context(surface="import", request_id="outer"):
        with event_context(request_id="inner"):
            set_surface("native")
            assert (current_surface(), current_request_id()) == ("native", "inner")
        assert (current_surface(), current_request_id()) == ("import", "outer")
    assert (current_surface(), current_request_id()) == ("system", "")


def test_a_write_outside_any_edge_is_the_system_surface(organization):
    create_contact(organization=organization, name="Ana")

    assert event_row() == ("contact.created", "system", "system", "", "")


def test_a_management_command_is_the_command_surface(organization, tmp_path):
    source = tmp_path / "people.csv"
    source.write_bytes(b"Mobile,Full Name\n+12125550100,Ana\n")

    call_command("import_contacts", str(source), "--org", "acme", "--no-progress", stdout=StringIO(), stderr=StringIO())

    assert event_row() == ("contact.created", "command", "system", "", "")
