"""Import files are private: stored outside MEDIA_ROOT under random names, downloadable only by staff of the job's
organization (and superusers) through the import admin, deleted with their job and after the retention period.
Only avatars are public under /media/."""

from __future__ import annotations

import importlib
import io
import os
import re
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

import contacts.admin.imports  # noqa: F401 - registers ImportJobAdmin until contacts/admin/__init__ imports it
from contacts.models import Contact, ImportJob, Membership
from contacts.services.contacts import create_contact
from contacts.services.import_files import delete_import_jobs
from contacts.services.imports import create_import_job, run_import_job
from contacts.storage import check_private_files_root
from tests.conftest import make_staff
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

CSV = b"phone,name\n+12124567890,Juan\nbad,Nobody\n"
ERRORS = b"line,phone,name,error_column,error\n3,bad,Nobody,phone,'bad' is not a phone number\n"
TOKEN = r"[A-Za-z0-9_-]{32}"


@pytest.fixture
def private_root(settings, tmp_path) -> Path:
    # tests/conftest.py points PRIVATE_FILES_ROOT at this folder for every test; stated here so the paths below
    # are literals of this file.
    assert Path(settings.PRIVATE_FILES_ROOT) == tmp_path / "private"
    return tmp_path / "private"


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    assert Path(settings.MEDIA_ROOT) == tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def job(organization) -> ImportJob:
    """A completed job with one rejected row: it has both an uploaded file and an error report."""
    created = create_import_job(organization=organization, file=ContentFile(CSV, name="people.csv"))
    return run_import_job(created.pk)


@pytest.fixture
def owner_client(client, organization):
    client.force_login(make_staff(organization, username="owner-staff"))
    return client


@pytest.fixture
def outsider_client(client, other_organization):
    client.force_login(make_staff(other_organization, username="outsider"))
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def file_url(job: ImportJob) -> str:
    return reverse("admin:contacts_importjob_file", args=[job.pk])


def errors_url(job: ImportJob) -> str:
    return reverse("admin:contacts_importjob_errors", args=[job.pk])


def set_age(path: Path, days: float) -> None:
    moment = time.time() - days * 86400
    os.utime(path, (moment, moment))


# -- Where and under which names the files are stored -------------------------------------------------------


def test_files_are_stored_outside_media_under_random_names(job, organization, private_root, media_root):
    assert job.original_name == "people.csv"
    assert re.fullmatch(rf"imports/{organization.pk}/{TOKEN}\.csv", job.file.name)
    assert re.fullmatch(rf"imports/{organization.pk}/errors/{TOKEN}\.csv", job.error_report.name)
    for name in (job.file.name, job.error_report.name):
        assert "people" not in name
        assert f"import-{job.pk}" not in name
    assert (private_root / job.file.name).read_bytes() == CSV
    assert (private_root / job.error_report.name).read_bytes() == ERRORS
    assert not media_root.exists()


def test_the_same_file_imported_twice_gets_two_different_names(organization):
    first = create_import_job(organization=organization, file=ContentFile(CSV, name="people.csv"))
    second = create_import_job(organization=organization, file=ContentFile(CSV, name="people.csv"))

    assert first.file.name != second.file.name


def test_private_files_have_no_url(job):
    with pytest.raises(ValueError, match="Private files have no URL"):
        job.file.url  # noqa: B018
    with pytest.raises(ValueError, match="Private files have no URL"):
        job.error_report.url  # noqa: B018


def test_the_upload_waiting_for_its_mapping_is_private_too(owner_client, private_root, media_root):
    response = owner_client.post(
        reverse("admin:contacts_importjob_upload"),
        {"mode": "upsert", "match_on": "phone", "file": SimpleUploadedFile("people.csv", CSV, content_type="text/csv")},
    )

    assert response.status_code == 200
    staged = list((private_root / "imports" / "uploads").iterdir())
    assert len(staged) == 1
    assert re.fullmatch(rf"{TOKEN}\.csv", staged[0].name)
    assert staged[0].read_bytes() == CSV
    assert not media_root.exists()


# -- Nobody but the job's organization gets the files ------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "outsider", "owner"])
def test_the_old_media_urls_give_404_to_everyone(client, job, other_organization, organization, who):
    if who == "outsider":
        client.force_login(make_staff(other_organization, username="outsider"))
    elif who == "owner":
        client.force_login(make_staff(organization, username="owner-staff"))

    assert client.get(f"/media/{job.file.name}").status_code == 404
    assert client.get(f"/media/{job.error_report.name}").status_code == 404


def test_files_left_in_media_by_earlier_versions_are_not_served(client, media_root, organization):
    legacy = media_root / "imports" / str(organization.pk) / "errors" / "import-1-errors.csv"
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(ERRORS)
    (media_root / "avatars").mkdir()

    assert client.get(f"/media/imports/{organization.pk}/errors/import-1-errors.csv").status_code == 404
    assert client.get(f"/media/avatars/../imports/{organization.pk}/errors/import-1-errors.csv").status_code == 404
    assert client.get(f"/media/avatars/%2e%2e/imports/{organization.pk}/errors/import-1-errors.csv").status_code == 404
    assert client.get("/media/avatars/").status_code == 404


def test_anonymous_visitors_get_404_from_the_download_views(client, job):
    assert client.get(file_url(job)).status_code == 404
    assert client.get(errors_url(job)).status_code == 404


def test_staff_of_another_organization_get_404_from_the_download_views(outsider_client, job):
    assert outsider_client.get(file_url(job)).status_code == 404
    assert outsider_client.get(errors_url(job)).status_code == 404


def test_a_logged_in_user_who_is_not_staff_gets_404(client, job, organization):
    member = UserFactory(username="not-staff", is_staff=False)
    MembershipFactory(user=member, organization=organization, role=Membership.Role.OWNER)
    client.force_login(member)

    assert client.get(file_url(job)).status_code == 404
    assert client.get(errors_url(job)).status_code == 404


def test_the_owner_downloads_both_files_with_exact_bytes_and_safe_headers(owner_client, job):
    source = owner_client.get(file_url(job))
    report = owner_client.get(errors_url(job))

    assert source.status_code == 200
    assert body(source) == CSV
    assert source["Content-Disposition"] == 'attachment; filename="people.csv"'
    assert source["Content-Type"] == "text/csv"
    assert report.status_code == 200
    assert body(report) == ERRORS
    assert report["Content-Disposition"] == f'attachment; filename="import-{job.pk}-errors.csv"'
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    for response in (source, report):
        assert response["Cache-Control"] == "no-store"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_an_agent_of_the_organization_downloads_the_files(client, job, organization):
    client.force_login(make_staff(organization, username="agent", role=Membership.Role.AGENT))

    assert body(client.get(file_url(job))) == CSV
    assert body(client.get(errors_url(job))) == ERRORS


def test_a_superuser_downloads_any_organizations_files(client, job):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    assert body(client.get(file_url(job))) == CSV
    assert body(client.get(errors_url(job))) == ERRORS


def test_the_download_views_only_answer_get_and_head(owner_client, job):
    assert owner_client.post(file_url(job)).status_code == 405
    assert owner_client.head(file_url(job)).status_code == 200


def test_a_file_name_with_quotes_and_line_breaks_is_sent_safely(owner_client, organization):
    created = create_import_job(organization=organization, file=ContentFile(CSV, name='list "Q1"\r\n.csv'))

    response = owner_client.get(file_url(created))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="list \\"Q1\\".csv"'


def test_a_job_without_an_error_report_gives_404_for_it(owner_client, organization):
    created = create_import_job(organization=organization, file=ContentFile(b"phone\n+12124567890\n", name="a.csv"))
    finished = run_import_job(created.pk)

    assert finished.rejected_count == 0
    assert owner_client.get(errors_url(finished)).status_code == 404
    assert owner_client.get(file_url(finished)).status_code == 200


def test_a_file_missing_from_the_storage_gives_404(owner_client, job, private_root):
    (private_root / job.file.name).unlink()

    assert owner_client.get(file_url(job)).status_code == 404


def test_the_job_page_links_to_the_download_views_and_never_to_media(owner_client, job):
    page = owner_client.get(reverse("admin:contacts_importjob_change", args=[job.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert f'href="{file_url(job)}"' in text
    assert f'href="{errors_url(job)}"' in text
    assert "/media/" not in text


# -- Deleting a job deletes its files -------------------------------------------------------------------------


def test_the_admin_delete_removes_the_job_and_its_files(
    owner_client, job, private_root, django_capture_on_commit_callbacks
):
    paths = [private_root / job.file.name, private_root / job.error_report.name]

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("admin:contacts_importjob_delete", args=[job.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not ImportJob.objects.filter(pk=job.pk).exists()
    assert [path.exists() for path in paths] == [False, False]


def test_the_admin_bulk_delete_removes_the_jobs_and_their_files(
    owner_client, job, organization, private_root, django_capture_on_commit_callbacks
):
    second = create_import_job(organization=organization, file=ContentFile(CSV, name="more.csv"))
    paths = [private_root / job.file.name, private_root / job.error_report.name, private_root / second.file.name]

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("admin:contacts_importjob_changelist"),
            {"action": "delete_selected", "_selected_action": [job.pk, second.pk], "post": "yes"},
        )

    assert response.status_code == 302
    assert not ImportJob.objects.exists()
    assert [path.exists() for path in paths] == [False, False, False]


def test_staff_of_another_organization_cannot_delete_the_job(
    outsider_client, job, private_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outsider_client.post(reverse("admin:contacts_importjob_delete", args=[job.pk]), {"post": "yes"})

    assert ImportJob.objects.filter(pk=job.pk).exists()
    assert (private_root / job.file.name).read_bytes() == CSV


def test_a_rolled_back_deletion_keeps_the_files(job, private_root, django_capture_on_commit_callbacks):
    @transaction.atomic
    def delete_then_fail() -> None:
        assert delete_import_jobs(ImportJob.objects.filter(pk=job.pk)) == 1
        raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError, match="rolled back"):
        delete_then_fail()

    assert ImportJob.objects.filter(pk=job.pk).exists()
    assert (private_root / job.file.name).read_bytes() == CSV
    assert (private_root / job.error_report.name).read_bytes() == ERRORS


def test_deleting_the_organization_deletes_its_import_files(
    job, organization, private_root, django_capture_on_commit_callbacks
):
    paths = [private_root / job.file.name, private_root / job.error_report.name]

    with django_capture_on_commit_callbacks(execute=True):
        organization.delete()

    assert [path.exists() for path in paths] == [False, False]


# -- Retention: purge_import_files ----------------------------------------------------------------------------


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_import_files", *args, stdout=out)
    return out.getvalue()


def make(organization, status: str, age_days: int, *, finished: bool = True) -> ImportJob:
    created = create_import_job(organization=organization, file=ContentFile(CSV, name="people.csv"))
    if status == "completed":
        created = run_import_job(created.pk)
    moment = timezone.now() - timedelta(days=age_days)
    ImportJob.objects.filter(pk=created.pk).update(
        status=status, created_at=moment, finished_at=moment if finished else None
    )
    created.refresh_from_db()
    return created


@pytest.fixture
def aged_jobs(organization, other_organization, settings):
    settings.IMPORT_FILE_RETENTION_DAYS = 30
    return {
        "old": make(organization, "completed", 31),
        "old_failed_no_finish_time": make(other_organization, "failed", 40, finished=False),
        "recent": make(organization, "completed", 29),
        "old_running": make(organization, "running", 60, finished=False),
        "old_pending": make(organization, "pending", 60, finished=False),
    }


def stored(private_root: Path, job: ImportJob) -> list[bool]:
    job.refresh_from_db()
    return [bool(job.file) and (private_root / job.file.name).exists(), bool(job.error_report)]


def test_purge_deletes_the_files_of_finished_jobs_past_the_retention_only(
    aged_jobs, private_root, django_capture_on_commit_callbacks
):
    old = aged_jobs["old"]
    old_paths = [private_root / old.file.name, private_root / old.error_report.name]

    with django_capture_on_commit_callbacks(execute=True):
        output = purge()

    assert output.splitlines()[-1] == (
        "Deleted 3 files: 2 finished imports older than 30 days, 0 files no job refers to."
    )
    assert [path.exists() for path in old_paths] == [False, False]
    old.refresh_from_db()
    # The job stays as the record of the import, without its files.
    assert (old.file.name, old.error_report.name, old.status, old.created_count, old.rejected_count) == (
        "",
        "",
        "completed",
        1,
        1,
    )
    assert stored(private_root, aged_jobs["old_failed_no_finish_time"]) == [False, False]
    assert stored(private_root, aged_jobs["recent"]) == [True, True]
    assert stored(private_root, aged_jobs["old_running"]) == [True, False]
    assert stored(private_root, aged_jobs["old_pending"]) == [True, False]


def test_purge_dry_run_lists_and_changes_nothing(aged_jobs, private_root, django_capture_on_commit_callbacks):
    old = aged_jobs["old"]
    before = sorted(path.name for path in private_root.rglob("*.csv"))

    with django_capture_on_commit_callbacks(execute=True):
        output = purge("--dry-run")

    assert f"Would delete the files of import {old.pk}: {old.file.name}, {old.error_report.name}" in output
    assert output.splitlines()[-1] == (
        "Would delete 3 files: 2 finished imports older than 30 days, 0 files no job refers to."
    )
    assert sorted(path.name for path in private_root.rglob("*.csv")) == before
    assert stored(private_root, old) == [True, True]


def test_purge_days_overrides_the_setting_and_still_spares_unfinished_jobs(
    aged_jobs, private_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        output = purge("--days", "0")

    assert output.splitlines()[-1] == "Deleted 5 files: 3 finished imports older than 0 days, 0 files no job refers to."
    assert stored(private_root, aged_jobs["recent"]) == [False, False]
    assert stored(private_root, aged_jobs["old_running"]) == [True, False]
    assert stored(private_root, aged_jobs["old_pending"]) == [True, False]


def test_purge_refuses_a_negative_retention_and_changes_nothing(aged_jobs, private_root):
    with pytest.raises(CommandError, match=r"^The retention must be a whole number of days, 0 or more \(got -1\)$"):
        purge("--days", "-1")

    assert stored(private_root, aged_jobs["old"]) == [True, True]


def test_purge_removes_files_no_job_refers_to_after_a_day(
    job, organization, private_root, media_root, django_capture_on_commit_callbacks
):
    folder = private_root / "imports" / str(organization.pk)
    old_orphan, new_orphan = folder / "old-orphan.csv", private_root / "imports" / "uploads" / "waiting.csv"
    new_orphan.parent.mkdir(parents=True, exist_ok=True)
    for path in (old_orphan, new_orphan):
        path.write_bytes(CSV)
    set_age(old_orphan, 2)
    set_age(private_root / job.file.name, 400)  # referenced: kept however old the file is, while the job is recent
    legacy = media_root / "imports" / str(organization.pk) / "20240101000000-people.csv"
    avatar = media_root / "avatars" / str(organization.pk) / "face.png"
    for path in (legacy, avatar):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        set_age(path, 2)

    with django_capture_on_commit_callbacks(execute=True):
        output = purge()

    assert output.splitlines() == [
        f"Deleted imports/{organization.pk}/old-orphan.csv (no job refers to it)",
        f"Deleted imports/{organization.pk}/20240101000000-people.csv from MEDIA_ROOT (left by an earlier version)",
        "Deleted 2 files: 0 finished imports older than 30 days, 2 files no job refers to.",
    ]
    assert [path.exists() for path in (old_orphan, legacy)] == [False, False]
    assert [path.exists() for path in (new_orphan, avatar, private_root / job.file.name)] == [True, True, True]


# -- Rows from before the private storage ---------------------------------------------------------------------


def test_the_migration_moves_old_files_out_of_media_and_the_owner_still_gets_them(
    owner_client, organization, private_root, media_root, django_capture_on_commit_callbacks
):
    old_name = f"imports/{organization.pk}/20240101000000-people.csv"
    old_report = f"imports/{organization.pk}/errors/import-7-errors.csv"
    for name, data in ((old_name, CSV), (old_report, ERRORS)):
        (media_root / name).parent.mkdir(parents=True, exist_ok=True)
        (media_root / name).write_bytes(data)
    legacy = ImportJob.objects.create(
        organization=organization,
        original_name="people.csv",
        status="completed",
        file=old_name,
        error_report=old_report,
    )
    migration = importlib.import_module("contacts.migrations.0007_importjob_private_files")

    with django_capture_on_commit_callbacks(execute=True):
        migration.move_files_out_of_media(apps, None)

    legacy.refresh_from_db()
    assert re.fullmatch(rf"imports/{organization.pk}/{TOKEN}\.csv", legacy.file.name)
    assert re.fullmatch(rf"imports/{organization.pk}/errors/{TOKEN}\.csv", legacy.error_report.name)
    assert [(media_root / old_name).exists(), (media_root / old_report).exists()] == [False, False]
    assert body(owner_client.get(file_url(legacy))) == CSV
    assert body(owner_client.get(errors_url(legacy))) == ERRORS


# -- Avatars are the only public media ------------------------------------------------------------------------


def test_avatars_are_stored_under_random_names_and_served_publicly(client, organization, media_root):
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, format="PNG")
    # The client's name goes straight to the model: the stored name is decided there (avatar_upload_to).
    contact = create_contact(
        organization=organization, name="Juan", avatar=ContentFile(png.getvalue(), name="juan-garcia-face.png")
    )

    name = Contact.objects.get(pk=contact.pk).avatar.name
    assert re.fullmatch(rf"avatars/{organization.pk}/[0-9a-f]{{32}}\.png", name)
    assert "juan" not in name
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert body(response) == (media_root / name).read_bytes()
    assert client.get(f"/media/avatars/{organization.pk}/").status_code == 404


def test_a_private_files_root_inside_media_root_fails_the_system_check(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "media" / "private"

    assert [error.id for error in check_private_files_root()] == ["contacts.E101"]


def test_the_default_settings_pass_the_system_check():
    assert check_private_files_root() == []
