"""Finding what a contact refers to (tags, groups, branch, team, assigned user) in its organization.

Anything another organization owns, or nothing owns, is an `UnknownReference` naming the field; the dialects map
the field names onto their own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from contacts.db import UnicodeLower
from contacts.errors import UnknownReference, ValidationFailed
from contacts.models import Branch, ContactGroup, Organization, Tag, Team

User = get_user_model()


def resolve_branch(organization: Organization, branch_id: Any, *, field: str = "branch_id") -> Branch:
    return by_id(Branch, organization, branch_id, field, "branch")


def resolve_group(organization: Organization, group_id: Any, *, field: str = "contact_group_id") -> ContactGroup:
    return by_id(ContactGroup, organization, group_id, field, "contact group")


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


def by_id(model: type, organization: Organization, raw_id: Any, field: str, label: str) -> Any:
    try:
        pk = int(str(raw_id).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(field, f"{field} must be an integer") from None
    obj = model.objects.filter(organization=organization, pk=pk).first()
    if obj is None:
        raise UnknownReference(field, f"Unknown {label}: {raw_id}")
    return obj


def resolve_tags(organization: Organization, refs: Sequence[str | Tag], *, create_missing: bool) -> list[Tag]:
    """The organization's tags named by `refs` (names in any case, or Tag objects), creating missing ones if asked."""
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


def resolve_groups(
    organization: Organization, refs: Sequence[str | int | ContactGroup], *, create_missing: bool = False
) -> list[ContactGroup]:
    """The organization's groups named by `refs` (names, ids or objects), creating missing names if asked."""
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


def own(organization: Organization, obj: Any, field: str, label: str) -> Any:
    """`obj` itself (or None) when it belongs to `organization`."""
    if obj is None:
        return None
    if getattr(obj, "organization_id", None) != organization.pk:
        raise UnknownReference(field, f"Unknown {label}: {obj}")
    return obj


def member(organization: Organization, user: Any) -> Any:
    """`user` itself (or None) when they are a member of `organization`."""
    if user is None:
        return None
    if not user.memberships.filter(organization=organization).exists():
        raise UnknownReference("assigned_user", f"Unknown user: {user.email or user.get_username()}")
    return user
