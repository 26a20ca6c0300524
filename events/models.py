"""The change history: one `ContactEvent` per change to a contact, written in the change's own transaction.

The table is also the webhooks' outbox: an event exists exactly when its change committed, so a delivery worker
that reads events in `id` order after they commit never sends a change that rolled back and never misses one.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from contacts.models import Organization


class EventType(models.TextChoices):
    CREATED = "contact.created"
    UPDATED = "contact.updated"
    DELETED = "contact.deleted"
    TAGGED = "contact.tagged"
    UNTAGGED = "contact.untagged"
    GROUPED = "contact.grouped"
    UNGROUPED = "contact.ungrouped"
    AVATAR_CHANGED = "contact.avatar_changed"
    MERGED = "contact.merged"
    UNMERGED = "contact.unmerged"


class ActorKind(models.TextChoices):
    USER = "user"
    API_KEY = "api_key"
    HMAC_CLIENT = "hmac_client"
    OAUTH_CLIENT = "oauth_client"
    SYSTEM = "system"


class Surface(models.TextChoices):
    """Through what the change came: a dialect (by its registry name), the native API, the admin, ..."""

    NATIVE = "native", "Native API"
    MOBIVATE = "mobivate", "Mobivate"
    CALLBELL = "callbell", "Callbell"
    CONTACTSHIP = "contactship", "Contactship"
    AWAL = "awal", "Awal"
    SFMC = "sfmc", "Salesforce Marketing Cloud"
    ADMIN = "admin", "Admin"
    IMPORT = "import", "Import"
    COMMAND = "command", "Command"
    SYSTEM = "system", "System"


class ContactEvent(models.Model):
    """What changed on one contact, by whom, through what. `changes` maps a field to `{"before": x, "after": y}`
    (JSON values as the native API renders them). The contact is named by uuid, not a foreign key, so the history
    outlives the contact: deleting a contact scrubs the personal values of its events and keeps a tombstone."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No index of its own: (organization, id) leads with it. A second one cost every insert and, with one
    # organization's events sparse among another's, PostgreSQL chose it and sorted instead of seeking in order.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    contact_uuid = models.UUIDField()
    type = models.CharField(max_length=40, choices=EventType.choices)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices, default=ActorKind.SYSTEM)
    # The user's or credential's pk and its name at the time (a renamed or deleted credential keeps its history).
    actor_id = models.CharField(max_length=64, blank=True)
    actor_name = models.CharField(max_length=200, blank=True)
    surface = models.CharField(max_length=20, choices=Surface.choices, default=Surface.SYSTEM)
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=100, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["organization", "id"], name="event_org_id"),
            models.Index(fields=["organization", "contact_uuid", "id"], name="event_org_contact"),
            models.Index(fields=["occurred_at"], name="event_occurred"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.contact_uuid} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"
