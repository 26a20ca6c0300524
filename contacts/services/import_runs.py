"""Where import jobs run, and what becomes of a job whose process died.

Without a Celery broker (the default) a job runs in a thread of the process that served the upload, so the
request answers at once and the job's page follows its progress. At most `BACKGROUND_THREADS` jobs run at a time
per process; the others wait as pending.

Every job records its runner: host, boot id, process id and the process's start time, and a heartbeat after
every batch. `recover_dead_jobs` marks failed, with the counts it had reached, a pending or running job whose
runner is provably gone: on this host, its process no longer exists (or the machine restarted since); on another
host, no heartbeat for `STALE_AFTER`. Batches committed before the process died stay written.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import close_old_connections, connection, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from contacts.models.imports import PROGRESS_FIELDS, ImportJob, ImportStatus

logger = logging.getLogger(__name__)

# Imports are CPU-bound Python: more threads than this only share one core more finely under the GIL.
BACKGROUND_THREADS = 2
# A runner on another host is presumed dead after this long without a heartbeat. Heartbeats come after every
# batch (about a second) and every minute while a job waits for a thread, so this is a process that is gone.
STALE_AFTER = dt.timedelta(minutes=10)
WAITING_HEARTBEAT_SECONDS = 60
UNFINISHED = (ImportStatus.PENDING, ImportStatus.RUNNING)

_slots = threading.BoundedSemaphore(BACKGROUND_THREADS)
_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()


class ImportAbandoned(Exception):
    """The job was marked failed while this process still ran it (its runner had been taken for dead)."""


# -- Who runs a job --------------------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _process_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux): tells a process from a later one that got
    its pid (a restarted container's server often has the same small pid)."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return None
    # The command name (field 2) may contain spaces and parentheses; the fields after its last ")" are fixed.
    fields = stat.rsplit(")", 1)[-1].split()
    return int(fields[19]) if len(fields) > 19 else None


def this_process() -> dict[str, Any]:
    pid = os.getpid()
    return {
        "host": socket.gethostname(),
        "boot_id": _read("/proc/sys/kernel/random/boot_id"),
        "pid": pid,
        "started": _process_start(pid),
    }


def _runner_gone(runner: dict[str, Any], heartbeat_at: dt.datetime | None, now: dt.datetime) -> str | None:
    """Why the runner is certainly gone, or None while it may be alive."""
    if not runner:
        return None  # queued for a Celery worker: the broker redelivers it if a worker dies
    here = this_process()
    if runner.get("host") == here["host"]:
        if runner.get("boot_id") and here["boot_id"] and runner["boot_id"] != here["boot_id"]:
            return "the machine restarted"
        pid = runner.get("pid")
        if not isinstance(pid, int) or not _process_exists(pid):
            return "its process ended"
        if runner.get("started") is not None and _process_start(pid) not in (None, runner["started"]):
            return "its process ended"
        return None
    if heartbeat_at is None or now - heartbeat_at > STALE_AFTER:
        minutes = int(STALE_AFTER.total_seconds() // 60)
        return f"its process on {runner.get('host')} gave no sign of life for over {minutes} minutes"
    return None


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, under another user
    return True


# -- Running in the background ----------------------------------------------------------------------------------


def start_in_background(job_id: int, run: Callable[[int], Any]) -> None:
    """Record this process as the job's runner and run `run(job_id)` in a thread of it."""
    ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        runner=this_process(), heartbeat_at=timezone.now()
    )
    thread = threading.Thread(target=_thread_main, args=(job_id, run), name=f"import-job-{job_id}", daemon=True)
    with _threads_lock:
        _threads.add(thread)
    thread.start()


def _thread_main(job_id: int, run: Callable[[int], Any]) -> None:
    # Daemon thread: if the process stops, the job stops with it and is recovered as failed at the next check.
    try:
        if _wait_for_a_slot(job_id):
            try:
                run(job_id)
            finally:
                _slots.release()
    except Exception:
        logger.exception("background import failed", extra={"import_job_id": job_id})
        _fail_if_unfinished(job_id, "The import stopped on an unexpected error; see the logs.")
    finally:
        # The thread's own connection: left open, it would hold a database connection until the process ends.
        connections.close_all()
        with _threads_lock:
            _threads.discard(threading.current_thread())


def _wait_for_a_slot(job_id: int) -> bool:
    """Wait for one of the process's import threads, telling the job's page (and recovery) it still waits.
    False if the job stopped being pending meanwhile (deleted, or marked failed)."""
    while not _slots.acquire(timeout=WAITING_HEARTBEAT_SECONDS):
        close_old_connections()
        waiting = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING)
        if not waiting.update(heartbeat_at=timezone.now()):
            return False
    return True


def wait_for_background_imports(timeout: float | None = None) -> bool:
    """Block until every import thread of this process has finished; False if some still run at `timeout`."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        with _threads_lock:
            running = next((thread for thread in _threads if thread.is_alive()), None)
        if running is None:
            return True
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return False
        running.join(left)


def runs_here() -> bool:
    """Whether a job enqueued now must run in this thread rather than another: inside a transaction that has not
    committed (a test's wrapping transaction), another connection could not see the job yet."""
    return connection.in_atomic_block


# -- The job's side: a heartbeat per batch -----------------------------------------------------------------------


def mark_running(job: ImportJob) -> None:
    job.status, job.started_at = ImportStatus.RUNNING, timezone.now()
    job.runner, job.heartbeat_at = this_process(), job.started_at
    job.save(update_fields=["status", "started_at", "runner", "heartbeat_at"])


def record_progress(job_id: int, **counts: int) -> None:
    """Store the running counts with a heartbeat; raise `ImportAbandoned` if the job is no longer running."""
    updated = ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING).update(
        heartbeat_at=timezone.now(), **counts
    )
    if not updated:
        raise ImportAbandoned(job_id)


# -- Recovery ---------------------------------------------------------------------------------------------------


def recover_dead_jobs(jobs: QuerySet[ImportJob] | None = None) -> list[ImportJob]:
    """Mark failed every pending or running job in `jobs` (default: all) whose runner is gone; returns them."""
    jobs = ImportJob.objects.all() if jobs is None else jobs
    now = timezone.now()
    recovered = []
    candidates = jobs.filter(status__in=UNFINISHED).exclude(runner={}).select_related(None)
    for job in candidates.only(*_RECOVERY_FIELDS):
        reason = _runner_gone(job.runner, job.heartbeat_at, now)
        if reason is None:
            continue
        message = stopped_message(job, reason)
        with transaction.atomic():
            # Only if nothing changed since it was read: a heartbeat in between means the runner lives.
            updated = ImportJob.objects.filter(pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at).update(
                status=ImportStatus.FAILED, message=message, finished_at=now
            )
        if updated:
            logger.warning("import job marked failed: %s", reason, extra={"import_job_id": job.pk})
            job.status, job.message, job.finished_at = ImportStatus.FAILED, message, now
            recovered.append(job)
    return recovered


_RECOVERY_FIELDS = ("pk", "status", "runner", "heartbeat_at", "dry_run", *PROGRESS_FIELDS)


def stopped_message(job: ImportJob, reason: str) -> str:
    runner = job.runner
    where = f"host {runner.get('host')}, process {runner.get('pid')}"
    if job.status == ImportStatus.PENDING:
        return f"The import never started: {reason} ({where}). Nothing was written; start the import again."
    verb = "would be" if job.dry_run else "were"
    kept = "Nothing was written (dry run)." if job.dry_run else "Rows of the batches that finished are kept."
    return (
        f"The import stopped before the end: {reason} ({where}). {job.processed_rows} of about {job.total_rows} "
        f"rows had been processed: {job.created_count} {verb} created, {job.updated_count} updated, "
        f"{job.unchanged_count} unchanged, {job.rejected_count} rejected. {kept} Import the file again in upsert "
        "mode to finish: rows already written come out unchanged."
    )


def _fail_if_unfinished(job_id: int, message: str) -> None:
    try:
        ImportJob.objects.filter(pk=job_id, status__in=UNFINISHED).update(
            status=ImportStatus.FAILED, message=message, finished_at=timezone.now()
        )
    except Exception:  # the database itself may be what failed; recovery will find the job later
        logger.exception("could not mark import job failed", extra={"import_job_id": job_id})
