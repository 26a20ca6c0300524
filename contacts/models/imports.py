"""Contact import jobs: one uploaded CSV file, how to read it, and what became of every row."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete

from contacts.models.tenancy import Organization
from contacts.storage import private_storage


class ImportMode(models.TextChoices):
    CREATE = "create", "Create new contacts only"
    UPDATE = "update", "Update existing contacts only"
    UPSERT = "upsert", "Create or update"


class ImportMatchField(models.TextChoices):
    # A member without a label is labelled from its name (PHONE → "Phone"), as Django's TextChoices does.

    PHONE = "phone"
    EMAIL = "email"
    ALIAS = "alias"
    CONTACT_KEY = "contact_key", "Contact key"


class ImportStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a worker"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


# The counts a job keeps of its rows, as it runs and when it ends.
PROGRESS_FIELDS = (
    "total_rows",
    "processed_rows",
    "created_count",
    "updated_count",
    "unchanged_count",
    "rejected_count",
)


def private_file_token() -> str:
    """192 random bits: a stored name says nothing of the file (not its name, job or time) and cannot be guessed."""
    return secrets.token_urlsafe(24)


# The client's file name is kept in `original_name` only; the stored name is random, whatever `filename` says.
def import_upload_to(instance: ImportJob, filename: str) -> str:
    return f"imports/{instance.organization_id}/{private_file_token()}.csv"


def error_report_upload_to(instance: ImportJob, filename: str) -> str:
    return f"imports/{instance.organization_id}/errors/{private_file_token()}.csv"


class ImportJob(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="import_jobs")
    # Both files live in the private storage (no URL; see contacts/storage.py). Empty once the retention period
    # has passed (`manage.py purge_import_files`): the job stays as the record of what was imported.
    file = models.FileField(upload_to=import_upload_to, storage=private_storage, blank=True, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    # {file column: field}; "" means the column is ignored. Frozen when the job is created.
    mapping = models.JSONField(default=dict, blank=True)
    mode = models.CharField(max_length=10, choices=ImportMode.choices, default=ImportMode.UPSERT)
    match_on = models.CharField(max_length=20, choices=ImportMatchField.choices, default=ImportMatchField.PHONE)
    dry_run = models.BooleanField(default=False, help_text="Report what would happen without writing contacts.")
    create_missing = models.BooleanField(
        default=True, help_text="Create tags and groups the file names that do not exist yet (else reject the row)."
    )
    # Reading options: encoding, delimiter, list separator.
    options = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total_rows = models.PositiveIntegerField(default=0, help_text="Estimated until the job finishes.")
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    error_report = models.FileField(
        upload_to=error_report_upload_to, storage=private_storage, blank=True, max_length=255
    )
    message = models.TextField(blank=True, help_text="Why the job failed, or a summary.")

    # The process that runs (or is about to run) the job, and when it last showed it was alive: a job whose
    # process is gone is marked failed (contacts/services/import_runs.py). Empty for a job queued for Celery,
    # whose broker hands it to a worker again if the first one dies.
    runner = models.JSONField(default=dict, blank=True, help_text="Host, boot id and process of the job's runner.")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the job's runner.")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="importjob_org_created")]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.original_name or self.file.name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.COMPLETED, ImportStatus.FAILED)

    @property
    def progress_percent(self) -> int:
        if self.status == ImportStatus.COMPLETED:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.processed_rows * 100 // self.total_rows)


def _remove_files_after_delete(sender: type[ImportJob], instance: ImportJob, **kwargs: object) -> None:
    """Safety net for deletions that bypass `delete_import_jobs` (an organization deleted with its jobs, the
    shell): the files go once the deletion is committed, so a rolled-back delete keeps them."""
    from contacts.services.import_files import remove_files_on_commit

    remove_files_on_commit([instance.file.name, instance.error_report.name])


post_delete.connect(_remove_files_after_delete, sender=ImportJob, dispatch_uid="contacts.importjob.remove_files")
