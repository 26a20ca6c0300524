"""Webhook endpoints, their signing secrets, and the delivery log.

A `WebhookDelivery` is one event (from the `events` outbox) owed to one endpoint; each try at sending it is a
`WebhookAttempt`. `DispatchCursor` records how far the dispatcher has read the outbox.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from contacts.models import Organization
from events.models import ContactEvent


class WebhookEndpoint(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    url = models.URLField("URL", max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # Event type values (`contact.created`, ...); empty sends every type.
    event_types = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # The start of the current run of failed attempts; None while the last attempt succeeded.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class WebhookSecret(models.Model):
    """A signing secret (`whsec_...`), stored encrypted. While a rotation is under way the old secret stays valid
    until `expires_at`, and each delivery carries one signature per valid secret."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="secrets")
    encrypted = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"secret of endpoint {self.endpoint_id} from {self.created_at:%Y-%m-%d %H:%M}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SENDING = "sending"
    SUCCEEDED = "succeeded"
    FAILED = "failed", "Failed (retries exhausted)"


class WebhookDelivery(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    # None for a test event sent from the admin or the API.
    event = models.ForeignKey(ContactEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=40)
    contact_uuid = models.UUIDField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # While SENDING: the attempt's lease. A worker that died mid-attempt leaves it to expire and be retried.
    lease_until = models.DateTimeField(null=True, blank=True)
    # Handed to a Celery worker until then: not queued again meanwhile (a lost message is queued again after it).
    queued_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # The JSON body, kept only while the delivery is owed (it holds the contact's personal data).
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "contact_uuid", "event"], name="webhook_delivery_order"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"

    @property
    def message_id(self) -> str:
        """The `webhook-id` header: the same on every attempt, so a receiver can drop repeats."""
        return f"msg_{self.uuid.hex}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    response_excerpt = models.TextField(blank=True)  # the first 1 KB of the response body
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"


class DispatchCursor(models.Model):
    """One row: the highest outbox id read, and the ids below it not seen yet (a transaction that took its id
    before a later one but had not committed), each with when it was first missed."""

    last_event_id = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"outbox read up to event {self.last_event_id}"
