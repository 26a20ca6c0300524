"""Creating, changing and deleting what contacts refer to: tags, groups, custom field definitions, branches, teams
and sender numbers.

Names are unique per organization (tags whatever their case), and the database is the judge: a duplicate is an
`IntegrityError` turned into a `Conflict` naming the field, so two concurrent creates of one name end as one row
and one conflict. Deleting a vocabulary entry that contacts use changes those contacts (their link or their value
goes), and so does renaming one (the name a contact shows changes): such a write locks the contacts first, in
ascending id (the lock order of every write path), moves their `updated_at` (an incremental sync must return them)
and reports them through `record_change` once, with each contact's change. Each costs the same number of queries
however many contacts it reaches.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from contacts.db import UnicodeLower
from contacts.errors import Conflict, ValidationFailed
from contacts.models import (
    Branch,
    Contact,
    ContactGroup,
    CustomField,
    CustomFieldType,
    Organization,
    SenderNumber,
    Tag,
    Team,
)
from contacts.services.changes import ChangeKind, record_change
from contacts.services.contacts import lock_contact_ids, touch_contacts
from contacts.services.dashboard import invalidate_dashboard
from contacts.services.phones import normalize_phone
from events.builders import link_events, reference_events, renamed_link_events
from events.models import EventType
from events.services import PendingEvent
from events.values import CUSTOM_PREFIX, render_reference


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""Marks an update argument the caller did not give (as opposed to None or "")."""

CHOICE_TYPES = (CustomFieldType.CHOICE, CustomFieldType.MULTICHOICE)
MAX_CHOICES = 500


def _name(field: str, value: Any, max_length: int, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(field, f"{field} must be a string")
    text = value.strip()
    if required and not text:
        raise ValidationFailed(field, f"{field} must not be empty")
    if len(text) > max_length:
        raise ValidationFailed(field, f"{field} must be at most {max_length} characters")
    if "\x00" in text:
        raise ValidationFailed(field, f"{field} contains a NUL character")
    return text


def _saved(obj: models.Model, field: str, message: str) -> Any:
    """Save `obj`; a unique violation is a `Conflict` on `field`."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise Conflict(field, message) from None
    return obj


# --- tags ---------------------------------------------------------------------------------------------------------


def create_tag(*, organization: Organization, name: str, actor: Any = None) -> Tag:
    tag = Tag(organization=organization, name=_name("name", name, 100))
    _ensure_tag_name_free(tag)
    _saved(tag, "name", f"A tag named {tag.name!r} already exists")
    invalidate_dashboard(organization.pk)
    return tag


def update_tag(tag: Tag, *, name: Any = UNSET, actor: Any = None) -> Tag:
    if name is not UNSET:
        tag.name = _name("name", name, 100)
        _ensure_tag_name_free(tag)
    with transaction.atomic():
        _save_renaming_links(tag, Contact.tags.through, "tag_id", actor)
    invalidate_dashboard(tag.organization_id)
    return tag


def _ensure_tag_name_free(tag: Tag) -> None:
    # The unique index folds case with the database's LOWER(), which on SQLite is ASCII only; this check folds the
    # way tag lookups do (`resolve_tags`), so "É" and "é" are one tag on both databases.
    taken = (
        Tag.objects.annotate(lname=UnicodeLower("name"))
        .filter(organization_id=tag.organization_id, lname=tag.name.lower())
        .exclude(pk=tag.pk)
    )
    if taken.exists():
        raise Conflict("name", f"A tag named {tag.name!r} already exists")


def delete_tag(tag: Tag, *, actor: Any = None) -> None:
    with transaction.atomic():
        ids = _lock_linked(tag.organization_id, Contact.tags.through.objects.filter(tag=tag))
        tag.delete()
        touch_contacts(ids)
        events = link_events(Contact.tags.through, "tag_id", ids, tag.name, added=False, event_type=EventType.UNTAGGED)
        record_change(
            ChangeKind.UNTAGGED, organization_id=tag.organization_id, contact_ids=ids, actor=actor, events=events
        )
    invalidate_dashboard(tag.organization_id)


# --- groups -------------------------------------------------------------------------------------------------------


def create_group(*, organization: Organization, name: str, description: str = "", actor: Any = None) -> ContactGroup:
    group = ContactGroup(
        organization=organization,
        name=_name("name", name, 200),
        description=_name("description", description, 5000, required=False),
    )
    return _saved(group, "name", f"A group named {group.name!r} already exists")


def update_group(
    group: ContactGroup, *, name: Any = UNSET, description: Any = UNSET, actor: Any = None
) -> ContactGroup:
    if name is not UNSET:
        group.name = _name("name", name, 200)
    if description is not UNSET:
        group.description = _name("description", description if description is not None else "", 5000, required=False)
    with transaction.atomic():
        return _save_renaming_links(group, Contact.groups.through, "contactgroup_id", actor)


def delete_group(group: ContactGroup, *, actor: Any = None) -> None:
    with transaction.atomic():
        ids = _lock_linked(group.organization_id, Contact.groups.through.objects.filter(contactgroup=group))
        group.delete()
        touch_contacts(ids)
        events = link_events(
            Contact.groups.through, "contactgroup_id", ids, group.name, added=False, event_type=EventType.UNGROUPED
        )
        record_change(
            ChangeKind.UPDATED, organization_id=group.organization_id, contact_ids=ids, actor=actor, events=events
        )


# --- custom field definitions -------------------------------------------------------------------------------------


def create_custom_field(
    *,
    organization: Organization,
    key: str,
    field_type: str = CustomFieldType.TEXT,
    label: str = "",
    choices: Iterable[str] | None = None,
    actor: Any = None,
) -> CustomField:
    """Define a custom field. Its key and type are fixed once defined: values already stored were cleaned for it."""
    key = _name("key", key, 100)
    if field_type not in CustomFieldType.values:
        raise ValidationFailed("type", f"Unknown custom field type {field_type!r}; expected one of {_types()}")
    definition = CustomField(
        organization=organization,
        key=key,
        label=_name("label", label or "", 200, required=False) or key,
        field_type=field_type,
        choices=_choices(field_type, choices),
    )
    return _saved(definition, "key", f"A custom field with key {key!r} already exists")


def update_custom_field(
    definition: CustomField, *, label: Any = UNSET, choices: Any = UNSET, actor: Any = None
) -> CustomField:
    """Change a definition's label or choices. Values stored before a choice was removed are kept as they are."""
    if label is not UNSET:
        definition.label = _name("label", label or "", 200, required=False) or definition.key
    if choices is not UNSET:
        definition.choices = _choices(definition.field_type, choices)
    definition.save()
    return definition


def delete_custom_field(definition: CustomField, *, actor: Any = None) -> None:
    """Delete the definition and its value on every contact that has one."""
    key = definition.key
    with transaction.atomic():
        holders = Contact.objects.filter(organization_id=definition.organization_id, custom_fields__has_key=key)
        ids = lock_contact_ids(definition.organization_id, holders.values_list("pk", flat=True))
        contacts = list(
            Contact.objects.filter(pk__in=ids).order_by("pk").only("pk", "uuid", "custom_fields", "custom_field_order")
        )
        now, events = timezone.now(), []
        for contact in contacts:
            old = contact.custom_fields.pop(key, None)
            contact.custom_field_order = [name for name in contact.custom_field_order if name != key]
            # bulk_update applies no auto_now.
            contact.updated_at = now
            events.append(
                PendingEvent(contact.uuid, EventType.UPDATED, {CUSTOM_PREFIX + key: {"before": old, "after": None}})
            )
        Contact.objects.bulk_update(contacts, ["custom_fields", "custom_field_order", "updated_at"], batch_size=500)
        definition.delete()
        record_change(
            ChangeKind.UPDATED, organization_id=definition.organization_id, contact_ids=ids, actor=actor, events=events
        )


def _types() -> str:
    return ", ".join(CustomFieldType.values)


def _choices(field_type: str, choices: Any) -> list[str]:
    if field_type not in CHOICE_TYPES:
        if choices:
            raise ValidationFailed("choices", f"Only {' and '.join(CHOICE_TYPES)} fields have choices")
        return []
    if not isinstance(choices, list) or not choices:
        raise ValidationFailed("choices", f"A {field_type} field needs a non-empty list of choices")
    if len(choices) > MAX_CHOICES:
        raise ValidationFailed("choices", f"A field has at most {MAX_CHOICES} choices")
    cleaned = [_name("choices", choice, 200) for choice in choices]
    if len(set(cleaned)) != len(cleaned):
        raise ValidationFailed("choices", "Each choice must appear once")
    return cleaned


# --- branches and teams -------------------------------------------------------------------------------------------


# Both are a name unique in their organization: one rule each for writing and deleting them (`_named`,
# `_delete_unassigning`), the public functions only say which model.


def create_branch(*, organization: Organization, name: str, actor: Any = None) -> Branch:
    return _named(Branch(organization=organization), name)


def create_team(*, organization: Organization, name: str, actor: Any = None) -> Team:
    return _named(Team(organization=organization), name)


def update_branch(branch: Branch, *, name: Any = UNSET, actor: Any = None) -> Branch:
    return _renamed(branch, name, actor)


def update_team(team: Team, *, name: Any = UNSET, actor: Any = None) -> Team:
    return _renamed(team, name, actor)


def delete_branch(branch: Branch, *, actor: Any = None) -> None:
    """Delete the branch; its contacts keep existing without one (ON DELETE SET NULL)."""
    _delete_unassigning(branch, actor)


def delete_team(team: Team, *, actor: Any = None) -> None:
    """Delete the team; its contacts keep existing without one (ON DELETE SET NULL)."""
    _delete_unassigning(team, actor)


def _named(obj: Branch | Team, name: Any) -> Any:
    if name is not UNSET:
        obj.name = _name("name", name, 200)
    return _saved(obj, "name", f"A {obj._meta.model_name} named {obj.name!r} already exists")


def _renamed(obj: Branch | Team, name: Any, actor: Any) -> Any:
    """Save a branch or team; a new name is a change of every contact that shows it."""
    field = obj._meta.model_name
    if name is not UNSET:
        obj.name = _name("name", name, 200)
    with transaction.atomic():
        old = _stored(obj)
        ids = []
        if old is not None and old.name != obj.name:
            ids = _lock_referring(obj)
            old = _stored(obj, lock=True)
        _named(obj, UNSET)
        if ids and old is not None and old.name != obj.name:
            touch_contacts(ids)
            events = reference_events(field, ids, render_reference(field, old), render_reference(field, obj))
            record_change(
                ChangeKind.UPDATED, organization_id=obj.organization_id, contact_ids=ids, actor=actor, events=events
            )
    return obj


def _delete_unassigning(obj: Branch | Team, actor: Any) -> None:
    # The contact's foreign key to a branch or team is named as the model is (`branch`, `team`).
    field = obj._meta.model_name
    with transaction.atomic():
        ids = _lock_referring(obj)
        before = render_reference(field, obj)
        # Unassigned here rather than by the delete's ON DELETE SET NULL, so that the same statement moves
        # `updated_at`; the delete then finds no contact to unassign.
        if ids:
            Contact.objects.filter(pk__in=ids).update(**{field: None, "updated_at": timezone.now()})
        obj.delete()
        events = reference_events(field, ids, before, None)
        record_change(
            ChangeKind.UPDATED, organization_id=obj.organization_id, contact_ids=ids, actor=actor, events=events
        )


def _lock_referring(obj: Branch | Team) -> list[int]:
    contacts = Contact.objects.filter(**{obj._meta.model_name: obj})
    return lock_contact_ids(obj.organization_id, contacts.values_list("pk", flat=True))


# --- sender numbers -----------------------------------------------------------------------------------------------


def create_sender_number(
    *, organization: Organization, phone: str, external_id: str, label: str = "", actor: Any = None
) -> SenderNumber:
    number = SenderNumber(
        organization=organization,
        phone=_sender_phone(organization, phone),
        external_id=_name("external_id", external_id, 64),
        label=_name("label", label or "", 200, required=False),
    )
    return _saved(number, "external_id", f"A sender number with external_id {number.external_id!r} already exists")


def update_sender_number(
    number: SenderNumber, *, phone: Any = UNSET, external_id: Any = UNSET, label: Any = UNSET, actor: Any = None
) -> SenderNumber:
    if phone is not UNSET:
        number.phone = _sender_phone(number.organization, phone)
    if external_id is not UNSET:
        number.external_id = _name("external_id", external_id, 64)
    if label is not UNSET:
        number.label = _name("label", label or "", 200, required=False)
    return _saved(number, "external_id", f"A sender number with external_id {number.external_id!r} already exists")


def delete_sender_number(number: SenderNumber, *, actor: Any = None) -> None:
    number.delete()


def _sender_phone(organization: Organization, phone: Any) -> str:
    if not isinstance(phone, str) or not phone.strip():
        raise ValidationFailed("phone", "phone must be a non-empty string")
    return normalize_phone(phone, default_region=organization.default_region, field="phone").e164


def _lock_linked(organization_id: int, links: models.QuerySet) -> list[int]:
    # Contact rows before link rows, in ascending id: the lock order of every write path.
    return lock_contact_ids(organization_id, links.values_list("contact_id", flat=True))


def _stored(obj: models.Model, *, lock: bool = False) -> Any:
    """The row as the database holds it before this write (None for a new one): a caller such as a model form may
    already have set the new values on `obj`. A rename reads it again with `lock`, after locking the contacts (the
    lock order of every write path), so that its `before` is the name a concurrent rename committed."""
    if obj.pk is None:
        return None
    rows = type(obj)._default_manager.filter(pk=obj.pk)
    return (rows.select_for_update() if lock else rows).first()


def _save_renaming_links(obj: Tag | ContactGroup, through: type, target: str, actor: Any) -> Any:
    """Save a tag or group; a new name is a change of every contact linked to it (inside the caller's atomic)."""
    old = _stored(obj)
    ids = []
    if old is not None and old.name != obj.name:
        ids = _lock_linked(obj.organization_id, through.objects.filter(**{target: obj.pk}))
        old = _stored(obj, lock=True)
    kind = "tag" if target == "tag_id" else "group"
    _saved(obj, "name", f"A {kind} named {obj.name!r} already exists")
    if ids and old is not None and old.name != obj.name:
        touch_contacts(ids)
        events = renamed_link_events(through, target, ids, old.name, obj.name)
        record_change(
            ChangeKind.UPDATED, organization_id=obj.organization_id, contact_ids=ids, actor=actor, events=events
        )
    return obj
