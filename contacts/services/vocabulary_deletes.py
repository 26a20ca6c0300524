"""Deleting several entries of one vocabulary at once (the admin's "delete selected") in one transaction, in the
lock order of every write path: the contacts any of the entries reaches are locked first, all together in
ascending id, so each entry's own delete (`contacts/services/vocabularies.py`) then locks only rows already held.
Deleting them one after another instead would lock each entry's contacts in turn, out of ascending order overall,
and could deadlock with a writer that locks the same contacts in order."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet

from contacts.models import Branch, Contact, ContactGroup, CustomField, Tag, Team

# The contacts an entry's delete changes (and locks), by the entry's model.
REACHED: dict[type[Model], Callable[[Any], QuerySet]] = {
    Tag: lambda tag: Contact.tags.through.objects.filter(tag=tag).values_list("contact_id", flat=True),
    ContactGroup: lambda group: Contact.groups.through.objects.filter(contactgroup=group).values_list(
        "contact_id", flat=True
    ),
    Branch: lambda branch: Contact.objects.filter(branch=branch).values_list("pk", flat=True),
    Team: lambda team: Contact.objects.filter(team=team).values_list("pk", flat=True),
    CustomField: lambda field: Contact.objects.filter(
        organization_id=field.organization_id, custom_fields__has_key=field.key
    ).values_list("pk", flat=True),
}


def delete_entries(entries: Iterable[Model], delete: Callable[..., None], *, actor: Any = None) -> None:
    """`delete(entry, actor=actor)` for each entry, in ascending id, after locking every contact they reach."""
    ordered = sorted(entries, key=lambda entry: entry.pk)
    with transaction.atomic():
        reached: set[int] = set()
        for entry in ordered:
            reach = REACHED.get(type(entry))
            if reach is not None:
                reached.update(reach(entry))
        if reached:
            list(Contact.objects.select_for_update().filter(pk__in=reached).order_by("pk").values_list("pk"))
        for entry in ordered:
            delete(entry, actor=actor)
