"""Applying a write's values onto a contact row: the one code path of `create_contact` and `update_contact`.

The fields are those `contact_fields` declares; one input gives one stored value whichever service writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.files.base import File
from django.db import transaction

from contacts.errors import ValidationFailed
from contacts.models import Contact, Organization
from contacts.services.contact_fields import PLAIN_FIELDS, WRITABLE_FIELDS, clean_field
from contacts.services.custom_fields import clean_custom_fields, define_custom_fields
from contacts.services.phones import normalize_phone
from contacts.services.references import resolve_branch, resolve_groups, resolve_member, resolve_tags, resolve_team
from contacts.services.uncommitted_files import file_written

CUSTOM_FIELDS_MODES = ("replace", "merge", "patch")
ATTRIBUTES_MODES = ("replace", "merge")


def check_fields(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - set(WRITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unexpected contact fields: {', '.join(sorted(unknown))}")


def apply_fields(
    contact: Contact,
    values: Mapping[str, Any],
    *,
    phone_region: str | None,
    custom_fields_mode: str,
    attributes_mode: str,
    custom_field_types: Mapping[str, str] | None,
    create_missing_tags: bool,
    create_missing_groups: bool,
) -> dict[str, list[Any]]:
    """Clean `values` onto `contact` (unsaved changes); returns the tags and groups to link once it is saved.

    References are resolved first: they are what a request most often gets wrong, and surfaces report them
    before the values themselves."""
    if custom_fields_mode not in CUSTOM_FIELDS_MODES or attributes_mode not in ATTRIBUTES_MODES:
        raise ValueError(f"Unknown mode: {custom_fields_mode!r}, {attributes_mode!r}")
    organization = contact.organization
    links: dict[str, list[Any]] = {}
    if "tags" in values:
        links["tags"] = resolve_tags(organization, values["tags"] or [], create_missing=create_missing_tags)
    if "groups" in values:
        links["groups"] = resolve_groups(organization, values["groups"] or [], create_missing=create_missing_groups)
    if "assigned_user" in values:
        contact.assigned_user = resolve_member(organization, values["assigned_user"])
    if "team" in values:
        contact.team = resolve_team(organization, values["team"])
    if "branch" in values:
        contact.branch = resolve_branch(organization, values["branch"])
    # Attributes can be edited in the admin; stored ones that are not an object count as no sets.
    stored_attributes = contact.attributes if isinstance(contact.attributes, dict) else {}
    for name in PLAIN_FIELDS:
        if name in values:
            setattr(contact, name, clean_field(name, values[name]))
    if "attributes" in values and attributes_mode == "merge":
        contact.attributes = {**stored_attributes, **contact.attributes}
    if "phone" in values:
        contact.phone, contact.phone_valid = _clean_phone(organization, values["phone"], phone_region)
    if "custom_fields" in values:
        _apply_custom_fields(contact, values["custom_fields"], custom_fields_mode, custom_field_types)
    if values.get("avatar") is not None:
        _save_avatar(contact, values["avatar"])
    elif "avatar" in values:
        contact.avatar = ""
    return links


def _clean_phone(organization: Organization, value: Any, region: str | None) -> tuple[str | None, bool]:
    if value in (None, ""):
        return None, False
    normalized = normalize_phone(value, default_region=organization.default_region, region_hint=region)
    return normalized.e164, normalized.is_valid


def _apply_custom_fields(contact: Contact, given: Any, mode: str, types: Mapping[str, str] | None) -> None:
    given = given or {}
    removed: set[str] = set()
    if mode == "patch" and isinstance(given, Mapping):
        removed = {key for key, value in given.items() if value is None}
        given = {key: value for key, value in given.items() if value is not None}
    cleaned = _clean_custom_fields(contact.organization, given, types)
    if mode == "replace":
        contact.custom_fields, contact.custom_field_order = cleaned, list(cleaned)
        return
    merged = {**contact.custom_fields, **cleaned}
    for key in removed:
        merged.pop(key, None)
    order = [key for key in contact.custom_field_order if key in merged]
    order += [key for key in merged if key not in order]
    contact.custom_fields, contact.custom_field_order = merged, order


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


def link(contact: Contact, relation: str, targets: list[Any]) -> None:
    through = getattr(Contact, relation).through
    target = "tag" if relation == "tags" else "contactgroup"
    through.objects.bulk_create([through(contact_id=contact.pk, **{f"{target}_id": obj.pk}) for obj in targets])


def delete_file_on_commit(storage: Any, name: str) -> None:
    # Until the transaction commits, a rollback would bring back the row that names this file.
    transaction.on_commit(lambda: storage.delete(name))


def _save_avatar(contact: Contact, upload: File) -> None:
    """Write the avatar now, while the contact row is locked: replacements then write and delete in commit order."""
    contact.avatar.save(upload.name, upload, save=False)
    file_written(contact.avatar.storage, contact.avatar.name)


def discard_avatar(contact: Contact) -> None:
    # The service's own transaction failed: its file goes at once (a caller's rollback is the scope's to handle).
    if contact.avatar and contact.avatar.name:
        contact.avatar.storage.delete(contact.avatar.name)


def remember_links(contact: Contact, links: Mapping[str, list[Any]]) -> None:
    """Keep the tags and groups just written as the contact's prefetched ones: a surface rendering the contact
    it got back reads them without a query."""
    cache = getattr(contact, "_prefetched_objects_cache", None) or {}
    for relation, targets in links.items():
        queryset = getattr(contact, relation).all()
        queryset._result_cache, queryset._prefetch_done = list(targets), True
        cache[relation] = queryset
    contact._prefetched_objects_cache = cache
