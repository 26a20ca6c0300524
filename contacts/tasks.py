"""Celery tasks, used when CELERY_BROKER_URL names a broker. Without one, `enqueue_import_job` runs the job in a
thread of the web process instead (contacts/services/import_runs.py), so `make run` needs no worker."""

from __future__ import annotations

from crm.celery import app


# acks_late: a worker that dies mid-import leaves the message to be redelivered; the job resumes from its
# status (a finished job, including one `recover_import_jobs` marked failed, is not run again).
@app.task(name="contacts.run_import_job", acks_late=True)
def run_import_job(job_id: int) -> dict[str, int | str]:
    from contacts.services.imports import run_import_job as run

    job = run(job_id)
    return {
        "status": job.status,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "rejected": job.rejected_count,
    }
