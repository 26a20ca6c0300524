"""The bulk write paths report through `record_change`: each admin bulk action, each import batch (create and
upsert, through the service, the command and a stored job) sends exactly one `contacts_changed` per write, inside
its transaction, naming the contacts it wrote and who wrote them; a write that is refused or fails sends nothing."""

from __future__ import annotations

import io
from io import StringIO
from unittest import mock

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse

from contacts.errors import UnknownReference
from contacts.models import Contact
from contacts.services import bulk, tagging
from contacts.services.changes import contacts_changed
from contacts.services.imports import ImportOptions, create_import_job, import_contacts, run_import_job
from contacts.services.imports.writer import BatchWriter
from tests.factories import ContactFactory, ContactGroupFactory, TagFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:contacts_contact_changelist"


@pytest.fixture
def changes():
    """Every `contacts_changed` sent during the test: (kind, organization id, contact ids, actor, in a transaction)."""
    seen: list[tuple] = []

    def receiver(sender, organization_id, contact_ids, actor, **kwargs):
        seen.append((str(sender), organization_id, contact_ids, actor, transaction.get_connection().in_atomic_block))

    contacts_changed.connect(receiver, weak=False, dispatch_uid="tests.test_bulk_write_hooks")
    yield seen
    contacts_changed.disconnect(dispatch_uid="tests.test_bulk_write_hooks")


@pytest.fixture
def people(organization):
    """Three contacts of `organization`, in ascending id: ana, bob, cy."""
    return [
        ContactFactory(organization=organization, name=name, phone=phone)
        for name, phone in (("Ana", "+12125550100"), ("Bob", "+12125550101"), ("Cy", "+12125550102"))
    ]


def post_action(client, action, selected, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in selected], "index": 0, "apply": "1", **extra}
    return client.post(reverse(CHANGELIST), data)


def messages_of(client) -> list[str]:
    return [m.message for m in client.get(reverse(CHANGELIST)).context["messages"]]


# -- Admin bulk actions -------------------------------------------------------------------------------------------


def test_adding_a_tag_reports_the_contacts_newly_tagged(staff_client, staff, organization, people, changes):
    ana, bob, cy = people
    tag = TagFactory(organization=organization, name="hot")
    ana.tags.add(tag)

    assert post_action(staff_client, "add_tag", people, tag=tag.pk).status_code == 302

    assert changes == [("tagged", organization.pk, (bob.pk, cy.pk), staff, True)]
    assert sorted(tag.contacts.values_list("name", flat=True)) == ["Ana", "Bob", "Cy"]


def test_removing_a_tag_reports_the_contacts_that_lost_it(staff_client, staff, organization, people, changes):
    ana, bob, cy = people
    tag = TagFactory(organization=organization, name="hot")
    for contact in (ana, cy):
        contact.tags.add(tag)

    assert post_action(staff_client, "remove_tag", [ana, bob], tag=tag.pk).status_code == 302

    assert changes == [("untagged", organization.pk, (ana.pk,), staff, True)]
    assert list(tag.contacts.values_list("name", flat=True)) == ["Cy"]


def test_adding_to_a_group_reports_the_contacts_that_joined(staff_client, staff, organization, people, changes):
    ana, bob, cy = people
    group = ContactGroupFactory(organization=organization, name="Customers")
    bob.groups.add(group)

    assert post_action(staff_client, "add_to_group", people, group=group.pk).status_code == 302

    assert changes == [("grouped", organization.pk, (ana.pk, cy.pk), staff, True)]


def test_assigning_reports_every_contact_assigned(staff_client, staff, organization, people, changes):
    ana, _, cy = people
    team = TeamFactory(organization=organization, name="Sales")

    response = post_action(staff_client, "assign", [cy, ana], assigned_user=staff.pk, team=team.pk)

    assert response.status_code == 302
    assert changes == [("assigned", organization.pk, (ana.pk, cy.pk), staff, True)]
    assert list(Contact.objects.order_by("pk").values_list("name", "team__name", "assigned_user__username")) == [
        ("Ana", "Sales", "alice"),
        ("Bob", None, None),
        ("Cy", "Sales", "alice"),
    ]


def test_marking_favorite_reports_every_contact_marked(staff_client, staff, organization, people, changes):
    ana, bob, _ = people

    assert post_action(staff_client, "mark_favorite", [ana, bob]).status_code == 302

    assert changes == [("updated", organization.pk, (ana.pk, bob.pk), staff, True)]
    assert list(Contact.objects.order_by("pk").values_list("is_favorite", flat=True)) == [True, True, False]


def test_a_superusers_bulk_action_reports_once_per_organization(
    superuser_client, organization, other_organization, changes
):
    mine = ContactFactory(organization=organization, phone="+12125550100")
    theirs = ContactFactory(organization=other_organization, phone="+442079460000")

    assert post_action(superuser_client, "mark_favorite", [theirs, mine]).status_code == 302

    root = superuser_client.user
    assert changes == [
        ("updated", organization.pk, (mine.pk,), root, True),
        ("updated", other_organization.pk, (theirs.pk,), root, True),
    ]


def test_a_tag_every_contact_already_has_writes_and_reports_nothing(staff_client, organization, people, changes):
    tag = TagFactory(organization=organization, name="hot")
    for contact in people:
        contact.tags.add(tag)

    assert post_action(staff_client, "add_tag", people, tag=tag.pk).status_code == 302

    assert changes == []
    assert "Add tag: 0 contact(s) changed." in messages_of(staff_client)


def test_a_refused_assignment_writes_and_reports_nothing(staff_client, organization, people, changes):
    stranger = UserFactory(username="mallory", is_active=True)

    # The form offers only members of the organization: a user who is not one is the form's refusal.
    response = post_action(staff_client, "assign", people, assigned_user=stranger.pk)

    assert response.status_code == 200
    assert changes == []
    assert list(Contact.objects.values_list("assigned_user", flat=True)) == [None, None, None]


def test_a_refused_assignment_by_the_service_reports_nothing(staff_client, organization, other_organization, changes):
    mine = ContactFactory(organization=organization, phone="+12125550100")
    elsewhere = TeamFactory(organization=other_organization, name="Elsewhere")

    with pytest.raises(UnknownReference):
        bulk.assign_contacts([mine], team=elsewhere)

    assert changes == []
    mine.refresh_from_db()
    assert mine.team_id is None


def test_a_tagging_that_fails_in_the_database_reports_nothing(organization, people, changes):
    tag = TagFactory(organization=organization, name="hot")
    through = Contact.tags.through

    with (
        mock.patch.object(through.objects, "bulk_create", side_effect=DatabaseError("disk full")),
        pytest.raises(DatabaseError),
    ):
        tagging.add_tag(people, tag)

    assert changes == []
    assert through.objects.count() == 0


# -- The importer -------------------------------------------------------------------------------------------------

NEW_CSV = "phone,name\n+12125550110,Dee\n+12125550111,Eve\n"
# Ana is changed, Bob is as he is (unchanged), Fay is new.
UPSERT_CSV = "phone,name\n+12125550100,Ana Changed\n+12125550101,Bob\n+12125550112,Fay\n"


def imported(csv: str, organization, **options):
    return import_contacts(organization, io.BytesIO(csv.encode()), ImportOptions(**options))


def pk_of(phone: str) -> int:
    return Contact.objects.get(phone=phone).pk


def test_an_import_in_create_mode_reports_one_batch_with_the_contacts_created(organization, changes):
    result = imported(NEW_CSV, organization, mode="create")

    assert (result.created, result.rejected) == (2, 0)
    dee, eve = pk_of("+12125550110"), pk_of("+12125550111")
    assert changes == [("imported", organization.pk, (dee, eve), None, True)]


def test_an_upsert_reports_the_contacts_created_and_changed_not_the_unchanged(organization, people, changes):
    ana = people[0]

    result = imported(UPSERT_CSV, organization, mode="upsert")

    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert changes == [("imported", organization.pk, (ana.pk, pk_of("+12125550112")), None, True)]


def test_an_import_reports_one_change_per_batch(organization, changes):
    imported(NEW_CSV, organization, mode="create", batch_size=1)

    dee, eve = pk_of("+12125550110"), pk_of("+12125550111")
    assert changes == [
        ("imported", organization.pk, (dee,), None, True),
        ("imported", organization.pk, (eve,), None, True),
    ]


def test_a_batch_redone_row_by_row_still_reports_once(organization, people, changes):
    ana = people[0]
    # A concurrent writer's collision sends the batch down the row-by-row path.
    with mock.patch.object(BatchWriter, "_save", side_effect=IntegrityError("collision")):
        result = imported(UPSERT_CSV, organization, mode="upsert")

    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert changes == [("imported", organization.pk, (ana.pk, pk_of("+12125550112")), None, True)]


def test_a_dry_run_and_a_refused_file_report_nothing(organization, people, changes):
    imported(UPSERT_CSV, organization, mode="upsert", dry_run=True)
    imported("phone,name\nbad,Nobody\n", organization, mode="create")

    assert changes == []
    assert Contact.objects.count() == 3


def test_an_import_batch_that_fails_in_the_database_reports_nothing(organization, changes):
    with (
        mock.patch.object(BatchWriter, "_link", side_effect=DatabaseError("disk full")),
        pytest.raises(DatabaseError),
    ):
        imported("phone,name,tags\n+12125550110,Dee,vip\n", organization, mode="create")

    assert changes == []
    assert Contact.objects.count() == 0


def test_the_import_command_reports_each_batch(organization, people, changes, tmp_path):
    ana = people[0]
    source = tmp_path / "people.csv"
    source.write_text(UPSERT_CSV)

    call_command("import_contacts", str(source), "--org", "acme", "--no-progress", stdout=StringIO(), stderr=StringIO())

    assert changes == [("imported", organization.pk, (ana.pk, pk_of("+12125550112")), None, True)]


def test_a_stored_job_reports_its_batches_as_the_user_who_created_it(organization, staff, changes):
    job = create_import_job(
        organization=organization, file=ContentFile(NEW_CSV.encode(), name="people.csv"), mode="create", actor=staff
    )

    run_import_job(job.pk)

    dee, eve = pk_of("+12125550110"), pk_of("+12125550111")
    assert changes == [("imported", organization.pk, (dee, eve), staff, True)]
