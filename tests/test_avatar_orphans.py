"""No avatar file outlives the contact row that names it: replacements and deletes remove the superseded file,
and `purge_orphan_avatars` removes what a crash or a rollback left behind once it is past the grace period."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from PIL import Image

from contacts.models import Contact
from contacts.services.contacts import delete_contact, update_contact
from contacts.services.uncommitted_files import removing_uncommitted_files
from tests.factories import ContactFactory, OrganizationFactory

HOUR = 3600


def png(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (shade, 0, 0)).save(out, format="PNG")
    return out.getvalue()


def avatar_file(shade: int = 0) -> File:
    return File(io.BytesIO(png(shade)), name="upload.png")


def folder_files(organization_id: int) -> list[str]:
    folder = Path(settings.MEDIA_ROOT) / "avatars" / str(organization_id)
    return sorted(f"avatars/{organization_id}/{p.name}" for p in folder.iterdir()) if folder.exists() else []


def stored(name: str, *, age_seconds: int) -> str:
    """Write a file under MEDIA_ROOT as `name` (the storage may pick another name) and date it `age_seconds` ago."""
    saved = default_storage.save(name, ContentFile(b"personal data"))
    stamp = time.time() - age_seconds
    os.utime(Path(settings.MEDIA_ROOT) / saved, (stamp, stamp))
    return saved


def purge(*arguments: str) -> str:
    out = io.StringIO()
    call_command("purge_orphan_avatars", *arguments, stdout=out)
    return out.getvalue().strip()


# purge_orphan_avatars


@pytest.mark.django_db
def test_purge_deletes_old_orphans_and_keeps_referenced_and_young_files(organization):
    contact = ContactFactory(organization=organization)
    contact.avatar = stored(f"avatars/{organization.pk}/kept.png", age_seconds=3 * HOUR)
    contact.save()
    old_orphan = stored(f"avatars/{organization.pk}/old.png", age_seconds=2 * HOUR)
    young_orphan = stored(f"avatars/{organization.pk}/young.png", age_seconds=10 * 60)

    output = purge()

    assert output == ("3 avatar files: 1 referenced, 2 unreferenced; 1 of those newer than 60 minutes kept, 1 deleted")
    assert folder_files(organization.pk) == sorted([contact.avatar.name, young_orphan])
    assert not (Path(settings.MEDIA_ROOT) / old_orphan).exists()


@pytest.mark.django_db
def test_dry_run_deletes_nothing(organization):
    stored(f"avatars/{organization.pk}/old.png", age_seconds=2 * HOUR)

    output = purge("--dry-run")

    assert output == (
        "1 avatar files: 0 referenced, 1 unreferenced; 0 of those newer than 60 minutes kept, "
        "1 would be deleted (dry run)"
    )
    assert folder_files(organization.pk) == [f"avatars/{organization.pk}/old.png"]


@pytest.mark.django_db
def test_grace_period_is_configurable(organization):
    stored(f"avatars/{organization.pk}/ten-minutes.png", age_seconds=10 * 60)

    assert purge("--older-than-minutes", "15").endswith("1 of those newer than 15 minutes kept, 0 deleted")
    assert purge("--older-than-minutes", "5").endswith("0 of those newer than 5 minutes kept, 1 deleted")
    assert folder_files(organization.pk) == []


@pytest.mark.django_db
def test_every_organization_folder_is_walked_and_a_moved_contact_keeps_its_file(organization, other_organization):
    # A contact moved to another organization still names the file under its first organization's folder.
    moved = ContactFactory(organization=other_organization)
    moved.avatar = stored(f"avatars/{organization.pk}/moved.png", age_seconds=2 * HOUR)
    moved.save()
    orphan = stored(f"avatars/{other_organization.pk}/orphan.png", age_seconds=2 * HOUR)

    assert purge().endswith("1 referenced, 1 unreferenced; 0 of those newer than 60 minutes kept, 1 deleted")
    assert folder_files(organization.pk) == [moved.avatar.name]
    assert folder_files(other_organization.pk) == []
    assert not (Path(settings.MEDIA_ROOT) / orphan).exists()


@pytest.mark.django_db
def test_no_avatar_folder_yet():
    assert purge() == "0 avatar files: 0 referenced, 0 unreferenced; 0 of those newer than 60 minutes kept, 0 deleted"


@pytest.mark.django_db
def test_negative_grace_period_is_refused(organization):
    stored(f"avatars/{organization.pk}/old.png", age_seconds=2 * HOUR)

    with pytest.raises(CommandError, match="--older-than-minutes must be 0 or more"):
        purge("--older-than-minutes", "-1")
    assert len(folder_files(organization.pk)) == 1


# The service: new files are written, and superseded ones deleted, only once the change commits.


@pytest.mark.django_db(transaction=True)
def test_an_update_rolled_back_by_its_caller_leaves_no_new_file():
    organization = OrganizationFactory(slug="rollback")
    contact = update_contact(ContactFactory(organization=organization), avatar=avatar_file(1))
    first = contact.avatar.name

    # What every API request does around its transaction.
    with pytest.raises(RuntimeError), removing_uncommitted_files(), transaction.atomic():
        update_contact(Contact.objects.get(pk=contact.pk), avatar=avatar_file(2))
        raise RuntimeError("the request failed after the update")

    contact.refresh_from_db()
    assert contact.avatar.name == first
    assert folder_files(organization.pk) == [first]


@pytest.mark.django_db(transaction=True)
def test_a_committed_update_keeps_its_file_and_drops_the_old_one():
    organization = OrganizationFactory(slug="committed")
    contact = update_contact(ContactFactory(organization=organization), avatar=avatar_file(1))

    with removing_uncommitted_files(), transaction.atomic():
        updated = update_contact(Contact.objects.get(pk=contact.pk), avatar=avatar_file(2))

    assert folder_files(organization.pk) == [updated.avatar.name]


@pytest.mark.django_db(transaction=True)
def test_an_update_rolled_back_outside_any_scope_leaves_the_purge_one_file_to_remove():
    organization = OrganizationFactory(slug="rollback-purge")
    contact = update_contact(ContactFactory(organization=organization), avatar=avatar_file(1))
    first = contact.avatar.name

    with pytest.raises(RuntimeError), transaction.atomic():
        update_contact(Contact.objects.get(pk=contact.pk), avatar=avatar_file(2))
        raise RuntimeError("a caller without the scope failed after the update")

    assert len(folder_files(organization.pk)) == 2
    assert purge("--older-than-minutes", "0").endswith("1 deleted")
    assert folder_files(organization.pk) == [first]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_replacements_leave_exactly_the_referenced_file_and_delete_removes_it():
    organization = OrganizationFactory(slug="avatar-race")
    contact = update_contact(ContactFactory(organization=organization), avatar=avatar_file(0))
    writers = 50
    barrier = threading.Barrier(writers)
    errors: list[str] = []
    lock = threading.Lock()

    def replace(index: int) -> None:
        try:
            mine = Contact.objects.get(pk=contact.pk)
            barrier.wait(timeout=30)
            update_contact(mine, avatar=avatar_file(index + 1))
        except Exception as exc:  # anything at all is a failure the assertion below reports
            with lock:
                errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=replace, args=(index,)) for index in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    contact.refresh_from_db()
    assert folder_files(organization.pk) == [contact.avatar.name]
    with Image.open(Path(settings.MEDIA_ROOT) / contact.avatar.name) as image:
        assert image.getpixel((0, 0))[0] in range(1, writers + 1)  # one of the replacements, not the first

    delete_contact(contact)

    assert folder_files(organization.pk) == []
