"""Changes applied to many contacts at once (admin bulk actions). Each keeps to one organization's rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from contacts.errors import UnknownReference
from contacts.models import Contact, ContactGroup, Tag, Team
from contacts.services.contacts import lock_contact_ids
from contacts.services.tagging import add_tag, add_to_group, remove_tag

__all__ = ["add_tag", "add_to_group", "assign_contacts", "remove_tag", "set_favorite"]


@transaction.atomic
def assign_contacts(contacts: Iterable[Contact], *, user: Any = None, team: Team | None = None) -> int:
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
    return Contact.objects.filter(pk__in=_locked_ids(contacts)).update(**changes)


@transaction.atomic
def set_favorite(contacts: Iterable[Contact], value: bool = True) -> int:
    return Contact.objects.filter(pk__in=_locked_ids(list(contacts))).update(is_favorite=value)


def _locked_ids(contacts: list[Contact]) -> list[int]:
    """Row-lock the contacts in ascending id order per organization (the order every write path uses)."""
    ids: list[int] = []
    for organization_id in sorted({contact.organization_id for contact in contacts}):
        ids += lock_contact_ids(organization_id, (c.pk for c in contacts if c.organization_id == organization_id))
    return ids


def tag_or_group_in_org(model: type[Tag] | type[ContactGroup], pk: Any, organization_ids: set[int]) -> Any:
    obj = model.objects.filter(pk=pk, organization_id__in=organization_ids).first()
    if obj is None:
        raise UnknownReference(model._meta.model_name, f"Unknown {model._meta.verbose_name}")
    return obj
