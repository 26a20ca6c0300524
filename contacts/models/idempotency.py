"""What an `Idempotency-Key` keeps: the request it was first sent with and, once that request has committed, its
answer (see contacts/api/native/idempotency.py)."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from contacts.models.tenancy import Organization


class IdempotencyState(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done"


class IdempotencyRecord(models.Model):
    """One key of one credential. `in_progress` is written in the transaction of the key's first request and
    turns `done`, with the answer, in that same transaction: a committed write always has its answer, and a
    request that rolled back leaves no row."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # The credential's `ApiPrincipal.throttle_key` ("ApiKey:12"): keys of two credentials never meet.
    credential = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path with query, and body (JSON compared by value).
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=IdempotencyState.choices, default=IdempotencyState.IN_PROGRESS)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["credential", "key"], name="idempotency_record_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.credential} {self.key} ({self.state})"
