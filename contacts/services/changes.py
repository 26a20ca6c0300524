"""The one place every contact write reports itself.

Every service that creates, changes or deletes contacts calls `record_change` once per write, inside the write's
transaction, with the ids of the contacts it touched. Today that sends `contacts_changed`, which the tests use to
prove that every surface (five dialects, the admin, bulk actions, imports, commands) writes through the services;
the change history will be written from here too, in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django.dispatch import Signal


class ChangeKind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    TAGGED = "tagged"
    UNTAGGED = "untagged"
    GROUPED = "grouped"
    ASSIGNED = "assigned"
    IMPORTED = "imported"
    BATCH = "batch"


contacts_changed = Signal()
"""Sent with `sender=<ChangeKind>`, `organization_id`, `contact_ids` (a tuple) and `actor` (a user, an API
principal or None) by `record_change`, before the write's transaction commits."""


def record_change(kind: ChangeKind, *, organization_id: int, contact_ids: Iterable[int], actor: Any = None) -> None:
    """Report one write of `kind` to the contacts `contact_ids` of one organization."""
    ids = tuple(contact_ids)
    if ids:
        contacts_changed.send(sender=kind, organization_id=organization_id, contact_ids=ids, actor=actor)
