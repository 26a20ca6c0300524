"""Import jobs (inline and on a real Celery worker) and the import_contacts command."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import kombu.pools
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection

from contacts.models import Contact, ImportJob
from contacts.services.imports import create_import_job, enqueue_import_job, run_import_job
from tests.factories import ContactFactory, UserFactory

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
CSV = b"phone,name,tags\n+12124567890,Juan,VIP\nnope,Bad,\n+12124567891,Mary,\n"


def make_job(organization, data: bytes = CSV, **options) -> ImportJob:
    return create_import_job(organization=organization, file=ContentFile(data, name="people.csv"), **options)


# -- Jobs ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_runs_inline_without_a_broker_and_records_everything(organization, django_capture_on_commit_callbacks):
    user = UserFactory()
    job = make_job(organization, actor=user)
    assert (job.status, job.total_rows, job.mapping) == (
        "pending",
        3,
        {"phone": "phone", "name": "name", "tags": "tags"},
    )

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_import_job(job)

    job.refresh_from_db()
    assert job.status == "completed"
    assert (job.total_rows, job.processed_rows) == (3, 3)
    assert (job.created_count, job.updated_count, job.unchanged_count, job.rejected_count) == (2, 0, 0, 1)
    assert job.message == "3 rows: 2 were created, 0 updated, 0 unchanged, 1 rejected. New tags: VIP."
    assert job.created_by == user
    assert job.started_at <= job.finished_at
    assert job.error_report.read().decode() == (
        "line,phone,name,tags,error_column,error\n3,nope,Bad,,phone,'nope' is not a phone number\n"
    )
    assert sorted(Contact.objects.values_list("name", flat=True)) == ["Juan", "Mary"]


@pytest.mark.django_db
def test_a_finished_job_is_not_run_twice(organization):
    job = make_job(organization)
    run_import_job(job.pk)

    again = run_import_job(job.pk)

    assert (again.status, again.created_count) == ("completed", 2)
    assert Contact.objects.count() == 2


@pytest.mark.django_db
def test_a_dry_run_job_writes_no_contacts(organization):
    job = make_job(organization, dry_run=True)

    job = run_import_job(job.pk)

    assert job.message == "3 rows: 2 would be created, 0 updated, 0 unchanged, 1 rejected. New tags: VIP."
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_a_job_whose_file_became_unreadable_fails_with_the_reason(organization):
    job = make_job(organization)
    job.file.save("broken.csv", ContentFile(b"phone\n\xff\xfe\x00bad\n"), save=True)

    job = run_import_job(job.pk)

    assert job.status == "failed"
    assert job.message == (
        "Line 2: the file is not valid utf-8 (byte b'\\xff'). Save it as UTF-8, or name its encoding "
        "(for example cp1252 or latin-1)."
    )


@pytest.mark.django_db
def test_creating_a_job_checks_the_file_and_mapping_first(organization):
    from contacts.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        make_job(organization, b"name\nJuan\n", mode="update")

    assert caught.value.message == "No column is mapped to phone, which update mode matches contacts on"
    assert not ImportJob.objects.exists()


def _redis_reachable(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


REDIS_URL = "redis://127.0.0.1:6379/7"  # a database of our own: never touch the others


LARGE = b"phone,name\n" + b"".join(b"+1646555%04d,Row %d\n" % (index, index) for index in range(6000)) + b"12,Bad\n"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("pool", "data", "expected"),
    [
        ("solo", CSV, (2, 0, 0, 1)),
        # Large enough for a row process; a prefork worker's processes cannot have one, and clean in-process.
        ("solo", LARGE, (6000, 0, 0, 1)),
        ("prefork", LARGE, (6000, 0, 0, 1)),
    ],
    ids=["solo", "solo-large", "prefork-large"],
)
def test_a_real_celery_worker_runs_the_job(organization, tmp_path, pool, data, expected):
    if not _redis_reachable():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    from crm.celery import app

    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.test_settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/"
            f"{database['NAME']}"
        ),
        "CELERY_BROKER_URL": REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PRIVATE_FILES_ROOT": str(settings.PRIVATE_FILES_ROOT),
    }
    queue = f"imports-test-{os.getpid()}"
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "crm", "worker", f"--pool={pool}", "--concurrency=1", "-Q", queue,
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR,
    )  # fmt: skip
    previous = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    try:
        app.conf.update(broker_url=REDIS_URL, task_always_eager=False)
        job = make_job(organization, data)
        from contacts.tasks import run_import_job as task

        task.apply_async((job.pk,), queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.is_finished or worker.poll() is not None:
                break
            time.sleep(0.2)
    finally:
        app.conf.update(previous)
        worker.terminate()
        try:
            output = worker.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode(errors="replace")
        # Drop the connections to the test's broker, and the pools holding them, so the next test starts afresh
        # (the pools are created lazily again when None, as after a fork).
        app.pool.force_close_all()
        kombu.pools.reset()  # kombu's registry keeps a producer pool per broker, tied to the closed connections
        app._pool = None
        app.amqp._producer_pool = None
    assert job.status == "completed", output
    assert (job.created_count, job.updated_count, job.unchanged_count, job.rejected_count) == expected
    assert Contact.objects.count() == expected[0]
    if data == CSV:
        assert sorted(Contact.objects.values_list("name", flat=True)) == ["Juan", "Mary"]


# -- The command ---------------------------------------------------------------------------------------------


def call(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_contacts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_command_imports_with_mapping_progress_and_error_file(organization, tmp_path):
    source = tmp_path / "people.csv"
    source.write_bytes(b"Cell,Who,Extra\n+12124567890,Juan,x\nnope,Bad,y\n")
    errors = tmp_path / "errors.csv"

    out, err = call(str(source), "--org", "acme", "--map", "Cell=phone", "--map", "Who=name", "--errors", str(errors))

    assert out == (
        "Ignored columns: Extra\n"
        "2 rows: 1 were created, 0 updated, 0 unchanged, 1 rejected.\n"
        f"Rejected rows and reasons: {errors}\n"
    )
    assert err.endswith("[##############################] 100% 2/2 rows\n")
    assert errors.read_text() == (
        "line,Cell,Who,Extra,error_column,error\n3,nope,Bad,y,Cell,'nope' is not a phone number\n"
    )
    assert list(Contact.objects.values_list("name", flat=True)) == ["Juan"]


@pytest.mark.django_db
def test_command_dry_run_and_modes(organization):
    ContactFactory(organization=organization, phone="+447911123456", name="Old")

    out, _ = call(
        str(FIXTURES / "semicolon_bom.csv"), "--org", "acme", "--mode", "update", "--dry-run", "--no-progress"
    )

    assert out == "Dry run, nothing written. 2 rows: 0 would be created, 1 updated, 0 unchanged, 1 rejected.\n"
    assert list(Contact.objects.values_list("name", flat=True)) == ["Old"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nope"], "No organization with slug 'nope'"),
        (["--org", "acme", "--map", "phone"], "--map expects COLUMN=FIELD, got 'phone'"),
        (["--org", "acme", "--map", "Phone=shoe"], "Unknown field 'shoe' for column 'Phone'; expected one of"),
        (["--org", "acme", "--encoding", "klingon"], "Unknown encoding 'klingon'"),
    ],
)
def test_command_errors(organization, args, message):
    with pytest.raises(CommandError) as caught:
        call(str(FIXTURES / "contacts.csv"), *args)

    assert str(caught.value).startswith(message)
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_command_reports_a_missing_file(organization, tmp_path):
    with pytest.raises(CommandError) as caught:
        call(str(tmp_path / "missing.csv"), "--org", "acme")

    assert str(caught.value) == f"Cannot read {tmp_path / 'missing.csv'}: No such file or directory"
