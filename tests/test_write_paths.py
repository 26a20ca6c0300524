"""Every write path goes through the services: each one reports exactly one `contacts_changed` per write, naming the
contacts it wrote, and a refused write reports nothing.

`contacts.services.changes.record_change` is the only sender of `contacts_changed`, so a surface that wrote rows
itself (or through a model's `save()`) would show here as a missing or extra change. The paths: each dialect's
create, update and delete, the admin's contact form (add and change), its delete and bulk delete, every bulk action,
the importer (the admin's upload and `manage.py import_contacts`).

Each write also appears in the change history: one event per contact written, naming the surface it came through
and the actor (the dialect's credential, the admin's user, the importing user, or none for a command).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

import contacts.admin.imports  # noqa: F401 - registers ImportJobAdmin
from contacts.models import Contact, Membership
from contacts.services.changes import contacts_changed
from events.models import ContactEvent
from tests.dialects.base import Awal, Callbell, CommittingAPIClient, Contactship, Mobivate, Sfmc
from tests.factories import ContactFactory, ContactGroupFactory, TagFactory, TeamFactory, make_api_key

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def changes():
    """Every `contacts_changed` sent during the test, as (kind, organization id, contact ids)."""
    seen: list[tuple[str, int, tuple[int, ...]]] = []

    def receiver(sender, organization_id, contact_ids, actor, **kwargs):
        seen.append((str(sender), organization_id, tuple(contact_ids)))

    contacts_changed.connect(receiver, weak=False, dispatch_uid="tests.test_write_paths")
    yield seen
    contacts_changed.disconnect(dispatch_uid="tests.test_write_paths")


@dataclass
class World:
    """What a write path needs: the organization, an existing contact (john) and a second one (jane)."""

    organization: object
    api_client: object
    john: Contact
    jane: Contact


@pytest.fixture
def world(organization):
    john = ContactFactory(
        organization=organization, name="John", alias="john", phone="+12125550199", contact_key="john@example.com",
        email="john@example.com",
    )  # fmt: skip
    jane = ContactFactory(organization=organization, name="Jane", alias="jane", phone="+12125550198")
    return World(organization, CommittingAPIClient(), john, jane)


def created(**lookup) -> Callable[[World], list]:
    """One 'created' change naming the contact the write made (found by `lookup` once the write is done)."""
    return lambda w: [("created", w.organization.pk, (Contact.objects.get(**lookup).pk,))]


def of_john(kind: str) -> Callable[[World], list]:
    return lambda w: [(kind, w.organization.pk, (w.john.pk,))]


NOTHING: Callable[[World], list] = lambda w: []  # noqa: E731


# --- the five dialects ------------------------------------------------------------------------------------------


def mobivate(w: World):
    return Mobivate.authenticate(w.api_client, make_api_key(w.organization)[1])


def contactship(w: World):
    return Contactship.authenticate(w.api_client, make_api_key(w.organization)[1])


def callbell(w: World):
    return Callbell.authenticate(w.api_client, make_api_key(w.organization)[1])


def awal(w: World):
    return Awal.authenticate(w.api_client, w.organization)


def sfmc(w: World):
    from contacts.services import credentials

    client, _ = credentials.create_oauth_client(organization=w.organization, name="SFMC", client_id="sfmc", secret="s")
    return Sfmc.authenticate(w.api_client, client)


def sfmc_email(key: str, email: str) -> dict:
    values = [{"name": "Email Address", "value": email}, {"name": "HTML Enabled", "value": True}]
    return {"contactKey": key, "attributeSets": [{"name": "Email Addresses", "items": [{"values": values}]}]}


def sfmc_mobile(key: str, phone: str) -> dict:
    values = [{"name": "Mobile Number", "value": phone}, {"name": "Locale", "value": "US"}]
    return {"contactKey": key, "attributeSets": [{"name": "MobileConnect Demographics", "items": [{"values": values}]}]}


def post_json(client, url: str, body) -> object:
    return client.post(url, data=json.dumps(body), content_type=JSON)


def patch_json(client, url: str, body) -> object:
    return client.patch(url, data=json.dumps(body), content_type=JSON)


# name: (send the request, expected status, expected changes)
DIALECT_WRITES: dict[str, tuple[Callable, int, Callable]] = {
    "mobivate-create": (
        lambda w: post_json(mobivate(w), "/mobivate/addressbook/contacts", {"alias": "ana", "msisdn": "12125550100"}),
        200, created(alias="ana"),
    ),
    "mobivate-update": (
        lambda w: post_json(mobivate(w), f"/mobivate/addressbook/contacts/{w.john.uuid}", {"alias": "johnny"}),
        200, of_john("updated"),
    ),
    "mobivate-delete": (
        lambda w: mobivate(w).delete("/mobivate/addressbook/contacts/12125550199"), 200, of_john("deleted"),
    ),
    "mobivate-create-refused": (
        lambda w: post_json(mobivate(w), "/mobivate/addressbook/contacts", {"alias": "ana", "msisdn": "12"}),
        400, NOTHING,
    ),
    "mobivate-update-refused": (
        lambda w: post_json(mobivate(w), f"/mobivate/addressbook/contacts/{w.john.uuid}", {"alias": "jane"}),
        400, NOTHING,
    ),
    "contactship-create": (
        lambda w: post_json(
            contactship(w), "/contactship/v1/contacts", {"phone_number": "+12125550100", "full_name": "Ana"}
        ),
        201, created(phone="+12125550100"),
    ),
    "contactship-update": (
        lambda w: patch_json(contactship(w), f"/contactship/v1/contacts/{w.john.uuid}", {"country": "México"}),
        200, of_john("updated"),
    ),
    "contactship-delete": (
        lambda w: contactship(w).delete(f"/contactship/v1/contacts/{w.john.uuid}"), 204, of_john("deleted"),
    ),
    "contactship-create-refused": (
        lambda w: post_json(
            contactship(w), "/contactship/v1/contacts", {"phone_number": "+12125550198", "full_name": "Ana"}
        ),
        409, NOTHING,
    ),
    "contactship-update-refused": (
        lambda w: patch_json(contactship(w), f"/contactship/v1/contacts/{w.john.uuid}", {"email": "not-an-email"}),
        400, NOTHING,
    ),
    "callbell-create": (
        lambda w: post_json(
            callbell(w), "/callbell/v1/contacts", {"identifier": "12125550100", "source": "whatsapp", "name": "Ana"}
        ),
        200, created(name="Ana"),
    ),
    "callbell-update": (
        lambda w: patch_json(callbell(w), f"/callbell/v1/contacts/{w.john.uuid.hex}", {"name": "Joe Doe NEW"}),
        200, of_john("updated"),
    ),
    "callbell-delete": (
        lambda w: callbell(w).delete(f"/callbell/v1/contacts/{w.john.uuid.hex}"), 200, of_john("deleted"),
    ),
    "callbell-create-refused": (lambda w: post_json(callbell(w), "/callbell/v1/contacts", {}), 400, NOTHING),
    "callbell-update-refused": (
        lambda w: patch_json(callbell(w), f"/callbell/v1/contacts/{w.john.uuid.hex}", {"tags": ["No such tag"]}),
        422, NOTHING,
    ),
    "awal-create": (
        lambda w: awal(w).create({"name": "Ana", "phone": "966501234567"}), 201, created(name="Ana"),
    ),
    "awal-update": (lambda w: awal(w).patch(w.john.pk, {"name": "New"}), 200, of_john("updated")),
    "awal-delete": (lambda w: awal(w).delete(f"/contacts/{w.john.pk}"), 200, of_john("deleted")),
    "awal-create-refused": (lambda w: awal(w).create({"name": "", "phone": "966501234567"}), 422, NOTHING),
    "awal-update-refused": (lambda w: awal(w).patch(w.john.pk, {"phone": "12125550198"}), 409, NOTHING),
    "sfmc-create": (
        lambda w: sfmc(w).post("/sfmc/contacts/v1/contacts", sfmc_email("ana@example.com", "ana@example.com"),
                               format="json"),
        200, created(contact_key="ana@example.com"),
    ),
    "sfmc-update": (
        lambda w: sfmc(w).patch("/sfmc/contacts/v1/contacts", sfmc_email("john@example.com", "new@example.com"),
                                format="json"),
        200, of_john("updated"),
    ),
    "sfmc-delete": (
        lambda w: sfmc(w).post("/sfmc/contacts/v1/contacts/actions/delete?type=keys",
                               {"values": ["john@example.com"]}, format="json"),
        200, of_john("deleted"),
    ),
    "sfmc-create-refused": (
        lambda w: sfmc(w).post("/sfmc/contacts/v1/contacts", sfmc_mobile("ana@example.com", "212-555-0198"),
                               format="json"),
        400, NOTHING,
    ),
    "sfmc-update-refused": (
        lambda w: sfmc(w).patch("/sfmc/contacts/v1/contacts", sfmc_mobile("john@example.com", "212-555-0198"),
                                format="json"),
        200, NOTHING,  # SFMC answers a refused PATCH with 200 and a FAIL body (docs/dialects/sfmc.md)
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(DIALECT_WRITES))
def test_a_dialect_write_reports_one_change_through_the_services(world, changes, name):
    send, status, expected = DIALECT_WRITES[name]

    response = send(world)

    assert response.status_code == status, response.content
    assert changes == expected(world)


def recorded() -> list[tuple]:
    """The events written, oldest first, as (type, contact uuid, surface, actor kind, actor name)."""
    return [
        (e.type, str(e.contact_uuid), e.surface, e.actor_kind, e.actor_name)
        for e in ContactEvent.objects.order_by("id")
    ]


DIALECT_ACTORS = {
    "mobivate": ("api_key", "test key"),
    "contactship": ("api_key", "test key"),
    "callbell": ("api_key", "test key"),
    "awal": ("hmac_client", "Acme Awal"),
    "sfmc": ("oauth_client", "SFMC"),
}
EVENT_TYPES = {"create": "contact.created", "update": "contact.updated", "delete": "contact.deleted"}


@pytest.mark.parametrize("name", list(DIALECT_WRITES))
def test_a_dialect_write_appears_in_the_history_with_its_surface_and_credential(world, changes, name):
    send, status, _ = DIALECT_WRITES[name]
    dialect, operation = name.split("-", 1)
    john = str(world.john.uuid)

    response = send(world)

    assert response.status_code == status, response.content
    if operation.endswith("refused"):
        assert recorded() == []
        return
    contact = john if operation != "create" else str(Contact.objects.get(pk=changes[0][2][0]).uuid)
    assert recorded() == [(EVENT_TYPES[operation], contact, dialect, *DIALECT_ACTORS[dialect])]


# --- the admin --------------------------------------------------------------------------------------------------

INLINE = {"channel_identities-TOTAL_FORMS": "0", "channel_identities-INITIAL_FORMS": "0"}


def form_data(**values) -> dict:
    """A contact form as a browser posts it: every field, empty unless given."""
    data = {
        "name": "", "full_name": "", "alias": "", "contact_key": "", "phone": "", "email": "", "source": "manual",
        "avatar_url": "", "country": "", "address": "", "description": "", "note": "", "bot_status": "",
        "branch": "", "team": "", "assigned_user": "", **INLINE,
    }  # fmt: skip
    data.update(values)
    return data


def change_url(contact: Contact) -> str:
    return reverse("admin:contacts_contact_change", args=[contact.pk])


def admin_action(client, action: str, selected: list[Contact], **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in selected], "index": 0, "apply": "1", **extra}
    return client.post(reverse("admin:contacts_contact_changelist"), data)


def both(kind: str) -> Callable[[World], list]:
    return lambda w: [(kind, w.organization.pk, tuple(sorted([w.john.pk, w.jane.pk])))]


ADMIN_WRITES: dict[str, tuple[Callable, int, Callable]] = {
    "add": (
        lambda c, w: c.post(reverse("admin:contacts_contact_add"), form_data(name="Walk-in", phone="(212) 555-0100")),
        302, created(name="Walk-in"),
    ),
    "change": (
        lambda c, w: c.post(change_url(w.john), form_data(name="Renamed", phone="+12125550199", alias="john",
                                                          contact_key="john@example.com", email="john@example.com")),
        302, of_john("updated"),
    ),
    "delete": (
        lambda c, w: c.post(reverse("admin:contacts_contact_delete", args=[w.john.pk]), {"post": "yes"}),
        302, of_john("deleted"),
    ),
    "bulk-delete": (
        lambda c, w: admin_action(c, "delete_selected", [w.john, w.jane], post="yes"),
        302, lambda w: [("deleted", w.organization.pk, (pk,)) for pk in sorted([w.john.pk, w.jane.pk])],
    ),
    "add_tag": (
        lambda c, w: admin_action(c, "add_tag", [w.john, w.jane], tag=TagFactory(organization=w.organization).pk),
        302, both("tagged"),
    ),
    "remove_tag": (
        lambda c, w: admin_action(c, "remove_tag", [w.john, w.jane], tag=tagged_both(w).pk),
        302, both("untagged"),
    ),
    "add_to_group": (
        lambda c, w: admin_action(
            c, "add_to_group", [w.john, w.jane], group=ContactGroupFactory(organization=w.organization).pk
        ),
        302, both("grouped"),
    ),
    "assign": (
        lambda c, w: admin_action(
            c, "assign", [w.john, w.jane], assigned_user=c.user.pk, team=TeamFactory(organization=w.organization).pk
        ),
        302, both("assigned"),
    ),
    "mark_favorite": (lambda c, w: admin_action(c, "mark_favorite", [w.john, w.jane]), 302, both("updated")),
    # Refused: the form is shown again with the service's message, nothing written.
    "add-refused": (
        lambda c, w: c.post(reverse("admin:contacts_contact_add"), form_data(name="Dup", phone="212-555-0199")),
        200, NOTHING,
    ),
    "change-refused": (
        lambda c, w: c.post(change_url(w.john), form_data(name="Renamed", phone="+12125550198")), 200, NOTHING,
    ),
}  # fmt: skip


def tagged_both(w: World):
    tag = TagFactory(organization=w.organization)
    w.john.tags.add(tag)
    w.jane.tags.add(tag)
    return tag


@pytest.mark.parametrize("name", list(ADMIN_WRITES))
def test_an_admin_write_reports_one_change_through_the_services(world, staff_client, changes, name):
    send, status, expected = ADMIN_WRITES[name]
    client = staff_client(world.organization, role=Membership.Role.ADMIN, username="writer")

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = send(client, world)

    assert response.status_code == status, response.content
    assert changes == expected(world)
    admin_types = ADMIN_EVENT_TYPES[name]
    assert [(kind, surface, actor_kind, actor_name) for kind, _, surface, actor_kind, actor_name in recorded()] == [
        (kind, "admin", "user", "writer") for kind in admin_types
    ]


ADMIN_EVENT_TYPES = {
    "add": ["contact.created"],
    "change": ["contact.updated"],
    "delete": ["contact.deleted"],
    "bulk-delete": ["contact.deleted", "contact.deleted"],
    "add_tag": ["contact.tagged", "contact.tagged"],
    "remove_tag": ["contact.untagged", "contact.untagged"],
    "add_to_group": ["contact.grouped", "contact.grouped"],
    "assign": ["contact.updated", "contact.updated"],
    "mark_favorite": ["contact.updated", "contact.updated"],
    "add-refused": [],
    "change-refused": [],
}


# --- the importer -----------------------------------------------------------------------------------------------

CSV = b"Mobile,Full Name\n+12125550100,Ana\n+12125550101,Bob\nbad,Nobody\n"
UPDATE_CSV = b"Mobile,Full Name\n+12125550199,John Updated\n"
REFUSED_CSV = b"Mobile,Full Name\nbad,Nobody\nworse,Nobody\n"


def imported(*phones: str) -> Callable[[World], list]:
    def expected(w: World) -> list:
        ids = sorted(Contact.objects.filter(organization=w.organization, phone__in=phones).values_list("pk"))
        assert len(ids) == len(phones)
        return [("imported", w.organization.pk, tuple(pk for (pk,) in ids))]

    return expected


IMPORTS = {
    "creates": (CSV, imported("+12125550100", "+12125550101")),
    "updates": (UPDATE_CSV, of_john("imported")),
    "refused": (REFUSED_CSV, NOTHING),
}


def admin_import(client, data: bytes) -> None:
    form = {"mode": "upsert", "match_on": "phone", "create_missing": "on", "encoding": ""}
    page = client.post(
        reverse("admin:contacts_importjob_upload"),
        {**form, "file": SimpleUploadedFile("people.csv", data, content_type="text/csv")},
    )
    assert page.status_code == 200, page.content
    token = page.context["form"]["token"].value()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("admin:contacts_importjob_map"),
            {**form, "token": token, "column_0": "phone", "column_1": "full_name"},
        )
    assert response.status_code == 302, response.content


@pytest.mark.parametrize("name", list(IMPORTS))
def test_an_admin_import_reports_one_change_per_batch(world, staff_client, changes, name):
    data, expected = IMPORTS[name]

    admin_import(staff_client, data)

    assert changes == expected(world)
    assert {(surface, actor_kind, actor_name) for _, _, surface, actor_kind, actor_name in recorded()} <= {
        ("import", "user", staff_client.user.username)
    }
    assert len(recorded()) == len(changes[0][2]) if changes else recorded() == []


@pytest.mark.parametrize("name", list(IMPORTS))
def test_the_import_command_reports_one_change_per_batch(world, changes, tmp_path, name):
    data, expected = IMPORTS[name]
    source = tmp_path / "people.csv"
    source.write_bytes(data)

    call_command("import_contacts", str(source), "--org", "acme", "--no-progress", stdout=StringIO(), stderr=StringIO())

    assert changes == expected(world)
    written = [str(uuid) for uuid in Contact.objects.filter(pk__in=changes[0][2] if changes else []).values_list(
        "uuid", flat=True).order_by("pk")]  # fmt: skip
    kind = "contact.updated" if name == "updates" else "contact.created"
    assert recorded() == [(kind, uuid, "command", "system", "") for uuid in written]


def test_an_import_in_two_batches_reports_two_changes(world, changes, tmp_path):
    source = tmp_path / "people.csv"
    source.write_bytes(CSV)

    call_command(
        "import_contacts", str(source), "--org", "acme", "--no-progress", "--batch-size", "1",
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip

    ana, bob = (Contact.objects.get(phone=phone).pk for phone in ("+12125550100", "+12125550101"))
    assert changes == [("imported", world.organization.pk, (ana,)), ("imported", world.organization.pk, (bob,))]
