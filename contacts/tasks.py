"""Celery tasks, used when CELERY_BROKER_URL names a broker, and `enqueue_import_job`, which chooses where a job
runs: on a worker with a broker, else in a thread of the web process (contacts/services/import_runs.py), so
`make run` needs no worker.

The tasks import the services; the services never import Celery or this module.
"""

from __future__ import annotations

from django.conf import settings

from contacts.models.imports import ImportJob
from contacts.services import imports
from crm.celery import app


# acks_late: a worker that dies mid-import leaves the message to be redelivered; the job resumes from its
# status (a finished job, including one `recover_import_jobs` marked failed, is not run again).
@app.task(name="contacts.run_import_job", acks_late=True)
def run_import_job(job_id: int) -> dict[str, int | str]:
    job = imports.run_import_job(job_id)
    return {
        "status": job.status,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "rejected": job.rejected_count,
    }


def enqueue_import_job(job: ImportJob) -> None:
    """Start the job once its row is committed: on a Celery worker when a broker is configured, else in this
    process (`imports.enqueue_import_job` without a queue)."""
    on_a_worker = not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True)
    imports.enqueue_import_job(job, queue=run_import_job.delay if on_a_worker else None)
