"""Admin imports without a broker run in a thread of the serving process: the upload answers at once, the job's
page follows the progress, and a job whose process died is marked failed with the counts it had reached."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact, ImportJob
from contacts.services import import_runs, imports
from contacts.services.imports import create_import_job, jobs, run_import_job

BOOT_ID = Path("/proc/sys/kernel/random/boot_id").read_text().strip() if Path("/proc").exists() else ""
HOST = socket.gethostname()


def people(count: int) -> bytes:
    return ("phone,name\n" + "".join(f"+1212555{index:04d},Person {index}\n" for index in range(count))).encode()


def start_import(client, data: bytes):
    mapping_page = client.post(
        reverse("admin:contacts_importjob_upload"),
        {
            "mode": "upsert",
            "match_on": "phone",
            "create_missing": "on",
            "encoding": "",
            "file": SimpleUploadedFile("people.csv", data, content_type="text/csv"),
        },
    )
    token = mapping_page.context["form"]["token"].value()
    return client.post(
        reverse("admin:contacts_importjob_map"),
        {"token": token, "mode": "upsert", "match_on": "phone", "create_missing": "on", "column_0": "phone",
         "column_1": "name"},
    )  # fmt: skip


# -- In the background ---------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_upload_answers_before_the_job_finishes_and_the_job_completes_in_the_background(
    staff_client, organization, monkeypatch
):
    # Two holds keep the job's thread where it touches no database while this thread looks: before it starts,
    # and before its second batch.
    may_start, may_continue, at_second_batch = threading.Event(), threading.Event(), threading.Event()
    thread_connection, closed = [], []

    def held_run(job_id):
        assert may_start.wait(30)
        wrapper = connections["default"]
        thread_connection.append(wrapper)
        close = wrapper.close
        wrapper.close = lambda: (closed.append(True), close())
        return run_import_job(job_id)

    original_write = imports.ContactImporter._write_batch
    batches = []

    def held_write(importer, batch):
        batches.append(len(batch))
        if len(batches) == 2:
            at_second_batch.set()
            assert may_continue.wait(30)
        return original_write(importer, batch)

    monkeypatch.setattr(jobs, "run_import_job", held_run)
    monkeypatch.setattr(imports.ContactImporter, "_write_batch", held_write)

    started = time.monotonic()
    response = start_import(staff_client, people(2500))
    answered_in = time.monotonic() - started

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:contacts_importjob_change", args=[job.pk])
    assert answered_in < 5
    assert (job.status, job.processed_rows, job.runner["pid"], job.runner["host"]) == (
        "pending",
        0,
        os.getpid(),
        HOST,
    )
    waiting = staff_client.get(response["Location"]).content.decode()
    assert "<h2>Waiting for a worker</h2>" in waiting
    assert '<meta http-equiv="refresh" content="2">' in waiting

    may_start.set()
    assert at_second_batch.wait(30)
    running = staff_client.get(response["Location"]).content.decode()
    assert "<h2>Running</h2>" in running
    assert "40% — 1000 of about 2500 rows" in running
    assert '<meta http-equiv="refresh" content="2">' in running
    assert Contact.objects.count() == 1000

    may_continue.set()
    assert import_runs.wait_for_background_imports(timeout=60)

    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count, job.rejected_count) == ("completed", 2500, 2500, 0)
    assert job.message == "2500 rows: 2500 were created, 0 updated, 0 unchanged, 0 rejected."
    assert batches == [1000, 1000, 500]
    assert Contact.objects.count() == 2500
    finished = staff_client.get(response["Location"]).content.decode()
    assert "<h2>Completed</h2>" in finished
    assert 'http-equiv="refresh"' not in finished
    # The thread closed the database connection it opened (SQLite ignores closing an in-memory database).
    assert closed == [True]
    wrapper = thread_connection[0]
    if not (wrapper.vendor == "sqlite" and wrapper.is_in_memory_db()):
        assert wrapper.connection is None


@pytest.mark.django_db(transaction=True)
def test_a_job_that_fails_in_the_background_is_marked_failed(organization, monkeypatch):
    def broken_run(job_id):
        raise RuntimeError("disk on fire")

    job = create_import_job(organization=organization, file=ContentFile(people(3), name="people.csv"))
    import_runs.start_in_background(job.pk, broken_run)
    assert import_runs.wait_for_background_imports(timeout=30)

    job.refresh_from_db()
    assert (job.status, job.message) == ("failed", "The import stopped on an unexpected error; see the logs.")
    assert not Contact.objects.exists()


# -- A job whose process died ------------------------------------------------------------------------------------------


@pytest.fixture
def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def make_running_job(organization, runner, *, heartbeat_at=None, status="running", **counts):
    return ImportJob.objects.create(
        organization=organization,
        file="imports/x.csv",
        original_name="people.csv",
        status=status,
        runner=runner,
        heartbeat_at=heartbeat_at or timezone.now(),
        started_at=timezone.now() if status == "running" else None,
        **counts,
    )


@pytest.mark.django_db
def test_a_running_job_whose_process_ended_is_marked_failed_with_its_counts(organization, dead_pid):
    job = make_running_job(
        organization,
        {"host": HOST, "boot_id": BOOT_ID, "pid": dead_pid, "started": 12345},
        total_rows=20000,
        processed_rows=3000,
        created_count=2990,
        rejected_count=10,
    )
    out = StringIO()

    call_command("recover_import_jobs", stdout=out)

    job.refresh_from_db()
    message = (
        f"The import stopped before the end: its process ended (host {HOST}, process {dead_pid}). 3000 of about "
        "20000 rows had been processed: 2990 were created, 0 updated, 0 unchanged, 10 rejected. Rows of the "
        "batches that finished are kept. Import the file again in upsert mode to finish: rows already written "
        "come out unchanged."
    )
    assert (job.status, job.message) == ("failed", message)
    assert (job.processed_rows, job.created_count, job.rejected_count) == (3000, 2990, 10)
    assert job.finished_at is not None
    assert out.getvalue() == f"Import {job.pk}: {message}\n1 import job marked failed.\n"


@pytest.mark.django_db
def test_a_pending_job_of_a_process_that_ended_never_started(organization, dead_pid):
    job = make_running_job(organization, {"host": HOST, "boot_id": BOOT_ID, "pid": dead_pid}, status="pending")

    call_command("recover_import_jobs", stdout=StringIO())

    job.refresh_from_db()
    assert (job.status, job.message) == (
        "failed",
        f"The import never started: its process ended (host {HOST}, process {dead_pid}). Nothing was written; "
        "start the import again.",
    )


@pytest.mark.django_db
def test_a_job_from_before_the_machine_restarted_is_marked_failed(organization):
    if not BOOT_ID:
        pytest.skip("no boot id on this platform")
    job = make_running_job(
        organization, {"host": HOST, "boot_id": "an-earlier-boot", "pid": os.getpid()}, dry_run=True,
        total_rows=10, processed_rows=5, created_count=5,
    )  # fmt: skip

    call_command("recover_import_jobs", stdout=StringIO())

    job.refresh_from_db()
    assert (job.status, job.message) == (
        "failed",
        f"The import stopped before the end: the machine restarted (host {HOST}, process {os.getpid()}). 5 of about "
        "10 rows had been processed: 5 would be created, 0 updated, 0 unchanged, 0 rejected. Nothing was written "
        "(dry run). Import the file again in upsert mode to finish: rows already written come out unchanged.",
    )


@pytest.mark.django_db
def test_a_pid_taken_by_a_later_process_is_not_the_runner(organization):
    if not BOOT_ID:
        pytest.skip("no /proc on this platform")
    actual = import_runs.this_process()
    job = make_running_job(organization, {**actual, "started": actual["started"] - 1})

    call_command("recover_import_jobs", stdout=StringIO())

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.message.startswith("The import stopped before the end: its process ended")


@pytest.mark.django_db
def test_on_another_host_only_a_stale_heartbeat_means_dead(organization):
    now = timezone.now()
    stale = make_running_job(
        organization, {"host": "web-2", "boot_id": "b", "pid": 7}, heartbeat_at=now - dt.timedelta(minutes=11)
    )
    recent = make_running_job(
        organization, {"host": "web-2", "boot_id": "b", "pid": 8}, heartbeat_at=now - dt.timedelta(minutes=2)
    )

    out = StringIO()
    call_command("recover_import_jobs", stdout=out)

    stale.refresh_from_db()
    recent.refresh_from_db()
    assert (stale.status, recent.status) == ("failed", "running")
    assert stale.message.startswith(
        "The import stopped before the end: its process on web-2 gave no sign of life for over 10 minutes "
        "(host web-2, process 7)."
    )
    assert out.getvalue().endswith("\n1 import job marked failed.\n")


@pytest.mark.django_db
def test_live_queued_and_finished_jobs_are_left_alone(organization, dead_pid):
    live = make_running_job(
        organization, import_runs.this_process(), heartbeat_at=timezone.now() - dt.timedelta(hours=2)
    )
    queued = make_running_job(organization, {}, status="pending")  # waiting for a Celery worker
    done = make_running_job(organization, {"host": HOST, "boot_id": BOOT_ID, "pid": dead_pid}, status="completed")

    out = StringIO()
    call_command("recover_import_jobs", stdout=out)

    assert out.getvalue() == "0 import jobs marked failed.\n"
    assert [ImportJob.objects.get(pk=job.pk).status for job in (live, queued, done)] == [
        "running",
        "pending",
        "completed",
    ]


@pytest.mark.django_db
def test_opening_the_job_page_marks_a_dead_job_failed(staff_client, organization, other_organization, dead_pid):
    runner = {"host": HOST, "boot_id": BOOT_ID, "pid": dead_pid}
    job = make_running_job(organization, runner, total_rows=10, processed_rows=4, created_count=4)
    elsewhere = make_running_job(other_organization, runner)

    page = staff_client.get(reverse("admin:contacts_importjob_change", args=[job.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "<h2>Failed</h2>" in text
    assert "4 of about 10 rows had been processed: 4 were created" in text
    assert 'http-equiv="refresh"' not in text
    # Staff see (and so recover) their organization's jobs only; the list recovers the ones it shows.
    assert ImportJob.objects.get(pk=elsewhere.pk).status == "running"
    mine = make_running_job(organization, runner)
    staff_client.get(reverse("admin:contacts_importjob_changelist"))
    assert ImportJob.objects.get(pk=mine.pk).status == "failed"
    assert ImportJob.objects.get(pk=elsewhere.pk).status == "running"


@pytest.mark.django_db
def test_a_job_marked_failed_while_it_still_runs_stops_at_its_next_batch(organization, monkeypatch):
    job = create_import_job(organization=organization, file=ContentFile(people(2500), name="people.csv"))
    original_write = imports.ContactImporter._write_batch
    calls = []

    def write_then_get_declared_dead(importer, batch):
        calls.append(len(batch))
        original_write(importer, batch)
        if len(calls) == 1:
            ImportJob.objects.filter(pk=job.pk).update(status="failed", message="Declared dead.")

    monkeypatch.setattr(imports.ContactImporter, "_write_batch", write_then_get_declared_dead)

    result = run_import_job(job.pk)

    assert (result.status, result.message) == ("failed", "Declared dead.")
    assert calls == [1000]
    assert Contact.objects.count() == 1000
