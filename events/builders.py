"""The events of the services' writes, built from what the service already holds (the locked row, the links it
wrote), so that a write costs no query per contact for its history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contacts.models import Contact
from events.models import EventType
from events.services import PendingEvent
from events.values import REFERENCES, created, diff, load_references, render_reference, render_references, snapshot

_AVATAR_FIELDS = frozenset({"avatar", "avatar_url"})


def _names(links: Mapping[str, list[Any]], relation: str) -> list[str] | None:
    return [target.name for target in links[relation]] if relation in links else None


def before_update(contact: Contact, changing: Iterable[str]) -> dict[str, Any]:
    """The locked row's values before a write of the fields `changing`; reads the current tags or groups (a
    query each) only when the write replaces them."""
    changing = set(changing)
    tags = list(contact.tags.values_list("name", flat=True)) if "tags" in changing else None
    groups = list(contact.groups.values_list("name", flat=True)) if "groups" in changing else None
    return snapshot(contact, tags=tags, groups=groups)


def created_event(
    contact: Contact, links: Mapping[str, list[Any]], addresses: tuple[list[str], list[str]] | None = None
) -> PendingEvent:
    """`addresses`: the channel identities written, (before, after) as `write_channel_identities` returns them."""
    after = snapshot(contact, tags=_names(links, "tags") or [], groups=_names(links, "groups") or [])
    changes = created(after)
    if addresses and addresses[1]:
        changes = dict(sorted({**changes, "channel_identities": {"before": None, "after": addresses[1]}}.items()))
    render_references(changes, contact)
    return PendingEvent(contact.uuid, EventType.CREATED, changes)


def updated_events(
    before: Mapping[str, Any],
    contact: Contact,
    links: Mapping[str, list[Any]],
    addresses: tuple[list[str], list[str]] | None = None,
) -> list[PendingEvent]:
    """The update's event, or none when it changed nothing. An update of the avatar alone is `avatar_changed`."""
    after = snapshot(contact, tags=_names(links, "tags"), groups=_names(links, "groups"))
    changes = diff(before, after)
    if addresses and addresses[0] != addresses[1]:
        changes = dict(
            sorted({**changes, "channel_identities": {"before": addresses[0], "after": addresses[1]}}.items())
        )
    if not changes:
        return []
    render_references(changes, contact)
    kind = EventType.AVATAR_CHANGED if set(changes) <= _AVATAR_FIELDS else EventType.UPDATED
    return [PendingEvent(contact.uuid, kind, changes)]


def link_events(
    through: type, target: str, contact_ids: Sequence[int], name: str, *, added: bool, event_type: str
) -> list[PendingEvent]:
    """Events of linking (`added`) or unlinking the tag or group `name` to the contacts `contact_ids`, with each
    contact's names before and after. Two queries for the whole write: the uuids and the current links."""
    if not contact_ids:
        return []
    relation, current, uuids = _linked_names(through, target, contact_ids)
    events = []
    for pk in contact_ids:
        names = current[pk]
        # Read after the write: a link just added is among the names, one just removed is not.
        after = sorted(names)
        before = sorted(n for n in names if n != name) if added else sorted([*names, name])
        events.append(PendingEvent(uuids[pk], event_type, {relation: {"before": before, "after": after}}))
    return events


def renamed_link_events(
    through: type, target: str, contact_ids: Sequence[int], old: str, new: str
) -> list[PendingEvent]:
    """`contact.updated` events of renaming the tag or group `old` to `new`, which the contacts `contact_ids` are
    linked to: each contact's names before and after. Read after the rename; two queries for the whole write."""
    if not contact_ids:
        return []
    relation, current, uuids = _linked_names(through, target, contact_ids)
    events = []
    for pk in contact_ids:
        after = sorted(current[pk])
        before = sorted(old if name == new else name for name in current[pk])
        events.append(PendingEvent(uuids[pk], EventType.UPDATED, {relation: {"before": before, "after": after}}))
    return events


def _linked_names(
    through: type, target: str, contact_ids: Sequence[int]
) -> tuple[str, dict[int, list[str]], dict[int, Any]]:
    """The relation's name in events, each contact's linked names now and each contact's uuid (two queries)."""
    relation = "tags" if target == "tag_id" else "groups"
    name_path = "tag__name" if target == "tag_id" else "contactgroup__name"
    current: dict[int, list[str]] = {pk: [] for pk in contact_ids}
    for contact_id, linked in through.objects.filter(contact_id__in=list(contact_ids)).values_list(
        "contact_id", name_path
    ):
        current[contact_id].append(linked)
    uuids = dict(Contact.objects.filter(pk__in=list(contact_ids)).values_list("pk", "uuid"))
    return relation, current, uuids


def reference_events(name: str, contact_ids: Sequence[int], before: Any, after: Any) -> list[PendingEvent]:
    """`contact.updated` events of one change of the reference `name` (branch or team) shared by the contacts
    `contact_ids`, `before` and `after` rendered (`render_reference`), in ascending id. One query, the uuids."""
    if not contact_ids:
        return []
    uuids = Contact.objects.filter(pk__in=list(contact_ids)).order_by("pk").values_list("uuid", flat=True)
    return [
        PendingEvent(contact_uuid, EventType.UPDATED, {name: {"before": before, "after": after}})
        for contact_uuid in uuids
    ]


def bulk_update_events(contact_ids: Sequence[int], values: Mapping[str, Any]) -> list[PendingEvent]:
    """Events of setting the same `values` ({field: value}, references as objects) on many contacts (the admin's
    bulk actions); call it before the update. One query for the rows, one per reference field that changes."""
    names = list(values)
    columns = [f"{name}_id" if name in REFERENCES else name for name in names]
    rows = list(Contact.objects.filter(pk__in=list(contact_ids)).order_by("pk").values_list("uuid", *columns))
    new = {name: values[name].pk if name in REFERENCES and values[name] is not None else values[name] for name in names}
    old_refs: dict[str, dict[int, Any]] = {}
    for index, name in enumerate(names):
        if name in REFERENCES:
            stale = {row[index + 1] for row in rows if row[index + 1] not in (None, new[name])}
            old_refs[name] = {pk: render_reference(name, obj) for pk, obj in load_references(name, stale).items()}
    events = []
    for contact_uuid, *current in rows:
        changes = {}
        for name, old in zip(names, current, strict=True):
            if old == new[name]:
                continue
            if name in REFERENCES:
                changes[name] = {"before": old_refs[name].get(old), "after": render_reference(name, values[name])}
            else:
                changes[name] = {"before": old, "after": values[name]}
        if changes:
            events.append(PendingEvent(contact_uuid, EventType.UPDATED, changes))
    return events


@dataclass
class ContactChange:
    """One contact of a many-contact write (the native API's batch): `before` is `snapshot(contact, ...)` taken
    before the values were applied (None: the write created it); `contact` holds the values after; `tags` and
    `groups` are the names after, when the write set them."""

    contact: Contact
    before: dict[str, Any] | None
    tags: list[str] | None = None
    groups: list[str] | None = None


def contact_events(changes: Sequence[ContactChange]) -> list[PendingEvent]:
    """The events of a many-contact write, in the order given: created, updated or avatar_changed, none for a
    contact the write left as it was. References are rendered with one query per kind for the whole write."""
    pending: list[tuple[Contact, str, dict[str, dict[str, Any]]]] = []
    wanted: dict[str, set[int]] = {name: set() for name in REFERENCES}
    for change in changes:
        contact = change.contact
        tags = change.tags if change.tags is not None or change.before is not None else []
        groups = change.groups if change.groups is not None or change.before is not None else []
        after = snapshot(contact, tags=tags, groups=groups)
        if change.before is None:
            fields, kind = created(after), EventType.CREATED
        else:
            fields = diff(change.before, after)
            kind = EventType.AVATAR_CHANGED if fields and set(fields) <= _AVATAR_FIELDS else EventType.UPDATED
        if not fields:
            continue
        for name in REFERENCES:
            if name in fields:
                wanted[name].update(pk for pk in (fields[name]["before"], fields[name]["after"]) if pk is not None)
        pending.append((contact, kind, fields))
    loaded = {name: load_references(name, pks) for name, pks in wanted.items() if pks}
    events = []
    for contact, kind, fields in pending:
        for name, objects in loaded.items():
            if name in fields:
                for side in ("before", "after"):
                    pk = fields[name][side]
                    fields[name][side] = render_reference(name, objects.get(pk)) if pk is not None else None
        events.append(PendingEvent(contact.uuid, kind, fields))
    return events
