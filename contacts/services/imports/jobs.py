"""Import jobs: a file stored with its options (`create_import_job`), started once its row is committed
(`enqueue_import_job`) and run to completion with its progress recorded after every batch (`run_import_job`).

Where a job runs is the caller's choice: it passes a `queue` (contacts.tasks passes Celery's when a broker is
configured); without one the job runs in a thread of this process (import_runs.py). These services never import
Celery or the tasks.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from contacts.errors import ValidationFailed
from contacts.models import Organization
from contacts.models.imports import ImportJob, ImportMatchField, ImportMode, ImportStatus
from contacts.services import import_runs
from contacts.services.imports.importer import import_contacts
from contacts.services.imports.mapping import resolve_mapping
from contacts.services.imports.options import ImportOptions, ImportResult, summarize
from contacts.services.imports.reading import open_csv
from events.context import event_context
from events.models import Surface

# One logger for the whole importer, so its lines keep the name they are filtered on.
logger = logging.getLogger(__package__)

JobQueue = Callable[[int], Any]
"""Hands a job, by id, to whatever runs it elsewhere (a Celery task's `delay`)."""


def create_import_job(
    *,
    organization: Organization,
    file: File,
    mapping: Mapping[str, str] | None = None,
    mode: str = ImportMode.UPSERT,
    match_on: str = ImportMatchField.PHONE,
    dry_run: bool = False,
    create_missing: bool = True,
    encoding: str | None = None,
    delimiter: str | None = None,
    actor: Any = None,
) -> ImportJob:
    """Store the file and the job, after checking the file and mapping can be used (else `ValidationFailed`)."""
    if mode not in ImportMode.values:
        raise ValidationFailed("mode", f"Unknown mode {mode!r}")
    if match_on not in ImportMatchField.values:
        raise ValidationFailed("match_on", f"Cannot match contacts on {match_on!r}")
    source = open_csv(file, encoding=encoding, delimiter=delimiter)
    resolved, _ = resolve_mapping(organization, source.header, mapping)
    if mode != ImportMode.CREATE and match_on not in resolved.values():
        raise ValidationFailed("mapping", f"No column is mapped to {match_on}, which {mode} mode matches contacts on")
    file.seek(0)
    name = getattr(file, "name", "") or "contacts.csv"
    job = ImportJob(
        organization=organization,
        original_name=name.rsplit("/", 1)[-1][:255],
        mapping=resolved,
        mode=mode,
        match_on=match_on,
        dry_run=dry_run,
        create_missing=create_missing,
        options={"encoding": source.encoding, "delimiter": source.delimiter},
        total_rows=source.estimated_rows,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    # Stored in the private storage under a random name (import_upload_to); the client's name is original_name.
    job.file.save("upload.csv", file, save=False)
    job.save()
    return job


def enqueue_import_job(job: ImportJob, queue: JobQueue | None = None) -> None:
    """Run the job once its row is committed: `queue(job.pk)` when a queue is given, else in a thread of this
    process (contacts/services/import_runs.py), so the request that started it answers at once."""

    def start() -> None:
        if queue is not None:
            queue(job.pk)
        elif import_runs.runs_here():
            run_import_job(job.pk)
        else:
            import_runs.start_in_background(job.pk, run_import_job)

    transaction.on_commit(start)


def run_import_job(job_id: int) -> ImportJob:
    """Run a stored job to completion, recording progress after every batch, as the user who created it (the
    `actor` its writes report). Idempotent once finished."""
    job = ImportJob.objects.select_related("organization", "created_by").get(pk=job_id)
    if job.is_finished:
        return job
    import_runs.mark_running(job)

    def progress(result: ImportResult, estimated: int) -> None:
        # With a heartbeat; stops the import (ImportAbandoned) if the job was meanwhile marked failed.
        import_runs.record_progress(
            job.pk,
            total_rows=max(estimated, result.rows),
            processed_rows=result.rows,
            created_count=result.created,
            updated_count=result.updated,
            unchanged_count=result.unchanged,
            rejected_count=result.rejected,
        )

    options = ImportOptions(
        mode=job.mode,
        match_on=job.match_on,
        mapping=job.mapping,
        create_missing=job.create_missing,
        dry_run=job.dry_run,
        encoding=job.options.get("encoding"),
        delimiter=job.options.get("delimiter"),
    )
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as report:
        try:
            with job.file.open("rb") as binary, event_context(surface=Surface.IMPORT):
                result = import_contacts(
                    job.organization, binary, options, error_report=report, progress=progress, actor=job.created_by
                )
        except ValidationFailed as exc:
            job.refresh_from_db()  # the counts its batches reached, not the ones it started with
            return _finish(job, ImportStatus.FAILED, exc.message)
        except import_runs.ImportAbandoned:
            job.refresh_from_db()
            return job
        except Exception:
            logger.exception("import job failed", extra={"import_job_id": job.pk})
            job.refresh_from_db()
            return _finish(job, ImportStatus.FAILED, "The import stopped on an unexpected error; see the logs.")
        job.refresh_from_db()
        job.total_rows = job.processed_rows = result.rows
        job.created_count, job.updated_count = result.created, result.updated
        job.unchanged_count, job.rejected_count = result.unchanged, result.rejected
        if result.rejected:
            report.seek(0)
            # Private storage, random name (error_report_upload_to): a report's name must not lead to it.
            job.error_report.save("errors.csv", File(report), save=False)
    return _finish(job, ImportStatus.COMPLETED, summarize(result))


def _finish(job: ImportJob, status: str, message: str) -> ImportJob:
    job.status, job.message, job.finished_at = status, message, timezone.now()
    job.save()
    return job
