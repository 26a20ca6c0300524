"""Tagging and grouping many contacts at once (the admin's bulk actions). Each keeps to the tag's or group's
organization: contacts of another one are skipped, never linked."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from contacts.models import Contact, ContactGroup, Tag
from contacts.services.contacts import lock_contact_ids
from contacts.services.dashboard import invalidate_dashboard


def add_tag(contacts: Iterable[Contact], tag: Tag) -> int:
    """Tag every contact in `contacts` of the tag's organization; returns how many were newly tagged."""
    through = Contact.tags.through
    with transaction.atomic():
        ids = _locked_ids(contacts, tag.organization_id)
        already = set(through.objects.filter(tag=tag, contact_id__in=ids).values_list("contact_id", flat=True))
        rows = [through(contact_id=pk, tag_id=tag.pk) for pk in ids if pk not in already]
        through.objects.bulk_create(rows, ignore_conflicts=True)
    # bulk_create sends no m2m_changed signal, so the dashboard's top tags are refreshed here.
    invalidate_dashboard(tag.organization_id)
    return len(rows)


def remove_tag(contacts: Iterable[Contact], tag: Tag) -> int:
    """Untag every contact in `contacts` of the tag's organization; returns how many lost the tag."""
    with transaction.atomic():
        ids = _locked_ids(contacts, tag.organization_id)
        deleted, _ = Contact.tags.through.objects.filter(tag=tag, contact_id__in=ids).delete()
    invalidate_dashboard(tag.organization_id)
    return deleted


def add_to_group(contacts: Iterable[Contact], group: ContactGroup) -> int:
    """Add every contact in `contacts` of the group's organization to it; returns how many joined."""
    through = Contact.groups.through
    with transaction.atomic():
        ids = _locked_ids(contacts, group.organization_id)
        already = set(
            through.objects.filter(contactgroup=group, contact_id__in=ids).values_list("contact_id", flat=True)
        )
        rows = [through(contact_id=pk, contactgroup_id=group.pk) for pk in ids if pk not in already]
        through.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _locked_ids(contacts: Iterable[Contact], organization_id: int) -> list[int]:
    # Contact rows before link rows, in ascending id: the lock order of every write path.
    return lock_contact_ids(organization_id, (c.pk for c in contacts if c.organization_id == organization_id))
