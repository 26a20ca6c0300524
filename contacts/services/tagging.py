"""Tagging and grouping many contacts at once (the admin's bulk actions). Each keeps to the tag's or group's
organization: contacts of another one are skipped, never linked. Each reports the contacts it linked or unlinked
through `record_change`, once, inside its transaction, and moves their `updated_at` (what they show changed, so
an incremental sync must return them); a call that links nothing reports nothing. Each costs the same number of
queries however many contacts it reaches."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from contacts.models import Contact, ContactGroup, Tag
from contacts.services.changes import ChangeKind, record_change
from contacts.services.contacts import lock_contact_ids, touch_contacts
from contacts.services.dashboard import invalidate_dashboard
from events.builders import link_events
from events.models import EventType


def add_tag(contacts: Iterable[Contact], tag: Tag, *, actor: Any = None) -> int:
    """Tag every contact in `contacts` of the tag's organization; returns how many were newly tagged."""
    with transaction.atomic():
        ids = _link(Contact.tags.through, "tag_id", _locked_ids(contacts, tag.organization_id), tag.pk)
        touch_contacts(ids)
        events = link_events(Contact.tags.through, "tag_id", ids, tag.name, added=True, event_type=EventType.TAGGED)
        record_change(
            ChangeKind.TAGGED, organization_id=tag.organization_id, contact_ids=ids, actor=actor, events=events
        )
    # bulk_create sends no m2m_changed signal, so the dashboard's top tags are refreshed here.
    invalidate_dashboard(tag.organization_id)
    return len(ids)


def remove_tag(contacts: Iterable[Contact], tag: Tag, *, actor: Any = None) -> int:
    """Untag every contact in `contacts` of the tag's organization; returns how many lost the tag."""
    with transaction.atomic():
        links = Contact.tags.through.objects.filter(tag=tag, contact_id__in=_locked_ids(contacts, tag.organization_id))
        ids = sorted(links.values_list("contact_id", flat=True))
        links.filter(contact_id__in=ids).delete()
        touch_contacts(ids)
        events = link_events(Contact.tags.through, "tag_id", ids, tag.name, added=False, event_type=EventType.UNTAGGED)
        record_change(
            ChangeKind.UNTAGGED, organization_id=tag.organization_id, contact_ids=ids, actor=actor, events=events
        )
    invalidate_dashboard(tag.organization_id)
    return len(ids)


def add_to_group(contacts: Iterable[Contact], group: ContactGroup, *, actor: Any = None) -> int:
    """Add every contact in `contacts` of the group's organization to it; returns how many joined."""
    with transaction.atomic():
        locked = _locked_ids(contacts, group.organization_id)
        ids = _link(Contact.groups.through, "contactgroup_id", locked, group.pk)
        touch_contacts(ids)
        events = link_events(
            Contact.groups.through, "contactgroup_id", ids, group.name, added=True, event_type=EventType.GROUPED
        )
        record_change(
            ChangeKind.GROUPED, organization_id=group.organization_id, contact_ids=ids, actor=actor, events=events
        )
    return len(ids)


def _locked_ids(contacts: Iterable[Contact], organization_id: int) -> list[int]:
    # Contact rows before link rows, in ascending id: the lock order of every write path.
    return lock_contact_ids(organization_id, (c.pk for c in contacts if c.organization_id == organization_id))


def _link(through: type, target: str, contact_ids: list[int], target_id: int) -> list[int]:
    """Link the locked contacts not yet linked to `target_id`; returns the ids newly linked, ascending."""
    already = set(
        through.objects.filter(contact_id__in=contact_ids, **{target: target_id}).values_list("contact_id", flat=True)
    )
    ids = [pk for pk in contact_ids if pk not in already]
    through.objects.bulk_create([through(contact_id=pk, **{target: target_id}) for pk in ids], ignore_conflicts=True)
    return ids
