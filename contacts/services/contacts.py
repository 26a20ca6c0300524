"""Creating, changing and deleting contacts. Every surface goes through these functions.

Each write runs in one transaction and reports itself once through `record_change`. `create_contact` and
`update_contact` apply their fields with the same `_apply_fields`: the fields are those `contact_fields`
declares, and one input gives one stored value whichever of them writes it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts.errors import Conflict, NotFound, ValidationFailed
from contacts.models import Contact, Organization
from contacts.services.changes import ChangeKind, record_change
from contacts.services.channel_identities import IdentitiesByChannel, write_channel_identities
from contacts.services.contact_fields import (
    UNIQUE_FIELDS,
)
from contacts.services.contact_values import (
    apply_fields,
    check_fields,
    delete_file_on_commit,
    discard_avatar,
    link,
    remember_links,
)
from contacts.services.phones import normalize_phone
from events import builders
from events.models import EventType
from events.services import PendingEvent, scrub_contact

logger = logging.getLogger(__name__)

_MATCH_FIELDS = ("phone", "alias", "contact_key", "email")


def create_contact(
    *,
    organization: Organization,
    actor: Any = None,
    phone_region: str | None = None,
    custom_field_types: Mapping[str, str] | None = None,
    create_missing_tags: bool = True,
    create_missing_groups: bool = False,
    channel_identities: IdentitiesByChannel | None = None,
    **fields: Any,
) -> Contact:
    """Create a contact in `organization` from `fields` (any of `contact_fields.WRITABLE_FIELDS`; the others keep
    the model's defaults), or raise a `contacts.errors` exception and write nothing.

    References are objects or what names them: `branch` (id), `team` (uuid), `assigned_user` (email), `groups`
    (names or ids), `tags` (names). `custom_field_types` ({key: type}) defines missing custom fields on first use
    (Mobivate `meta`, Contactship `additional_data`); without it every key must already be defined.
    """
    check_fields(fields)
    contact = Contact(organization=organization)
    try:
        with transaction.atomic():
            links = apply_fields(
                contact,
                fields,
                phone_region=phone_region,
                custom_fields_mode="replace",
                attributes_mode="replace",
                custom_field_types=custom_field_types,
                create_missing_tags=create_missing_tags,
                create_missing_groups=create_missing_groups,
            )
            contact.save(force_insert=True)
            for relation, targets in links.items():
                link(contact, relation, targets)
            remember_links(contact, links)
            addresses = write_channel_identities(contact, channel_identities or {}, replace=False)
            record_change(
                ChangeKind.CREATED,
                organization_id=organization.pk,
                contact_ids=[contact.pk],
                actor=actor,
                events=[builders.created_event(contact, links, addresses)],
            )
    except IntegrityError as exc:
        discard_avatar(contact)
        raise _conflict(exc) from exc
    except Exception:
        discard_avatar(contact)
        raise
    logger.debug("contact created", extra={"contact_id": contact.pk, "organization_id": organization.pk})
    return contact


def update_contact(
    contact: Contact,
    *,
    actor: Any = None,
    phone_region: str | None = None,
    custom_fields_mode: str = "replace",
    attributes_mode: str = "replace",
    custom_field_types: Mapping[str, str] | None = None,
    create_missing_tags: bool = True,
    create_missing_groups: bool = False,
    channel_identities: IdentitiesByChannel | None = None,
    **changes: Any,
) -> Contact:
    """Apply `changes` (any `create_contact` field) to `contact`; fields not given stay as they are.

    `tags` and `groups` replace the current sets. `custom_fields` replaces the values unless
    `custom_fields_mode="merge"`, which adds to and overwrites the current ones, or `"patch"` (the admin's
    form), which merges too but removes the keys given as None. `attributes_mode="merge"` replaces only the
    attribute sets given. `channel_identities` replace the contact's addresses on the channels they name.
    """
    check_fields(changes)
    new_avatar = False
    locked = contact
    try:
        with transaction.atomic():
            locked = lock_contact(contact)
            locked.organization = contact.organization
            # The file to remove is the one the locked row names: the caller's copy may be stale.
            old_avatar = locked.avatar.name if locked.avatar else ""
            before = builders.before_update(locked, changes)
            links = apply_fields(
                locked,
                changes,
                phone_region=phone_region,
                custom_fields_mode=custom_fields_mode,
                attributes_mode=attributes_mode,
                custom_field_types=custom_field_types,
                create_missing_tags=create_missing_tags,
                create_missing_groups=create_missing_groups,
            )
            new_avatar = changes.get("avatar") is not None
            locked.save()
            for relation, targets in links.items():
                getattr(locked, relation).set(targets)
            remember_links(locked, links)
            addresses = write_channel_identities(locked, channel_identities or {})
            if old_avatar and locked.avatar.name != old_avatar:
                delete_file_on_commit(locked.avatar.storage, old_avatar)
            record_change(
                ChangeKind.UPDATED,
                organization_id=locked.organization_id,
                contact_ids=[locked.pk],
                actor=actor,
                events=builders.updated_events(before, locked, links, addresses),
            )
    except IntegrityError as exc:
        if new_avatar:
            discard_avatar(locked)
        raise _conflict(exc) from exc
    except Exception:
        if new_avatar:
            discard_avatar(locked)
        raise
    return locked


def upsert_contact(
    *,
    organization: Organization,
    match_on: str,
    channel_identities: IdentitiesByChannel | None = None,
    actor: Any = None,
    **fields: Any,
) -> tuple[Contact, bool]:
    """Update the contact whose `match_on` value (phone, alias, contact_key or email) equals the given one, or
    create it; returns `(contact, created)`. The contact and its channel identities are written in one
    transaction. A concurrent create of the same value ends as an update of the contact that won, whichever
    unique value collided first. `fields` may hold `update_contact`'s modes, which a create ignores."""
    if match_on not in _MATCH_FIELDS:
        raise ValueError(f"Cannot match contacts on {match_on!r}")
    value = fields.get(match_on)
    if value in (None, ""):
        raise ValidationFailed(match_on, f"{match_on} is required to match an existing contact")
    if match_on == "phone":
        value = normalize_phone(
            value, default_region=organization.default_region, region_hint=fields.get("phone_region")
        ).e164
    create_fields = {key: val for key, val in fields.items() if key not in _UPDATE_ONLY_OPTIONS}
    # Each attempt is one transaction of its own: a create that collides wrote nothing when the update starts.
    existing = _match(organization, match_on, value)
    if existing is None:
        try:
            contact = create_contact(
                organization=organization, actor=actor, channel_identities=channel_identities, **create_fields
            )
            return contact, True
        except Conflict:
            # Another request created it between our lookup and insert: theirs wins and ours updates it. Its
            # phone or alias can be what collided first, so look the match value up whatever the field was.
            existing = _match(organization, match_on, value)
            if existing is None:
                raise
    existing.organization = organization  # already loaded; saves a query
    contact = update_contact(existing, actor=actor, channel_identities=channel_identities, **fields)
    return contact, False


_UPDATE_ONLY_OPTIONS = ("custom_fields_mode", "attributes_mode")


def _match(organization: Organization, field: str, value: Any) -> Contact | None:
    # Email is not unique: the oldest contact with the address is the match.
    return Contact.objects.filter(organization=organization, **{field: value}).order_by("id").first()


def delete_contact(contact: Contact, *, actor: Any = None) -> None:
    """Delete `contact` and its links; its avatar file goes once the deletion is committed.
    Raises NotFound when a concurrent request deleted it first. Its history keeps a `contact.deleted` tombstone
    without values, and its earlier events lose their personal values."""
    with transaction.atomic():
        locked = lock_contact(contact)
        contact_id, avatar_name = locked.pk, locked.avatar.name if locked.avatar else ""
        locked.delete()
        if avatar_name:
            delete_file_on_commit(locked.avatar.storage, avatar_name)
        scrub_contact(locked.organization_id, locked.uuid)
        record_change(
            ChangeKind.DELETED,
            organization_id=locked.organization_id,
            contact_ids=[contact_id],
            actor=actor,
            events=[PendingEvent(locked.uuid, EventType.DELETED)],
        )


def lock_contact(contact: Contact) -> Contact:
    """The contact's row, locked until the transaction ends, freshly read; NotFound if it is gone.

    Lock order, the same in every write path: contact rows first (several: ascending id, see `lock_contact_ids`),
    then their tag, group and channel-identity rows. A writer that touched link rows before the contact row could
    deadlock with one that holds the contact, or commit links to a contact deleted meanwhile."""
    locked = Contact.objects.select_for_update().filter(pk=contact.pk, organization_id=contact.organization_id).first()
    if locked is None:
        raise NotFound("id", "Contact not found")
    return locked


def lock_contact_ids(organization_id: int, ids: Iterable[int]) -> list[int]:
    """Lock the contacts `ids` of one organization in ascending id order; returns the ids that still exist."""
    return list(
        Contact.objects.select_for_update()
        .filter(organization_id=organization_id, pk__in=list(ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def touch_contacts(ids: list[int]) -> None:
    """Move the contacts' `updated_at` after a write that changed what they show without saving them (a tag, a
    group, a renamed or deleted vocabulary entry): the native API's sync reads by it."""
    if ids:
        Contact.objects.filter(pk__in=ids).update(updated_at=timezone.now())


def _conflict(exc: IntegrityError) -> Conflict:
    """Name the field a unique-constraint violation was about, from PostgreSQL's constraint name or
    SQLite's column list, without a second query."""
    text = str(exc)
    for field, constraint in UNIQUE_FIELDS.items():
        if constraint in text or f"contacts_contact.{field}" in text:
            return Conflict(field, f"A contact with this {field.replace('_', ' ')} already exists")
    logger.warning("unexpected integrity error: %s", text)
    return Conflict(None, "The contact conflicts with an existing one")
