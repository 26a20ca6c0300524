"""The admin writes contacts through the contact services: one service call per save, the service's refusals
shown on the form's fields (never a 500, never a row), no avatar file left by a failed save, bulk actions through
the bulk services, and two simultaneous saves of one phone ending as one contact and one form error."""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from PIL import Image

from contacts.admin.contacts import ContactAdmin
from contacts.models import Contact, Membership
from contacts.services import bulk, contacts, tagging
from contacts.services.dashboard import dashboard_stats
from tests.factories import (
    BranchFactory,
    ContactFactory,
    ContactGroupFactory,
    CustomFieldFactory,
    MembershipFactory,
    TagFactory,
    TeamFactory,
    UserFactory,
)

ADD = "admin:contacts_contact_add"
CHANGELIST = "admin:contacts_contact_changelist"
INLINE = {"channel_identities-TOTAL_FORMS": "0", "channel_identities-INITIAL_FORMS": "0"}


def change_url(contact: Contact) -> str:
    return reverse("admin:contacts_contact_change", args=[contact.pk])


def form_data(**values) -> dict:
    """A contact form as a browser posts it: every field, empty unless given."""
    data = {
        "name": "", "full_name": "", "alias": "", "contact_key": "", "phone": "", "email": "", "source": "manual",
        "avatar_url": "", "country": "", "address": "", "description": "", "note": "", "bot_status": "",
        "branch": "", "team": "", "assigned_user": "", **INLINE,
    }  # fmt: skip
    data.update(values)
    return data


def png_upload(name: str = "me.png", shade: int = 10) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (shade, 120, 200)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def avatar_files() -> list[str]:
    folder = Path(settings.MEDIA_ROOT) / "avatars"
    return sorted(str(p.relative_to(settings.MEDIA_ROOT)) for p in folder.rglob("*") if p.is_file())


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


@pytest.fixture
def agent_client(staff_client, organization) -> Client:
    """An agent of `organization` (the least role that writes contacts in the admin), from the shared factory."""
    return staff_client(organization, role=Membership.Role.AGENT, username="agent")


# -- One service call per save ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_adding_a_contact_calls_create_contact_once(agent_client, organization):
    tag = TagFactory(organization=organization, name="vip")
    group = ContactGroupFactory(organization=organization, name="Customers")
    plan = CustomFieldFactory(organization=organization, key="plan", field_type="choice", choices=["free", "pro"])
    data = form_data(
        name="Walk-in", phone="(212) 555-0100", email="walk@in.test", tags=[tag.pk], groups=[group.pk],
        assigned_user=agent_client.user.pk, **{f"cf_{plan.pk}": "pro"},
    )  # fmt: skip

    with (
        mock.patch("contacts.admin.contacts.create_contact", wraps=contacts.create_contact) as create,
        mock.patch("contacts.admin.contacts.update_contact", wraps=contacts.update_contact) as update,
    ):
        response = agent_client.post(reverse(ADD), data)

    assert response.status_code == 302
    assert create.call_count == 1
    assert update.call_count == 0
    assert create.call_args.kwargs["organization"] == organization
    contact = Contact.objects.get()
    assert (contact.name, contact.phone_e164, contact.phone_valid, contact.email, contact.source) == (
        "Walk-in", "+12125550100", True, "walk@in.test", "manual",
    )  # fmt: skip
    assert [t.name for t in contact.tags.all()] == ["vip"]
    assert [g.name for g in contact.groups.all()] == ["Customers"]
    assert contact.assigned_user == agent_client.user
    assert contact.custom_fields == {"plan": "pro"}
    assert response["Location"] == reverse(CHANGELIST)


@pytest.mark.django_db
def test_changing_a_contact_calls_update_contact_once_with_what_changed(agent_client, organization):
    old, new = TagFactory(organization=organization, name="old"), TagFactory(organization=organization, name="new")
    contact = ContactFactory(organization=organization, name="Ann", phone="+12125550100", email="ann@acme.test")
    contact.tags.add(old)
    data = form_data(name="Ann Lee", phone="+1 212 555 0100", email="ann@acme.test", source="api", tags=[new.pk])

    with (
        mock.patch("contacts.admin.contacts.update_contact", wraps=contacts.update_contact) as update,
        mock.patch("contacts.admin.contacts.create_contact", wraps=contacts.create_contact) as create,
    ):
        response = agent_client.post(change_url(contact), data)

    assert response.status_code == 302
    assert create.call_count == 0
    assert update.call_count == 1
    # The phone was retyped in another format: the service reads it, it is the same number.
    assert sorted(update.call_args.kwargs) == ["actor", "custom_fields_mode", "name", "phone", "tags"]
    contact.refresh_from_db()
    assert (contact.name, contact.phone_e164, contact.email) == ("Ann Lee", "+12125550100", "ann@acme.test")
    assert [t.name for t in contact.tags.all()] == ["new"]


@pytest.mark.django_db
def test_emptying_a_custom_field_removes_it_and_keeps_the_others(agent_client, organization):
    plan = CustomFieldFactory(organization=organization, key="plan", field_type="choice", choices=["free", "pro"])
    birthday = CustomFieldFactory(organization=organization, key="birthday", field_type="date")
    contact = ContactFactory(
        organization=organization,
        phone="+12125550100",
        custom_fields={"legacy": "kept", "plan": "pro", "birthday": "1990-02-03"},
        custom_field_order=["legacy", "plan", "birthday"],
    )
    data = form_data(name=contact.name, phone="+12125550100", email=contact.email, source="api")
    data.update({f"cf_{plan.pk}": "", f"cf_{birthday.pk}": "1991-03-04"})

    response = agent_client.post(change_url(contact), data)

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.custom_fields == {"legacy": "kept", "birthday": "1991-03-04"}
    assert contact.custom_field_order == ["legacy", "birthday"]


# -- The service's refusals are form errors -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_duplicate_phone_is_an_error_on_the_phone_field(agent_client, organization):
    ContactFactory(organization=organization, name="First", phone="+12125550100")

    response = agent_client.post(reverse(ADD), form_data(name="Dup", phone="212-555-0100"))

    assert response.status_code == 200
    assert form_errors(response) == {"phone": ["A contact with this phone already exists."]}
    assert list(Contact.objects.values_list("name", flat=True)) == ["First"]
    assert not any(m.message for m in response.context["messages"])  # no "added successfully"


@pytest.mark.django_db
def test_changing_to_a_taken_phone_is_an_error_on_the_phone_field(agent_client, organization):
    ContactFactory(organization=organization, name="First", phone="+12125550100")
    second = ContactFactory(organization=organization, name="Second", phone="+12125550101")

    response = agent_client.post(change_url(second), form_data(name="Renamed", phone="+12125550100", source="api"))

    assert response.status_code == 200
    assert form_errors(response) == {"phone": ["A contact with this phone already exists."]}
    second.refresh_from_db()
    assert (second.name, second.phone_e164) == ("Second", "+12125550101")


@pytest.mark.django_db
def test_a_taken_alias_is_an_error_on_the_alias_field(agent_client, organization):
    ContactFactory(organization=organization, alias="ann")

    response = agent_client.post(reverse(ADD), form_data(name="Other Ann", alias="ann"))

    assert response.status_code == 200
    assert form_errors(response) == {"alias": ["A contact with this alias already exists."]}
    assert Contact.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed, message",
    [
        ("12ab", "'12ab' is not a phone number."),
        ("+999 123", "'+999 123' is not a valid phone number."),
    ],
)
def test_an_invalid_phone_shows_the_services_message(agent_client, typed, message):
    response = agent_client.post(reverse(ADD), form_data(name="Typo", phone=typed))

    assert response.status_code == 200
    assert form_errors(response) == {"phone": [message]}
    assert not Contact.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, message",
    [
        ("tags", "Unknown tag: globex-tag."),
        ("groups", "Unknown group: Globex group."),
        ("branch", "Unknown branch: Globex branch."),
        ("team", "Unknown team: Globex team."),
        ("assigned_user", "Unknown user: bob@globex.test."),
    ],
)
def test_a_reference_to_another_organization_is_refused(
    superuser_client, organization, other_organization, field, message
):
    foreign = {
        "tags": [TagFactory(organization=other_organization, name="globex-tag").pk],
        "groups": [ContactGroupFactory(organization=other_organization, name="Globex group").pk],
        "branch": BranchFactory(organization=other_organization, name="Globex branch").pk,
        "team": TeamFactory(organization=other_organization, name="Globex team").pk,
        "assigned_user": MembershipFactory(
            organization=other_organization, user=UserFactory(username="bob", email="bob@globex.test")
        ).user.pk,
    }[field]

    response = superuser_client.post(
        reverse(ADD), form_data(organization=organization.pk, name="Mixed", phone="+12125550100", **{field: foreign})
    )

    assert response.status_code == 200
    assert form_errors(response) == {field: [message]}
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_a_contact_deleted_while_its_form_was_saved_is_reported_not_a_500(agent_client, organization):
    contact = ContactFactory(organization=organization, name="Gone", phone="+12125550100")

    def deleted_first(target, **kwargs):
        Contact.objects.filter(pk=target.pk).delete()  # another request's delete, just before the lock
        return contacts.update_contact(target, **kwargs)

    with mock.patch("contacts.admin.contacts.update_contact", side_effect=deleted_first):
        response = agent_client.post(change_url(contact), form_data(name="Renamed", phone="+12125550100"))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    messages = [m.message for m in agent_client.get(reverse("admin:index")).context["messages"]]
    assert messages == [f"contact with ID “{contact.pk}” doesn\u2019t exist. Perhaps it was deleted?"]
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_a_superuser_cannot_move_a_contact_to_another_organization(superuser_client, organization, other_organization):
    contact = ContactFactory(organization=organization, name="Stays", phone="+12125550100")

    response = superuser_client.post(
        change_url(contact), form_data(organization=other_organization.pk, name="Stays", phone="+12125550100")
    )

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.organization == organization


# -- Avatars ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_uploaded_avatar_is_verified_re_encoded_and_stored_by_the_service(agent_client, organization):
    with mock.patch("contacts.admin.contacts.create_contact", wraps=contacts.create_contact) as create:
        response = agent_client.post(reverse(ADD), form_data(name="Pic", avatar=png_upload("../../me.png")))

    assert response.status_code == 302
    contact = Contact.objects.get()
    assert re.fullmatch(rf"avatars/{organization.pk}/[0-9a-f]{{32}}\.png", contact.avatar.name)
    assert avatar_files() == [contact.avatar.name]
    assert isinstance(create.call_args.kwargs["avatar"], ContentFile)  # the re-encoded copy, not the upload


@pytest.mark.django_db
def test_an_image_that_is_not_jpg_or_png_is_refused_on_the_avatar_field(agent_client):
    out = io.BytesIO()
    Image.new("RGB", (16, 16)).save(out, format="GIF")
    upload = SimpleUploadedFile("me.gif", out.getvalue(), content_type="image/gif")

    response = agent_client.post(reverse(ADD), form_data(name="Pic", avatar=upload))

    assert response.status_code == 200
    assert form_errors(response) == {"avatar": ["The avatar must be a JPG or PNG image."]}
    assert not Contact.objects.exists()
    assert avatar_files() == []


@pytest.mark.django_db
def test_a_refused_save_leaves_no_avatar_file(agent_client, organization):
    ContactFactory(organization=organization, phone="+12125550100")

    response = agent_client.post(reverse(ADD), form_data(name="Dup", phone="+12125550100", avatar=png_upload()))

    assert response.status_code == 200
    assert form_errors(response) == {"phone": ["A contact with this phone already exists."]}
    assert Contact.objects.count() == 1
    assert avatar_files() == []


@pytest.mark.django_db(transaction=True)
def test_a_save_that_fails_after_the_service_leaves_no_avatar_file(agent_client):
    agent_client.raise_request_exception = False

    # The history entry is written after the contact and its avatar, in the same transaction.
    with mock.patch.object(ContactAdmin, "log_addition", side_effect=RuntimeError("history table is gone")):
        response = agent_client.post(reverse(ADD), form_data(name="Pic", phone="+12125550100", avatar=png_upload()))

    assert response.status_code == 500
    assert not Contact.objects.exists()
    assert avatar_files() == []


@pytest.mark.django_db(transaction=True)
def test_a_replacement_that_fails_keeps_the_old_avatar_and_leaves_no_new_file(agent_client, organization):
    agent_client.raise_request_exception = False
    contact = contacts.create_contact(
        organization=organization, name="Pic", phone="+12125550100", avatar=ContentFile(png_upload().read(), "a.png")
    )
    old = contact.avatar.name

    with mock.patch.object(ContactAdmin, "log_change", side_effect=RuntimeError("history table is gone")):
        response = agent_client.post(
            change_url(contact), form_data(name="Pic", phone="+12125550100", source="api", avatar=png_upload(shade=90))
        )

    assert response.status_code == 500
    contact.refresh_from_db()
    assert contact.avatar.name == old
    assert avatar_files() == [old]


@pytest.mark.django_db(transaction=True)
def test_clearing_the_avatar_deletes_its_file(agent_client, organization):
    contact = contacts.create_contact(
        organization=organization, name="Pic", phone="+12125550100", avatar=ContentFile(png_upload().read(), "a.png")
    )
    assert len(avatar_files()) == 1

    response = agent_client.post(
        change_url(contact), form_data(name="Pic", phone="+12125550100", source="api", **{"avatar-clear": "on"})
    )

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.avatar.name == ""
    assert avatar_files() == []


# -- Bulk actions -------------------------------------------------------------------------------------------------


def post_action(client, action, selected, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in selected], "index": 0, "apply": "1", **extra}
    return client.post(reverse(CHANGELIST), data)


@pytest.mark.django_db
def test_bulk_actions_go_through_the_bulk_services(agent_client, organization):
    tag = TagFactory(organization=organization, name="hot")
    group = ContactGroupFactory(organization=organization, name="Customers")
    team = TeamFactory(organization=organization, name="Sales")
    selected = [ContactFactory(organization=organization) for _ in range(2)]
    other = ContactFactory(organization=organization)
    calls = {}
    with (
        mock.patch.object(bulk, "add_tag", wraps=bulk.add_tag) as calls["add_tag"],
        mock.patch.object(bulk, "remove_tag", wraps=bulk.remove_tag) as calls["remove_tag"],
        mock.patch.object(bulk, "add_to_group", wraps=bulk.add_to_group) as calls["add_to_group"],
        mock.patch.object(bulk, "assign_contacts", wraps=bulk.assign_contacts) as calls["assign"],
        mock.patch.object(bulk, "set_favorite", wraps=bulk.set_favorite) as calls["mark_favorite"],
    ):
        assert post_action(agent_client, "add_tag", selected, tag=tag.pk).status_code == 302
        assert post_action(agent_client, "remove_tag", selected[:1], tag=tag.pk).status_code == 302
        assert post_action(agent_client, "add_to_group", selected, group=group.pk).status_code == 302
        assert (
            post_action(agent_client, "assign", selected, assigned_user=agent_client.user.pk, team=team.pk).status_code
            == 302
        )
        assert post_action(agent_client, "mark_favorite", selected).status_code == 302

    assert {name: spy.call_count for name, spy in calls.items()} == {
        "add_tag": 1, "remove_tag": 1, "add_to_group": 1, "assign": 1, "mark_favorite": 1,
    }  # fmt: skip
    assert sorted(c.pk for c in calls["add_tag"].call_args.args[0]) == sorted(c.pk for c in selected)
    assert calls["add_tag"].call_args.args[1] == tag
    first, second = (Contact.objects.get(pk=c.pk) for c in selected)
    assert [list(c.tags.all()) for c in (first, second)] == [[], [tag]]
    assert [list(c.groups.all()) for c in (first, second)] == [[group], [group]]
    assert {(c.assigned_user, c.team, c.is_favorite) for c in (first, second)} == {(agent_client.user, team, True)}
    other.refresh_from_db()
    assert (other.tags.count(), other.groups.count(), other.assigned_user, other.is_favorite) == (0, 0, None, False)


@pytest.mark.django_db
def test_bulk_tagging_refreshes_the_dashboards_top_tags(agent_client, organization):
    tag = TagFactory(organization=organization, name="hot")
    selected = [ContactFactory(organization=organization) for _ in range(2)]
    assert dashboard_stats([organization.pk])["top_tags"] == []  # now cached

    post_action(agent_client, "add_tag", selected, tag=tag.pk)
    assert dashboard_stats([organization.pk])["top_tags"] == [("hot", 2)]

    post_action(agent_client, "remove_tag", selected[:1], tag=tag.pk)
    assert dashboard_stats([organization.pk])["top_tags"] == [("hot", 1)]


@pytest.mark.django_db
def test_bulk_tagging_skips_contacts_of_another_organization(organization, other_organization):
    tag = TagFactory(organization=organization, name="hot")
    mine, theirs = ContactFactory(organization=organization), ContactFactory(organization=other_organization)

    assert tagging.add_tag([mine, theirs], tag) == 1

    assert (mine.tags.count(), theirs.tags.count()) == (1, 0)


# -- Two saves of one phone at once -------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_admin_saves_of_one_phone_end_as_one_contact_and_one_form_error(agent_client, organization):
    clients = {"agent's": agent_client, "bob's": agent_client(organization, role=Membership.Role.AGENT, username="bob")}
    for client in clients.values():
        client.raise_request_exception = False
    # Both requests are past their form's validation and inside the service before either inserts: the old
    # check-then-insert passed both here and the second insert was a 500.
    both_inside = threading.Barrier(2, timeout=20)

    def create_when_both_are_inside(**kwargs):
        both_inside.wait()
        return contacts.create_contact(**kwargs)

    responses: dict[str, object] = {}

    def save(client: Client, name: str) -> None:
        try:
            responses[name] = client.post(reverse(ADD), form_data(name=name, phone="+1 212 555 0100"))
        finally:
            connection.close()

    with mock.patch("contacts.admin.contacts.create_contact", side_effect=create_when_both_are_inside):
        threads = [threading.Thread(target=save, args=(client, name)) for name, client in clients.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    assert sorted(r.status_code for r in responses.values()) == [200, 302]
    refused = next(r for r in responses.values() if r.status_code == 200)
    assert form_errors(refused) == {"phone": ["A contact with this phone already exists."]}
    saved = next(name for name, r in responses.items() if r.status_code == 302)
    assert [(c.name, c.phone_e164) for c in Contact.objects.all()] == [(saved, "+12125550100")]
