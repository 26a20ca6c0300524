"""Writing many contacts in one request: creates, updates and upserts, each item all-or-nothing, the batch not.

`write_batch` takes items already checked for their shape and writes them with the single writes' rules
(`apply_fields` for every value, the same references and uniqueness) in a number of queries that does not grow with
the items: what they refer to is read once (tags, groups, branches, teams, members, custom fields, the contacts
named by id or holding a value an item gives); the contacts to change are locked in one query, ascending id; each
item is applied in memory, and one that fails (a refused value, an unknown reference, a taken unique value, a value
or contact an earlier item claims) writes nothing; the rest are written in one savepoint, or, should a concurrent
writer take a unique value meanwhile, one savepoint each, so only the colliding item fails. The batch reports
itself once through `record_change`, with every contact it wrote.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from contacts.db import UnicodeLower
from contacts.errors import Conflict, ContactsError, NotFound, UnknownReference, ValidationFailed
from contacts.models import Branch, Contact, ContactGroup, CustomField, Organization, Tag, Team
from contacts.services.changes import ChangeKind, record_change
from contacts.services.contact_fields import PLAIN_FIELDS, UNIQUE_FIELDS, clean_email, unique_index_condition
from contacts.services.contact_values import apply_fields
from contacts.services.contacts import _conflict
from contacts.services.custom_fields import clean_custom_fields
from contacts.services.phones import normalize_phone

User = get_user_model()

MAX_ITEMS = 1000
OPERATIONS = ("create", "update", "upsert")
MATCH_FIELDS = ("phone", "email", "alias", "contact_key")
# Resolved from what the batch read, in the order `apply_fields` resolves them (the first refusal is the one told).
_RESOLVED = ("tags", "groups", "assigned_user", "team", "branch")
_NOT_PLAIN = (*_RESOLVED, "custom_fields")
# References come resolved and custom fields are applied apart: `apply_fields` sets the rest, as for a create.
_APPLY_OPTIONS: dict[str, Any] = dict.fromkeys(("phone_region", "custom_field_types"), None) | {
    "custom_fields_mode": "replace",
    "attributes_mode": "replace",
    "create_missing_tags": False,
    "create_missing_groups": False,
}


@dataclass
class BatchItem:
    """One item: `fields` are `create_contact`'s keyword arguments; `id` (a uuid) names the contact to update."""

    op: str
    fields: dict[str, Any]
    id: str | None = None
    match_on: str | None = None


@dataclass
class ItemOutcome:
    """What became of one item: the contact as written (its links not loaded) and whether it was created, or the
    error, whose `field` names a member of the item (`id`) when `about_item`, else one of its contact."""

    created: bool = False
    contact: Contact | None = None
    error: ContactsError | None = None
    about_item: bool = False


@dataclass(eq=False)
class _Prepared:
    item: BatchItem
    outcome: ItemOutcome
    contact: Contact
    links: dict[str, list[Any]] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)


def write_batch(*, organization: Organization, items: Sequence[BatchItem], actor: Any = None) -> list[ItemOutcome]:
    """Write `items` (at most `MAX_ITEMS`) into `organization`; one outcome per item, in their order."""
    if len(items) > MAX_ITEMS:
        raise ValidationFailed("items", f"A batch has at most {MAX_ITEMS} items")
    with transaction.atomic():
        known = _Known(organization, items)
        prepared = [_prepare(known, item) for item in items]
        ready = [p for p in prepared if p.outcome.error is None]
        written = _write(ready)
        record_change(ChangeKind.BATCH, organization_id=organization.pk, contact_ids=sorted(written), actor=actor)
    return [p.outcome for p in prepared]


class _Known:
    """Everything the batch's items refer to, read in one query per kind, and the contacts it changes, locked."""

    def __init__(self, organization: Organization, items: Sequence[BatchItem]) -> None:
        self.organization = organization
        self.phones: dict[Any, str | None] = {}
        given = [item.fields for item in items]
        self.tags = self._tags([n for f in given for n in f.get("tags") or [] if isinstance(n, str)])
        self.groups = self._groups([g for f in given for g in f.get("groups") or []])
        self.branches = self._by_pk(Branch, [f["branch"] for f in given if f.get("branch") is not None])
        self.teams = self._teams([f["team"] for f in given if f.get("team")])
        self.members = self._members([f["assigned_user"] for f in given if f.get("assigned_user")])
        keys = {key for f in given if isinstance(f.get("custom_fields"), dict) for key in f["custom_fields"]}
        self.definitions = {cf.key: cf for cf in CustomField.objects.filter(organization=organization, key__in=keys)}
        # Match values, cleaned as the single writes clean them; a value that cannot be read is the item's error.
        self.match_values, self.match_errors = {}, {}  # {item index: value}, {item index: ContactsError}
        for index, item in enumerate(items):
            if item.op == "upsert":
                try:
                    self.match_values[index] = self._match_value(item)
                except ContactsError as exc:
                    self.match_errors[index] = exc
        uuids = [item.id for item in items if item.op == "update" and item.id]
        rows = organization.contacts.filter(uuid__in=uuids).values_list("uuid", "pk") if uuids else []
        self.by_uuid = {str(key): pk for key, pk in rows}
        # {field: {value: id of the contact holding it}}, for the match fields and the unique ones.
        self.holders: dict[str, dict[Any, int]] = {}
        for name in MATCH_FIELDS:
            values = {v for i, v in self.match_values.items() if items[i].match_on == name}
            if name in UNIQUE_FIELDS:
                values |= {self._unique_value(name, f) for f in given if f.get(name)}
            values.discard(None)
            if values:
                # A partial unique index serves a long IN list only when the query repeats its condition.
                found = organization.contacts.filter(**{f"{name}__in": values})
                found = found.filter(unique_index_condition(name)) if name in UNIQUE_FIELDS else found
                rows = found.order_by("-pk").values_list(name, "pk")
                # Ascending id wins: email is not unique, and the oldest contact with it is the match.
                self.holders[name] = {_key(value): pk for value, pk in rows}
        targets = set(self.by_uuid.values())
        targets |= {self.holders.get(items[i].match_on, {}).get(_key(v)) for i, v in self.match_values.items()}
        targets.discard(None)
        locking = Contact.objects.select_for_update().filter(organization=organization, pk__in=targets)
        self.locked = {contact.pk: contact for contact in locking.order_by("pk")}
        for contact in self.locked.values():
            contact.organization = organization  # already loaded: no query per contact
        # In-batch claims: {field: {value: index of the item that claimed it}}, and contacts already written.
        self.claims: dict[str, dict[Any, int]] = {name: {} for name in (*MATCH_FIELDS, "contact")}
        self.indexes = {id(item): index for index, item in enumerate(items)}

    def _match_value(self, item: BatchItem) -> Any:
        value = item.fields.get(item.match_on)
        if value in (None, ""):
            raise ValidationFailed(item.match_on, f"{item.match_on} is required to match an existing contact")
        return self._unique_value(item.match_on, item.fields) if item.match_on != "email" else clean_email(value)

    def _unique_value(self, name: str, fields: dict[str, Any]) -> Any:
        value = fields[name]
        if name != "phone":
            return value.strip() if isinstance(value, str) else value
        if value not in self.phones:  # each phone is read once for the match and the uniqueness check
            try:
                self.phones[value] = normalize_phone(value, default_region=self.organization.default_region).e164
            except ValidationFailed:
                self.phones[value] = None  # refused again, with its message, when the item is applied
        return self.phones[value]

    def _tags(self, names: list[str]) -> dict[str, Tag]:
        lowered = {name.strip().lower() for name in names if name.strip()}
        found = Tag.objects.annotate(lname=UnicodeLower("name")).filter(
            organization=self.organization, lname__in=lowered
        )
        return {tag.name.lower(): tag for tag in found} if lowered else {}

    def _groups(self, refs: list[Any]) -> dict[Any, ContactGroup]:
        ids = [ref for ref in refs if isinstance(ref, int) and not isinstance(ref, bool)]
        names = [ref.strip() for ref in refs if isinstance(ref, str)]
        if not ids and not names:
            return {}
        found = ContactGroup.objects.filter(Q(pk__in=ids) | Q(name__in=names), organization=self.organization)
        return {key: group for group in found for key in (group.pk, f"name:{group.name}")}

    def _by_pk(self, model: type, ids: list[Any]) -> dict[int, Any]:
        ids = [pk for pk in ids if isinstance(pk, int) and not isinstance(pk, bool)]
        return {obj.pk: obj for obj in model.objects.filter(organization=self.organization, pk__in=ids)} if ids else {}

    def _teams(self, refs: list[str]) -> dict[str, Team]:
        valid = [ref for ref in (_uuid(ref) for ref in refs) if ref]
        found = Team.objects.filter(organization=self.organization, uuid__in=valid) if valid else []
        return {str(team.uuid): team for team in found}

    def _members(self, emails: list[str]) -> dict[str, Any]:
        lowered = {str(email).strip().lower() for email in emails}
        members = User.objects.filter(memberships__organization=self.organization, is_active=True)
        users = members.annotate(lemail=Lower("email")).filter(lemail__in=lowered).order_by("-id")
        return {user.email.lower(): user for user in users} if lowered else {}

    # Each resolver refuses as `contacts.services.references` does, with its messages.

    def resolve(self, name: str, value: Any) -> Any:
        if name == "tags":
            names: dict[str, str] = {}
            for ref in value or []:
                if len(ref.strip()) > 100:
                    raise ValidationFailed("tags", "A tag name is at most 100 characters")
                names.setdefault(ref.strip().lower(), ref.strip())
            missing = [names[key] for key in names if key not in self.tags]
            if missing:
                raise UnknownReference("tags", f"Unknown tag: {', '.join(missing)}")
            return [self.tags[key] for key in names]
        if name == "groups":
            for ref in value or []:
                if isinstance(ref, int) and ref not in self.groups:
                    raise UnknownReference("groups", f"Unknown contact group: {ref}")
            names = dict.fromkeys(ref.strip() for ref in value or [] if isinstance(ref, str))
            missing = [ref for ref in names if f"name:{ref}" not in self.groups]
            if missing:
                raise UnknownReference("groups", f"Unknown group: {', '.join(missing)}")
            ordered = [ref for ref in value or [] if isinstance(ref, int)] + [f"name:{ref}" for ref in names]
            return list({self.groups[ref].pk: self.groups[ref] for ref in ordered}.values())
        if value in (None, ""):
            return None
        if name == "assigned_user":
            user = self.members.get(str(value).strip().lower())
            if user is None:
                raise UnknownReference("assigned_user", f"Unknown user: {value}")
            return user
        table, label = (self.teams, "team") if name == "team" else (self.branches, "branch")
        found = table.get(value if name == "branch" else str(value).strip())
        if found is None:
            raise UnknownReference(name, f"Unknown {label}: {value}")
        return found


def _uuid(ref: Any) -> str | None:
    try:
        return str(uuid_module.UUID(str(ref).strip()))
    except ValueError:
        return None


def _key(value: Any) -> str:
    # A stored phone reads back as a PhoneNumber; everything is compared as the text it is stored as.
    return value.as_e164 if hasattr(value, "as_e164") else str(value)


def _prepare(known: _Known, item: BatchItem) -> _Prepared:
    index = known.indexes[id(item)]
    outcome = ItemOutcome()
    contact = Contact(organization=known.organization)
    prepared = _Prepared(item, outcome, contact)
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
        _apply(known, prepared, creating=target is None)
        _claim(known, prepared, index)
    except ContactsError as exc:
        outcome.error = exc
        # An update's `id` is the item's own member; every other field is one of the item's contact.
        outcome.about_item = item.op == "update" and exc.field == "id"
    return prepared


def _target(known: _Known, item: BatchItem, index: int) -> int | None:
    if item.op == "update":
        pk = known.by_uuid.get(item.id or "")
        if pk is None:
            raise NotFound("id", "Contact not found")
        return pk
    if item.op == "upsert":
        if index in known.match_errors:
            raise known.match_errors[index]
        return known.holders.get(item.match_on, {}).get(_key(known.match_values[index]))
    return None


def _apply(known: _Known, prepared: _Prepared, *, creating: bool) -> None:
    """The item's values onto its contact (in memory), with the single writes' `apply_fields`."""
    fields = prepared.item.fields
    contact = prepared.contact
    resolved = {name: known.resolve(name, fields[name]) for name in _RESOLVED if name in fields}
    plain = {name: value for name, value in fields.items() if name not in _NOT_PLAIN}
    links = {name: resolved[name] for name in ("tags", "groups") if name in resolved}
    prepared.links = apply_fields(contact, {**plain, **links}, **_APPLY_OPTIONS)
    for name in ("assigned_user", "team", "branch"):
        if name in resolved:
            setattr(contact, name, resolved[name])
    touched = {name for name in plain if name in PLAIN_FIELDS} | {n for n in resolved if n not in ("tags", "groups")}
    if "phone" in plain:
        touched |= {"phone", "phone_valid"}
    if "custom_fields" in fields:
        _apply_custom_fields(known, contact, fields["custom_fields"], patch=not creating)
        touched |= {"custom_fields", "custom_field_order"}
    prepared.touched = touched
    prepared.outcome.created = creating


def _apply_custom_fields(known: _Known, contact: Contact, given: Any, *, patch: bool) -> None:
    """As `update_contact(custom_fields_mode="patch")` for a change (a key given as null is removed), as a create's
    values otherwise, with the definitions read once for the batch."""
    given = dict(given or {})
    removed = {key for key, value in given.items() if value is None} if patch else set()
    values = {key: value for key, value in given.items() if key not in removed}
    cleaned = clean_custom_fields(known.organization, values, definitions=known.definitions)
    if not patch:
        contact.custom_fields, contact.custom_field_order = cleaned, list(cleaned)
        return
    merged = {**contact.custom_fields, **{key: cleaned[key] for key in values}}
    for key in removed:
        merged.pop(key, None)
    order = [key for key in contact.custom_field_order if key in merged]
    order += [key for key in merged if key not in order]
    contact.custom_fields, contact.custom_field_order = merged, order


def _claim(known: _Known, prepared: _Prepared, index: int) -> None:
    """Refuse a unique value another contact holds, or an earlier item of the batch claims; then claim it."""
    contact = prepared.contact
    values = {name: contact.phone_e164 if name == "phone" else getattr(contact, name) for name in UNIQUE_FIELDS}
    if prepared.item.op == "upsert" and prepared.item.match_on == "email":
        values["email"] = known.match_values[index]
    for name, value in values.items():
        if not value:
            continue
        holder = known.holders.get(name, {}).get(_key(value))
        if name in UNIQUE_FIELDS and holder is not None and holder != contact.pk:
            raise Conflict(name, f"A contact with this {name.replace('_', ' ')} already exists")
        first = known.claims[name].get(_key(value))
        if first is not None:
            label = name.replace("_", " ")
            raise Conflict(name, f"Item {first} of this batch has the same {label}")
    for name, value in values.items():
        if value:
            known.claims[name][_key(value)] = index


def _write(ready: list[_Prepared]) -> list[int]:
    """Write the accepted items; returns the ids written. One savepoint for all, or one each after a collision."""
    if not ready:
        return []
    try:
        with transaction.atomic():
            _write_all(ready)
    except IntegrityError:
        for prepared in ready:
            if prepared.outcome.created:
                prepared.contact.pk, prepared.contact._state.adding = None, True
        return [pk for pk in (_write_one(prepared) for prepared in ready) if pk is not None]
    for prepared in ready:
        prepared.outcome.contact = prepared.contact
    return [prepared.contact.pk for prepared in ready]


def _write_all(ready: list[_Prepared]) -> None:
    now = timezone.now()
    creates = [p.contact for p in ready if p.outcome.created]
    updates = [p for p in ready if not p.outcome.created]
    if creates:
        for contact in creates:
            contact.created_at = contact.updated_at = now
        Contact.objects.bulk_create(creates)
    if updates:
        for prepared in updates:
            prepared.contact.updated_at = now
        fields = sorted({"updated_at"}.union(*(p.touched for p in updates)))
        # INSERT ... ON CONFLICT (id) DO UPDATE: one statement, where bulk_update's CASE per row and field costs
        # seconds of query building for a thousand contacts. Each row exists and is locked: only the update runs.
        changed = [p.contact for p in updates]
        stamps = [contact.created_at for contact in changed]
        Contact.objects.bulk_create(changed, update_conflicts=True, unique_fields=["id"], update_fields=fields)
        for contact, stamp in zip(changed, stamps, strict=True):
            contact.created_at = stamp  # the insert's `auto_now_add` set it on the instance, not in the row
    for relation, target in (("tags", "tag_id"), ("groups", "contactgroup_id")):
        through = getattr(Contact, relation).through
        replaced = [p.contact.pk for p in updates if relation in p.links]
        if replaced:
            through.objects.filter(contact_id__in=replaced).delete()
        rows = [
            through(contact_id=p.contact.pk, **{target: obj.pk}) for p in ready for obj in p.links.get(relation, [])
        ]
        if rows:
            through.objects.bulk_create(rows)


def _write_one(prepared: _Prepared) -> int | None:
    contact = prepared.contact
    try:
        with transaction.atomic():
            contact.save(force_insert=prepared.outcome.created)
            for relation, targets in prepared.links.items():
                getattr(contact, relation).set(targets)
    except IntegrityError as exc:
        prepared.outcome.error = _conflict(exc)
        return None
    prepared.outcome.contact = contact
    return contact.pk
