"""Changes applied to many contacts at once (admin bulk actions). Each keeps to one organization's rows.

Each write reports the contacts it changed through `record_change`, once per organization it touches (the hook's
unit is one organization), inside its transaction. Tagging and grouping live in tagging.py and are re-exported."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from contacts.errors import UnknownReference
from contacts.models import Contact, Team
from contacts.services.changes import ChangeKind, record_change
from contacts.services.contacts import lock_contact_ids
from contacts.services.tagging import add_tag, add_to_group, remove_tag
from events.builders import bulk_update_events

__all__ = ["add_tag", "add_to_group", "assign_contacts", "remove_tag", "set_favorite"]


@transaction.atomic
def assign_contacts(
    contacts: Iterable[Contact], *, user: Any = None, team: Team | None = None, actor: Any = None
) -> int:
    """Assign `contacts` to `user` and/or `team`; both must belong to each contact's organization."""
    contacts = list(contacts)
    org_ids = {contact.organization_id for contact in contacts}
    if team is not None and org_ids - {team.organization_id}:
        raise UnknownReference("team", f"{team} belongs to another organization")
    if user is not None:
        member_orgs = set(user.memberships.values_list("organization_id", flat=True))
        if org_ids - member_orgs:
            raise UnknownReference("assigned_user", f"{user} is not a member of every selected contact's organization")
    changes: dict[str, Any] = {}
    if user is not None:
        changes["assigned_user"] = user
    if team is not None:
        changes["team"] = team
    if not changes:
        return 0
    return _update(contacts, ChangeKind.ASSIGNED, changes, actor)


@transaction.atomic
def set_favorite(contacts: Iterable[Contact], value: bool = True, *, actor: Any = None) -> int:
    """Mark `contacts` as favorite (or not, with `value=False`); returns how many were written."""
    return _update(list(contacts), ChangeKind.UPDATED, {"is_favorite": value}, actor)


def _update(contacts: list[Contact], kind: ChangeKind, changes: dict[str, Any], actor: Any) -> int:
    """Row-lock the contacts in ascending id order per organization (the order every write path uses), write
    `changes` to them and report the ids written."""
    count = 0
    for organization_id in sorted({contact.organization_id for contact in contacts}):
        ids = lock_contact_ids(organization_id, (c.pk for c in contacts if c.organization_id == organization_id))
        events = bulk_update_events(ids, changes)
        # A queryset update applies no auto_now: the sync reads `updated_at`.
        count += Contact.objects.filter(pk__in=ids).update(**changes, updated_at=timezone.now())
        record_change(kind, organization_id=organization_id, contact_ids=ids, actor=actor, events=events)
    return count
