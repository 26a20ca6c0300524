"""Writing many contacts in one request: creates, updates and upserts, each item all-or-nothing, the batch not.

`write_batch` takes items already checked for their shape and writes them with the single writes' rules (the
values cleaned as `apply_fields` cleans them, in its order, so the first refusal is the one a single write tells;
the same references and uniqueness) in a number of queries that does not grow with the items: what they refer to
is read once (`contacts.services.batch_known`); the contacts to change are locked in one query, ascending id;
each item is cleaned in memory, and one that fails (a refused value, an unknown reference, a taken unique value,
a value or contact an earlier item claims) writes nothing; the rest are written in one savepoint, or, should a
concurrent writer take a unique value meanwhile, one savepoint each, so only the colliding item fails
(`contacts.services.batch_write`). The batch reports itself once through `record_change`, with every contact it
wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from contacts.errors import Conflict, ContactsError, NotFound, ValidationFailed
from contacts.models import Contact, Organization
from contacts.services.batch_known import MATCH_FIELDS, Known, match_key
from contacts.services.batch_write import write_prepared
from contacts.services.changes import ChangeKind, record_change
from contacts.services.contact_fields import PLAIN_FIELDS, UNIQUE_FIELDS, clean_field
from contacts.services.custom_fields import clean_custom_fields
from events.builders import ContactChange, contact_events
from events.values import snapshot

__all__ = ["MATCH_FIELDS", "MAX_ITEMS", "OPERATIONS", "BatchItem", "ItemOutcome", "write_batch"]

MAX_ITEMS = 1000
OPERATIONS = ("create", "update", "upsert")
# Resolved from what the batch read, in the order `apply_fields` resolves them (the first refusal is the one told).
_RESOLVED = ("tags", "groups", "assigned_user", "team", "branch")
_LINKS = ("tags", "groups")


@dataclass
class BatchItem:
    """One item: `fields` are `create_contact`'s keyword arguments; `id` (a uuid) names the contact to update."""

    op: str
    fields: dict[str, Any]
    id: str | None = None
    match_on: str | None = None


@dataclass
class ItemOutcome:
    """What became of one item: the contact as written (with its branch, team, user, and its tags and groups when
    the item gave them, loaded) and whether it was created, or the error, whose `field` names a member of the item
    (`id`) when `about_item`, else one of its contact."""

    created: bool = False
    contact: Contact | None = None
    error: ContactsError | None = None
    about_item: bool = False


@dataclass(eq=False)
class Prepared:
    """An accepted item: its cleaned values ({field name: stored value}; the phone as E.164 text), the tags and
    groups to link, and the contact it changes (None for a create, until written)."""

    item: BatchItem
    outcome: ItemOutcome
    contact: Contact | None
    values: dict[str, Any] = field(default_factory=dict)
    links: dict[str, list[Any]] = field(default_factory=dict)


def write_batch(*, organization: Organization, items: Sequence[BatchItem], actor: Any = None) -> list[ItemOutcome]:
    """Write `items` (at most `MAX_ITEMS`) into `organization`; one outcome per item, in their order."""
    if len(items) > MAX_ITEMS:
        raise ValidationFailed("items", f"A batch has at most {MAX_ITEMS} items")
    with transaction.atomic():
        known = Known(organization, items)
        prepared = [_prepare(known, item) for item in items]
        ready = [p for p in prepared if p.outcome.error is None]
        before = _before(ready)
        written = write_prepared(organization, ready, rank=known.rank)
        done = sorted((p for p in ready if p.outcome.contact is not None), key=lambda p: p.contact.pk)
        changes = [ContactChange(p.contact, before.get(id(p)), _names(p, "tags"), _names(p, "groups")) for p in done]
        record_change(
            ChangeKind.BATCH,
            organization_id=organization.pk,
            contact_ids=sorted(written),
            actor=actor,
            events=contact_events(changes),
        )
    return [p.outcome for p in prepared]


def _before(ready: list[Prepared]) -> dict[int, dict[str, Any]]:
    """{id(item): snapshot of its contact before the write}, for the items that change a contact; the current
    tags or groups (a query each for the batch) of those whose item replaces them."""
    changing = [p for p in ready if p.contact is not None]
    current: dict[str, dict[int, list[str]]] = {}
    for relation, name in (("tags", "tag__name"), ("groups", "contactgroup__name")):
        ids = [p.contact.pk for p in changing if relation in p.links]
        current[relation] = {pk: [] for pk in ids}
        through = getattr(Contact, relation).through
        for contact_id, linked in (
            through.objects.filter(contact_id__in=ids).values_list("contact_id", name) if ids else []
        ):
            current[relation][contact_id].append(linked)
    return {
        id(p): snapshot(p.contact, tags=current["tags"].get(p.contact.pk), groups=current["groups"].get(p.contact.pk))
        for p in changing
    }


def _names(prepared: Prepared, relation: str) -> list[str] | None:
    return [target.name for target in prepared.links[relation]] if relation in prepared.links else None


def _prepare(known: Known, item: BatchItem) -> Prepared:
    index = known.indexes[id(item)]
    outcome = ItemOutcome()
    prepared = Prepared(item, outcome, None)
    try:
        target = _target(known, item, index)
        if target is not None and target not in known.locked:
            # Deleted since it was looked up: an update's contact is gone, an upsert creates it.
            if item.op == "update":
                raise NotFound("id", "Contact not found")
            target = None
        if target is not None:
            first = known.claims["contact"].setdefault(target, index)
            if first != index:
                raise Conflict(item.match_on or "id", f"Item {first} of this batch writes the same contact")
            prepared.contact = known.locked[target]
        _clean(known, prepared)
        _claim(known, prepared, index)
    except ContactsError as exc:
        outcome.error = exc
        # An update's `id` is the item's own member; every other field is one of the item's contact.
        outcome.about_item = item.op == "update" and exc.field == "id"
    return prepared


def _target(known: Known, item: BatchItem, index: int) -> int | None:
    if item.op == "update":
        pk = known.by_uuid.get(item.id or "")
        if pk is None:
            raise NotFound("id", "Contact not found")
        return pk
    if item.op == "upsert":
        if index in known.match_errors:
            raise known.match_errors[index]
        return known.holders.get(item.match_on, {}).get(match_key(known.match_values[index]))
    return None


def _clean(known: Known, prepared: Prepared) -> None:
    """The item's stored values, cleaned as `apply_fields` cleans them and in its order: references, the plain
    fields, the phone, the custom fields. Nothing is set on a contact yet: a create is written from the values."""
    fields = prepared.item.fields
    if "avatar" in fields:
        raise ValidationFailed("avatar", "A batch item cannot upload an avatar")
    values: dict[str, Any] = {}
    for name in _RESOLVED:
        if name in fields:
            resolved = known.resolve(name, fields[name])
            if name in _LINKS:
                prepared.links[name] = resolved
            else:
                values[name] = resolved
    for name in PLAIN_FIELDS:
        if name in fields:
            values[name] = clean_field(name, fields[name])
    if "phone" in fields:
        phone = None if fields["phone"] in (None, "") else known.phone(fields["phone"])
        values["phone"], values["phone_valid"] = (phone.e164, phone.is_valid) if phone else (None, False)
    if "custom_fields" in fields:
        current = prepared.contact
        patch = (current.custom_fields, current.custom_field_order) if current is not None else None
        values["custom_fields"], values["custom_field_order"] = _custom_fields(known, fields["custom_fields"], patch)
    prepared.values = values
    prepared.outcome.created = prepared.contact is None


def _custom_fields(known: Known, given: Any, patch: tuple[dict, list] | None) -> tuple[dict, list]:
    """As `update_contact(custom_fields_mode="patch")` for a change (a key given as null is removed), as a create's
    values otherwise, with the definitions read once for the batch."""
    given = dict(given or {})
    removed = {key for key, value in given.items() if value is None} if patch else set()
    values = {key: value for key, value in given.items() if key not in removed}
    cleaned = clean_custom_fields(known.organization, values, definitions=known.definitions)
    if patch is None:
        return cleaned, list(cleaned)
    stored, stored_order = patch
    merged = {**stored, **{key: cleaned[key] for key in values}}
    for key in removed:
        merged.pop(key, None)
    order = [key for key in stored_order if key in merged]
    order += [key for key in merged if key not in order]
    return merged, order


def _claim(known: Known, prepared: Prepared, index: int) -> None:
    """Refuse a unique value another contact holds, or an earlier item of the batch claims; then claim it."""
    contact, given = prepared.contact, prepared.values
    values = {}
    for name in UNIQUE_FIELDS:
        if name in given:
            values[name] = given[name]
        elif contact is not None:
            values[name] = contact.phone_e164 if name == "phone" else getattr(contact, name)
    if prepared.item.op == "upsert" and prepared.item.match_on == "email":
        values["email"] = known.match_values[index]
    pk = contact.pk if contact is not None else None
    for name, value in values.items():
        if not value:
            continue
        holder = known.holders.get(name, {}).get(match_key(value))
        if name in UNIQUE_FIELDS and holder is not None and holder != pk:
            raise Conflict(name, f"A contact with this {name.replace('_', ' ')} already exists")
        first = known.claims[name].get(match_key(value))
        if first is not None:
            label = name.replace("_", " ")
            raise Conflict(name, f"Item {first} of this batch has the same {label}")
    for name, value in values.items():
        if value:
            known.claims[name][match_key(value)] = index
