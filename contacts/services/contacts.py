"""Creating, changing and deleting contacts. Every surface goes through these functions."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.files.base import File
from django.db import IntegrityError, transaction

from contacts.errors import Conflict, NotFound, ValidationFailed
from contacts.models import (
    Branch,
    Contact,
    ContactGroup,
    ContactSource,
    Organization,
    Tag,
    Team,
)
from contacts.services.contact_fields import (
    TEXT_FIELDS,
    UNIQUE_FIELDS,
    clean_avatar_url,
    clean_email,
    clean_source,
    clean_text,
    unique_index_condition,
)
from contacts.services.custom_fields import clean_custom_fields, define_custom_fields
from contacts.services.phones import normalize_phone
from contacts.services.references import (
    member,
    own,
    resolve_branch,
    resolve_group,
    resolve_groups,
    resolve_member,
    resolve_tags,
    resolve_team,
)
from contacts.services.uncommitted_files import file_written

logger = logging.getLogger(__name__)

# Also importable from here: the surfaces that resolve references or clean values before calling a service.
__all__ = [
    "UNIQUE_FIELDS",
    "UNSET",
    "clean_email",
    "clean_source",
    "clean_text",
    "create_contact",
    "delete_contact",
    "lock_contact",
    "lock_contact_ids",
    "resolve_branch",
    "resolve_group",
    "resolve_groups",
    "resolve_member",
    "resolve_tags",
    "resolve_team",
    "unique_index_condition",
    "update_contact",
    "upsert_contact",
]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""Marks an argument of `update_contact` that the caller did not give (as opposed to None or "")."""


def create_contact(
    *,
    organization: Organization,
    actor: Any = None,
    name: str = "",
    full_name: str = "",
    phone: str | None = None,
    phone_region: str | None = None,
    email: str = "",
    country: str = "",
    description: str = "",
    address: str = "",
    is_favorite: bool = False,
    alias: str | None = None,
    contact_key: str | None = None,
    source: str = ContactSource.API,
    avatar: File | None = None,
    avatar_url: str = "",
    branch: Branch | None = None,
    team: Team | None = None,
    assigned_user: Any = None,
    groups: Sequence[str | ContactGroup] | None = None,
    tags: Sequence[str | Tag] | None = None,
    custom_fields: Mapping[str, Any] | None = None,
    custom_field_types: Mapping[str, str] | None = None,
    attributes: Mapping[str, Any] | None = None,
    bot_status: str = "",
    note: str = "",
    create_missing_tags: bool = True,
    create_missing_groups: bool = False,
) -> Contact:
    """Create a contact in `organization`, or raise a `contacts.errors` exception and write nothing.

    `custom_field_types` ({key: type}) defines missing custom fields on first use (Mobivate `meta`,
    Contactship `additional_data`); without it every key must already be defined.
    """
    contact = Contact(organization=organization)
    values = dict(
        name=name,
        full_name=full_name,
        country=country,
        description=description,
        address=address,
        alias=alias,
        contact_key=contact_key,
        bot_status=bot_status,
        note=note,
    )
    for field, value in values.items():
        setattr(contact, field, clean_text(field, value))
    contact.alias = contact.alias or None
    contact.contact_key = contact.contact_key or None
    contact.is_favorite = bool(is_favorite)
    contact.source = clean_source(source)
    contact.email = clean_email(email)
    contact.avatar_url = clean_avatar_url(avatar_url)
    if phone not in (None, ""):
        normalized = normalize_phone(phone, default_region=organization.default_region, region_hint=phone_region)
        contact.phone, contact.phone_valid = normalized.e164, normalized.is_valid
    contact.branch = own(organization, branch, "branch_id", "branch")
    contact.team = own(organization, team, "team_uuid", "team")
    contact.assigned_user = member(organization, assigned_user)
    contact.attributes = dict(attributes or {})

    try:
        with transaction.atomic():
            if custom_fields:
                cleaned = _clean_custom_fields(organization, custom_fields, custom_field_types)
                contact.custom_fields = cleaned
                contact.custom_field_order = list(cleaned)
            if avatar is not None:
                _save_avatar(contact, avatar)
            contact.save(force_insert=True)
            if tags:
                _link(
                    Contact.tags.through,
                    "tag",
                    contact,
                    resolve_tags(organization, tags, create_missing=create_missing_tags),
                )
            if groups:
                _link(
                    Contact.groups.through,
                    "contactgroup",
                    contact,
                    resolve_groups(organization, groups, create_missing=create_missing_groups),
                )
    except IntegrityError as exc:
        _discard_avatar(contact)
        raise _conflict(exc) from exc
    except Exception:
        _discard_avatar(contact)
        raise
    logger.debug("contact created", extra={"contact_id": contact.pk, "organization_id": organization.pk})
    return contact


def update_contact(
    contact: Contact,
    *,
    actor: Any = None,
    phone_region: str | None = None,
    custom_fields_mode: str = "replace",
    custom_field_types: Mapping[str, str] | None = None,
    create_missing_tags: bool = True,
    create_missing_groups: bool = False,
    **changes: Any,
) -> Contact:
    """Apply `changes` (any `create_contact` field) to `contact`; fields not given stay as they are.

    `tags` and `groups` replace the current sets. `custom_fields` replaces the values unless
    `custom_fields_mode="merge"`, which adds to and overwrites the current ones, or `"patch"` (the admin's
    form), which merges too but removes the keys given as None.
    """
    organization = contact.organization
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise TypeError(f"update_contact() got unexpected fields: {', '.join(sorted(unknown))}")
    changes = {key: value for key, value in changes.items() if value is not UNSET}
    new_avatar = False
    try:
        with transaction.atomic():
            locked = lock_contact(contact)
            # The file to remove is the one the locked row names: the caller's copy may be stale.
            old_avatar = locked.avatar.name if locked.avatar else ""
            for field in TEXT_FIELDS.keys() & changes.keys():
                value = clean_text(field, changes[field])
                if field in ("alias", "contact_key"):
                    value = value or None
                setattr(locked, field, value)
            if "email" in changes:
                locked.email = clean_email(changes["email"])
            if "avatar_url" in changes:
                locked.avatar_url = clean_avatar_url(changes["avatar_url"])
            if "source" in changes:
                locked.source = clean_source(changes["source"])
            if "is_favorite" in changes:
                locked.is_favorite = bool(changes["is_favorite"])
            if "phone" in changes:
                if changes["phone"] in (None, ""):
                    locked.phone, locked.phone_valid = None, False
                else:
                    normalized = normalize_phone(
                        changes["phone"], default_region=organization.default_region, region_hint=phone_region
                    )
                    locked.phone, locked.phone_valid = normalized.e164, normalized.is_valid
            if "branch" in changes:
                locked.branch = own(organization, changes["branch"], "branch_id", "branch")
            if "team" in changes:
                locked.team = own(organization, changes["team"], "team_uuid", "team")
            if "assigned_user" in changes:
                locked.assigned_user = member(organization, changes["assigned_user"])
            if "attributes" in changes:
                locked.attributes = dict(changes["attributes"] or {})
            if "custom_fields" in changes:
                given = changes["custom_fields"] or {}
                removed: set[str] = set()
                if custom_fields_mode == "patch" and isinstance(given, Mapping):
                    removed = {key for key, value in given.items() if value is None}
                    given = {key: value for key, value in given.items() if value is not None}
                cleaned = _clean_custom_fields(organization, given, custom_field_types)
                if custom_fields_mode in ("merge", "patch"):
                    merged = {**locked.custom_fields, **cleaned}
                    for key in removed:
                        merged.pop(key, None)
                    order = [key for key in locked.custom_field_order if key in merged]
                    order += [key for key in merged if key not in order]
                    locked.custom_fields, locked.custom_field_order = merged, order
                else:
                    locked.custom_fields, locked.custom_field_order = cleaned, list(cleaned)
            if changes.get("avatar") is not None:
                _save_avatar(locked, changes["avatar"])
                new_avatar = True
            elif "avatar" in changes:
                locked.avatar = ""
            locked.save()
            if "tags" in changes:
                tags = resolve_tags(organization, changes["tags"] or [], create_missing=create_missing_tags)
                locked.tags.set(tags)
            if "groups" in changes:
                groups = resolve_groups(organization, changes["groups"] or [], create_missing=create_missing_groups)
                locked.groups.set(groups)
            if old_avatar and locked.avatar.name != old_avatar:
                _delete_file_on_commit(locked.avatar.storage, old_avatar)
    except IntegrityError as exc:
        if new_avatar:
            _discard_avatar(locked)
        raise _conflict(exc) from exc
    except Exception:
        if new_avatar:
            _discard_avatar(locked)
        raise
    return locked


_UPDATABLE = set(TEXT_FIELDS) | {
    "phone",
    "email",
    "is_favorite",
    "source",
    "avatar",
    "avatar_url",
    "branch",
    "team",
    "assigned_user",
    "groups",
    "tags",
    "custom_fields",
    "attributes",
}


def upsert_contact(
    *, organization: Organization, match_on: str, actor: Any = None, **fields: Any
) -> tuple[Contact, bool]:
    """Update the contact whose `match_on` value (phone, alias, contact_key or email) equals the given one,
    or create it. Returns `(contact, created)`; a concurrent create of the same value ends as an update."""
    if match_on not in ("phone", "alias", "contact_key", "email"):
        raise ValueError(f"Cannot match contacts on {match_on!r}")
    value = fields.get(match_on)
    if value in (None, ""):
        raise ValidationFailed(match_on, f"{match_on} is required to match an existing contact")
    if match_on == "phone":
        value = normalize_phone(
            value, default_region=organization.default_region, region_hint=fields.get("phone_region")
        ).e164
    for attempt in range(2):
        existing = Contact.objects.filter(organization=organization, **{match_on: value}).order_by("id").first()
        if existing is not None:
            update_fields = {key: val for key, val in fields.items() if key not in _CREATE_ONLY}
            options = {key: fields[key] for key in _UPDATE_OPTIONS if key in fields}
            return update_contact(existing, actor=actor, **update_fields, **options), False
        try:
            return create_contact(organization=organization, actor=actor, **fields), True
        except Conflict as conflict:
            if conflict.field != match_on or attempt:
                raise
    raise AssertionError("unreachable")


_UPDATE_OPTIONS = {"phone_region", "custom_field_types", "create_missing_tags", "create_missing_groups"}
_CREATE_ONLY = _UPDATE_OPTIONS


def delete_contact(contact: Contact, *, actor: Any = None) -> None:
    """Delete `contact` and its links; its avatar file goes once the deletion is committed.
    Raises NotFound when a concurrent request deleted it first."""
    with transaction.atomic():
        locked = lock_contact(contact)
        avatar_name = locked.avatar.name if locked.avatar else ""
        locked.delete()
        if avatar_name:
            _delete_file_on_commit(locked.avatar.storage, avatar_name)


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


def _link(through: type, target: str, contact: Contact, targets: Sequence[Any]) -> None:
    through.objects.bulk_create([through(contact_id=contact.pk, **{f"{target}_id": obj.pk}) for obj in targets])


def _clean_custom_fields(
    organization: Organization, values: Mapping[str, Any], types: Mapping[str, str] | None
) -> dict[str, Any]:
    if not isinstance(values, Mapping):
        raise ValidationFailed("custom_fields", "custom_fields must be an object")
    definitions = define_custom_fields(organization, types) if types else None
    if definitions is not None and set(values) - set(definitions):
        extra = {cf.key: cf for cf in organization.custom_fields.filter(key__in=list(set(values) - set(definitions)))}
        definitions = {**definitions, **extra}
    return clean_custom_fields(organization, values, definitions=definitions)


def _conflict(exc: IntegrityError) -> Conflict:
    """Name the field a unique-constraint violation was about, from PostgreSQL's constraint name or
    SQLite's column list, without a second query."""
    text = str(exc)
    for field, constraint in UNIQUE_FIELDS.items():
        if constraint in text or f"contacts_contact.{field}" in text:
            return Conflict(field, f"A contact with this {field.replace('_', ' ')} already exists")
    logger.warning("unexpected integrity error: %s", text)
    return Conflict(None, "The contact conflicts with an existing one")


def _delete_file_on_commit(storage: Any, name: str) -> None:
    # Until the transaction commits, a rollback would bring back the row that names this file.
    transaction.on_commit(lambda: storage.delete(name))


def _save_avatar(contact: Contact, upload: File) -> None:
    """Write the avatar now, while the contact row is locked: replacements then write and delete in commit order."""
    contact.avatar.save(upload.name, upload, save=False)
    file_written(contact.avatar.storage, contact.avatar.name)


def _discard_avatar(contact: Contact) -> None:
    # The service's own transaction failed: its file goes at once (a caller's rollback is the scope's to handle).
    if contact.avatar and contact.avatar.name:
        contact.avatar.storage.delete(contact.avatar.name)
