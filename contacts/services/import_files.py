"""The files of contact imports: uploads waiting for their column mapping, job sources and error reports.

All of them live in the private storage (contacts/storage.py: PRIVATE_FILES_ROOT, no URL) under random names.
They hold contacts' personal data, so they go as soon as they are no longer needed: with their job, after
IMPORT_FILE_RETENTION_DAYS for finished jobs, and after a day for files no job refers to.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from contacts.errors import ValidationFailed
from contacts.models.imports import ImportJob, ImportStatus, private_file_token
from contacts.storage import walk_files

logger = logging.getLogger(__name__)

IMPORTS_FOLDER = "imports"
# Uploads wait here between the admin's upload page and its mapping page (their signed token lasts 6 hours).
UPLOADS_FOLDER = f"{IMPORTS_FOLDER}/uploads"
# A file no job refers to is kept this long: it may be an upload waiting for its mapping, or a job's file saved
# just before its row is committed.
ORPHAN_GRACE = timedelta(days=1)
FINISHED = (ImportStatus.COMPLETED, ImportStatus.FAILED)
_PURGE_CHUNK = 500


def import_storage() -> Storage:
    """The storage ImportJob's files are written to."""
    return ImportJob._meta.get_field("file").storage


# -- Uploads waiting for their mapping -----------------------------------------------------------------------


def stage_upload(upload: File) -> str:
    """Keep an upload until its columns are mapped; returns its stored name (random, in the private storage)."""
    return import_storage().save(f"{UPLOADS_FOLDER}/{private_file_token()}.csv", upload)


def staged_upload_exists(name: str) -> bool:
    return _is_staged_name(name) and import_storage().exists(name)


def open_staged_upload(name: str) -> File:
    if not _is_staged_name(name):
        raise ValidationFailed("file", "Not an uploaded file")
    return import_storage().open(name, "rb")


def discard_staged_upload(name: str) -> None:
    if _is_staged_name(name):
        import_storage().delete(name)


def _is_staged_name(name: str) -> bool:
    # The name comes back from a signed token; checking its folder still keeps a leaked signing key from
    # reaching other jobs' files.
    return name.startswith(f"{UPLOADS_FOLDER}/") and ".." not in name and "\\" not in name


# -- Deleting --------------------------------------------------------------------------------------------------


def remove_files_on_commit(names: Iterable[str], storage: Storage | None = None) -> None:
    """Delete stored files (of the private storage unless told) once the current transaction commits, at once
    outside one: a rolled-back deletion keeps its files. A file that is already gone is not an error."""
    names = [name for name in names if name]
    if not names:
        return
    storage = storage or import_storage()

    def remove() -> None:
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                # Left for the orphan sweep of purge_import_files; the job row is already gone or cleared.
                logger.warning("could not delete import file %s", name, exc_info=True)

    transaction.on_commit(remove, robust=True)


def delete_import_jobs(jobs: QuerySet[ImportJob]) -> int:
    """Delete the jobs (already scoped to what the caller may delete) and their files; returns how many.

    The files are removed by ImportJob's post_delete receiver after the commit, so this path and any other
    deletion (an organization deleted with its jobs) share one mechanism.
    """
    with transaction.atomic():
        _, per_model = ImportJob.objects.filter(pk__in=jobs.values("pk")).delete()
    return per_model.get(ImportJob._meta.label, 0)


# -- Retention -------------------------------------------------------------------------------------------------


@dataclass
class PurgeReport:
    days: int
    dry_run: bool
    # (job id, stored names) of each finished job whose files were (or would be) deleted.
    jobs: list[tuple[int, list[str]]] = field(default_factory=list)
    # Stored names no job refers to, older than ORPHAN_GRACE.
    orphans: list[str] = field(default_factory=list)
    # The same in MEDIA_ROOT's imports/ folder, where import files were kept before the private storage (files
    # of jobs deleted since, uploads that were never mapped): public under guessable names if a web server
    # serves MEDIA_ROOT.
    legacy: list[str] = field(default_factory=list)

    @property
    def file_count(self) -> int:
        return sum(len(names) for _, names in self.jobs) + len(self.orphans) + len(self.legacy)


def purge_import_files(*, days: int | None = None, dry_run: bool = False, now: datetime | None = None) -> PurgeReport:
    """Delete the files of finished jobs older than `days` (default IMPORT_FILE_RETENTION_DAYS) and clear the
    jobs' file fields, then delete files no job refers to (in the private storage, and those earlier versions
    left in MEDIA_ROOT). Pending and running jobs are never touched.

    The jobs themselves are kept: their counts, summary, mapping and author stay the record of the import, without
    the personal data of the file. A job's age is its finish time (its creation time if it has none).
    """
    days = settings.IMPORT_FILE_RETENTION_DAYS if days is None else days
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValidationFailed("days", f"The retention must be a whole number of days, 0 or more (got {days!r})")
    now = now or timezone.now()
    report = PurgeReport(days=days, dry_run=dry_run)
    report.jobs = _expired_jobs(now - timedelta(days=days))
    if not dry_run:
        for start in range(0, len(report.jobs), _PURGE_CHUNK):
            chunk = report.jobs[start : start + _PURGE_CHUNK]
            with transaction.atomic():
                # The status condition again: a job cannot leave a finished state, but this keeps the promise local.
                ImportJob.objects.filter(pk__in=[pk for pk, _ in chunk], status__in=FINISHED).update(
                    file="", error_report=""
                )
                remove_files_on_commit(name for _, names in chunk for name in names)
    purged = {name for _, names in report.jobs for name in names}
    report.orphans = [name for name in _orphans(import_storage(), now) if name not in purged]
    report.legacy = list(_orphans(default_storage, now))
    if not dry_run:
        remove_files_on_commit(report.orphans)
        remove_files_on_commit(report.legacy, default_storage)
    return report


def _expired_jobs(cutoff: datetime) -> list[tuple[int, list[str]]]:
    expired = (
        ImportJob.objects.filter(status__in=FINISHED)
        .filter(Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, created_at__lt=cutoff))
        .exclude(file="", error_report="")
        .order_by("pk")
        .values_list("pk", "file", "error_report")
    )
    return [(pk, [name for name in names if name]) for pk, *names in expired.iterator()]


def _orphans(storage: Storage, now: datetime) -> Iterator[str]:
    # Listed before the referenced names are read: a job created meanwhile has a new file, inside the grace period.
    stored = list(walk_files(storage, IMPORTS_FOLDER))
    referenced = {name for pair in ImportJob.objects.values_list("file", "error_report").iterator() for name in pair}
    for name in stored:
        if name in referenced:
            continue
        try:
            modified = storage.get_modified_time(name)
        except FileNotFoundError:  # deleted meanwhile
            continue
        if modified < now - ORPHAN_GRACE:
            yield name
