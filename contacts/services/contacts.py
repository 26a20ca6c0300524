"""Creating, changing and deleting contacts. Every surface goes through these functions."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import File
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q

from contacts.db import UnicodeLower
from contacts.errors import Conflict, NotFound, UnknownReference, ValidationFailed
from contacts.models import (
    Branch,
    Contact,
    ContactGroup,
    ContactSource,
    Organization,
    Tag,
    Team,
)
from contacts.services.custom_fields import clean_custom_fields, define_custom_fields
from contacts.services.phones import normalize_phone
from contacts.services.uncommitted_files import file_written

logger = logging.getLogger(__name__)

User = get_user_model()

# The unique values a contact can collide on, with the constraint that guards each.
UNIQUE_FIELDS = {
    "phone": "contact_unique_org_phone",
    "alias": "contact_unique_org_alias",
    "contact_key": "contact_unique_org_contact_key",
}


def unique_index_condition(field_name: str) -> Q:
    """The condition of `field_name`'s partial unique index. A lookup of many values (`IN` a list of over 100)
    must repeat it, or PostgreSQL cannot prove the index applies and scans the organization's contacts."""
    name = UNIQUE_FIELDS[field_name]
    return next(c.condition for c in Contact._meta.constraints if c.name == name)


_TEXT_FIELDS = {
    "name": 255,
    "full_name": 255,
    "country": 100,
    "description": 20_000,
    "address": 5_000,
    "alias": 255,
    "contact_key": 255,
    "bot_status": 20,
    "note": 1000,
}
_url_validator = URLValidator(schemes=["http", "https"])


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
        setattr(contact, field, _clean_text(field, value))
    contact.alias = contact.alias or None
    contact.contact_key = contact.contact_key or None
    contact.is_favorite = bool(is_favorite)
    contact.source = _clean_source(source)
    contact.email = _clean_email(email)
    contact.avatar_url = _clean_avatar_url(avatar_url)
    if phone not in (None, ""):
        normalized = normalize_phone(phone, default_region=organization.default_region, region_hint=phone_region)
        contact.phone, contact.phone_valid = normalized.e164, normalized.is_valid
    contact.branch = _own(organization, branch, "branch_id", "branch")
    contact.team = _own(organization, team, "team_uuid", "team")
    contact.assigned_user = _member(organization, assigned_user)
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
                _link(Contact.tags.through, "tag", contact, _resolve_tags(organization, tags, create_missing_tags))
            if groups:
                _link(
                    Contact.groups.through,
                    "contactgroup",
                    contact,
                    _resolve_groups(organization, groups, create_missing_groups),
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
            for field in _TEXT_FIELDS.keys() & changes.keys():
                value = _clean_text(field, changes[field])
                if field in ("alias", "contact_key"):
                    value = value or None
                setattr(locked, field, value)
            if "email" in changes:
                locked.email = _clean_email(changes["email"])
            if "avatar_url" in changes:
                locked.avatar_url = _clean_avatar_url(changes["avatar_url"])
            if "source" in changes:
                locked.source = _clean_source(changes["source"])
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
                locked.branch = _own(organization, changes["branch"], "branch_id", "branch")
            if "team" in changes:
                locked.team = _own(organization, changes["team"], "team_uuid", "team")
            if "assigned_user" in changes:
                locked.assigned_user = _member(organization, changes["assigned_user"])
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
                tags = _resolve_tags(organization, changes["tags"] or [], create_missing_tags)
                locked.tags.set(tags)
            if "groups" in changes:
                groups = _resolve_groups(organization, changes["groups"] or [], create_missing_groups)
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


_UPDATABLE = set(_TEXT_FIELDS) | {
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


def resolve_tags(organization: Organization, names: Sequence[str | Tag], *, create_missing: bool) -> list[Tag]:
    return _resolve_tags(organization, names, create_missing)


def resolve_groups(
    organization: Organization, refs: Sequence[str | int | ContactGroup], *, create_missing: bool = False
) -> list[ContactGroup]:
    return _resolve_groups(organization, refs, create_missing)


def resolve_branch(organization: Organization, branch_id: Any, *, field: str = "branch_id") -> Branch:
    return _by_id(Branch, organization, branch_id, field, "branch")


def resolve_group(organization: Organization, group_id: Any, *, field: str = "contact_group_id") -> ContactGroup:
    return _by_id(ContactGroup, organization, group_id, field, "contact group")


def resolve_team(organization: Organization, team_uuid: Any, *, field: str = "team_uuid") -> Team:
    try:
        team = Team.objects.filter(organization=organization, uuid=str(team_uuid).strip()).first()
    except DjangoValidationError:  # not a UUID at all
        team = None
    if team is None:
        raise UnknownReference(field, f"Unknown team: {team_uuid}")
    return team


def resolve_member(organization: Organization, email: str, *, field: str = "assigned_user") -> Any:
    """The user with `email` who is a member of `organization`."""
    user = (
        User.objects.filter(email__iexact=str(email).strip(), memberships__organization=organization, is_active=True)
        .order_by("id")
        .first()
    )
    if user is None:
        raise UnknownReference(field, f"Unknown user: {email}")
    return user


def _by_id(model: type, organization: Organization, raw_id: Any, field: str, label: str) -> Any:
    try:
        pk = int(str(raw_id).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(field, f"{field} must be an integer") from None
    obj = model.objects.filter(organization=organization, pk=pk).first()
    if obj is None:
        raise UnknownReference(field, f"Unknown {label}: {raw_id}")
    return obj


def _resolve_tags(organization: Organization, refs: Sequence[str | Tag], create_missing: bool) -> list[Tag]:
    if isinstance(refs, str):
        raise ValidationFailed("tags", "tags must be a list of names")
    instances = [ref for ref in refs if isinstance(ref, Tag)]
    for tag in instances:
        if tag.organization_id != organization.pk:
            raise UnknownReference("tags", f"Unknown tag: {tag.name}")
    names: dict[str, str] = {}
    for ref in refs:
        if isinstance(ref, Tag):
            continue
        if not isinstance(ref, str) or not ref.strip():
            raise ValidationFailed("tags", "Each tag must be a non-empty string")
        if "\x00" in ref:
            raise ValidationFailed("tags", "A tag name contains a NUL character")
        if len(ref.strip()) > 100:
            raise ValidationFailed("tags", "A tag name is at most 100 characters")
        names.setdefault(ref.strip().lower(), ref.strip())
    if not names:
        return instances
    found = {
        tag.name.lower(): tag
        for tag in Tag.objects.annotate(lname=UnicodeLower("name")).filter(
            organization=organization, lname__in=list(names)
        )
    }
    missing = [names[key] for key in names if key not in found]
    if missing and not create_missing:
        raise UnknownReference("tags", f"Unknown tag: {', '.join(missing)}")
    for name in missing:
        try:
            with transaction.atomic():
                found[name.lower()] = Tag.objects.create(organization=organization, name=name)
        except IntegrityError:
            found[name.lower()] = Tag.objects.annotate(lname=UnicodeLower("name")).get(
                organization=organization, lname=name.lower()
            )
    return instances + [found[key] for key in names]


def _resolve_groups(
    organization: Organization, refs: Sequence[str | int | ContactGroup], create_missing: bool
) -> list[ContactGroup]:
    result: list[ContactGroup] = []
    names: list[str] = []
    for ref in refs:
        if isinstance(ref, ContactGroup):
            if ref.organization_id != organization.pk:
                raise UnknownReference("groups", f"Unknown group: {ref.name}")
            result.append(ref)
        elif isinstance(ref, int) and not isinstance(ref, bool):
            result.append(resolve_group(organization, ref, field="groups"))
        elif isinstance(ref, str) and ref.strip() and "\x00" not in ref:
            names.append(ref.strip())
        else:
            raise ValidationFailed("groups", "Each group must be a name or an id")
    if names:
        found = {g.name: g for g in ContactGroup.objects.filter(organization=organization, name__in=names)}
        missing = [name for name in dict.fromkeys(names) if name not in found]
        if missing and not create_missing:
            raise UnknownReference("groups", f"Unknown group: {', '.join(missing)}")
        for name in missing:
            found[name], _ = ContactGroup.objects.get_or_create(organization=organization, name=name)
        result.extend(found[name] for name in dict.fromkeys(names))
    return list({group.pk: group for group in result}.values())


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


def clean_text(field: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list, bool)):
        raise ValidationFailed(field, f"{field} must be a string")
    text = str(value).strip()
    if len(text) > _TEXT_FIELDS[field]:
        raise ValidationFailed(field, f"{field} must be at most {_TEXT_FIELDS[field]} characters")
    if "\x00" in text:
        raise ValidationFailed(field, f"{field} contains a NUL character")
    return text


def clean_email(value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise ValidationFailed("email", "email must be a string")
    text = value.strip()
    try:
        validate_email(text)
    except DjangoValidationError:
        raise ValidationFailed("email", f"{text!r} is not a valid email address") from None
    return text


# Public for the importer, which validates rows in bulk by the same rules; the old names stay as aliases.
_clean_text = clean_text
_clean_email = clean_email


def _clean_avatar_url(value: Any) -> str:
    if value in (None, ""):
        return ""
    text = str(value).strip()
    try:
        _url_validator(text)
    except DjangoValidationError:
        raise ValidationFailed("avatar", "The avatar URL must be an http or https URL") from None
    if len(text) > 2000:
        raise ValidationFailed("avatar", "The avatar URL is longer than 2000 characters")
    return text


def clean_source(value: Any) -> str:
    text = str(value or ContactSource.API).strip().lower()
    if text not in ContactSource.values:
        raise ValidationFailed("source", f"Unknown source {value!r}; expected one of {', '.join(ContactSource.values)}")
    return text


_clean_source = clean_source


def _own(organization: Organization, obj: Any, field: str, label: str) -> Any:
    if obj is None:
        return None
    if getattr(obj, "organization_id", None) != organization.pk:
        raise UnknownReference(field, f"Unknown {label}: {obj}")
    return obj


def _member(organization: Organization, user: Any) -> Any:
    if user is None:
        return None
    if not user.memberships.filter(organization=organization).exists():
        raise UnknownReference("assigned_user", f"Unknown user: {user.email or user.get_username()}")
    return user


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
