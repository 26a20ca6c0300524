"""Finding what a contact refers to (tags, groups, branch, team, assigned user) in its organization.

One resolver per reference. Each takes what a caller holds: the model object, or its id (branch, group), uuid
(team), email (user) or name (tag, group). Anything another organization owns, or nothing owns, is an
`UnknownReference` naming the model's field (`branch`, `team`, `assigned_user`, `groups`, `tags`); the dialects
map those names onto their own."""

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


def resolve_branch(organization: Organization, ref: Branch | int | str | None, *, field: str = "branch") -> Any:
    """The organization's branch `ref` (a Branch or its id); None for None or ""."""
    if ref is None or ref == "":
        return None
    if isinstance(ref, Branch):
        return _own(organization, ref, field, "branch")
    return _by_id(Branch, organization, ref, field, "branch")


def resolve_team(organization: Organization, ref: Team | str | None, *, field: str = "team") -> Any:
    """The organization's team `ref` (a Team or its uuid); None for None or ""."""
    if ref is None or ref == "":
        return None
    if isinstance(ref, Team):
        return _own(organization, ref, field, "team")
    try:
        team = Team.objects.filter(organization=organization, uuid=str(ref).strip()).first()
    except DjangoValidationError:  # not a UUID at all
        team = None
    if team is None:
        raise UnknownReference(field, f"Unknown team: {ref}")
    return team


def resolve_member(organization: Organization, ref: Any, *, field: str = "assigned_user") -> Any:
    """The member of `organization` `ref` (a user or their email); None for None or ""."""
    if ref is None or ref == "":
        return None
    if isinstance(ref, User):
        if not ref.memberships.filter(organization=organization).exists():
            raise UnknownReference(field, f"Unknown user: {ref.email or ref.get_username()}")
        return ref
    user = (
        User.objects.filter(email__iexact=str(ref).strip(), memberships__organization=organization, is_active=True)
        .order_by("id")
        .first()
    )
    if user is None:
        raise UnknownReference(field, f"Unknown user: {ref}")
    return user


def resolve_tags(
    organization: Organization, refs: Sequence[str | Tag], *, create_missing: bool, field: str = "tags"
) -> list[Tag]:
    """The organization's tags named by `refs` (names in any case, or Tag objects), creating missing ones if asked."""
    if isinstance(refs, str):
        raise ValidationFailed(field, "tags must be a list of names")
    instances = [ref for ref in refs if isinstance(ref, Tag)]
    for tag in instances:
        if tag.organization_id != organization.pk:
            raise UnknownReference(field, f"Unknown tag: {tag.name}")
    names: dict[str, str] = {}
    for ref in refs:
        if isinstance(ref, Tag):
            continue
        if not isinstance(ref, str) or not ref.strip():
            raise ValidationFailed(field, "Each tag must be a non-empty string")
        if "\x00" in ref:
            raise ValidationFailed(field, "A tag name contains a NUL character")
        if len(ref.strip()) > 100:
            raise ValidationFailed(field, "A tag name is at most 100 characters")
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
        raise UnknownReference(field, f"Unknown tag: {', '.join(missing)}")
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
    organization: Organization,
    refs: Sequence[str | int | ContactGroup],
    *,
    create_missing: bool = False,
    field: str = "groups",
) -> list[ContactGroup]:
    """The organization's groups named by `refs` (names, ids or objects), creating missing names if asked."""
    if isinstance(refs, str):
        raise ValidationFailed(field, "groups must be a list of names or ids")
    result: list[ContactGroup] = []
    names: list[str] = []
    for ref in refs:
        if isinstance(ref, ContactGroup):
            result.append(_own(organization, ref, field, "group"))
        elif isinstance(ref, int) and not isinstance(ref, bool):
            result.append(_by_id(ContactGroup, organization, ref, field, "contact group"))
        elif isinstance(ref, str) and ref.strip() and "\x00" not in ref:
            names.append(ref.strip())
        else:
            raise ValidationFailed(field, "Each group must be a name or an id")
    if names:
        found = {g.name: g for g in ContactGroup.objects.filter(organization=organization, name__in=names)}
        missing = [name for name in dict.fromkeys(names) if name not in found]
        if missing and not create_missing:
            raise UnknownReference(field, f"Unknown group: {', '.join(missing)}")
        for name in missing:
            found[name], _ = ContactGroup.objects.get_or_create(organization=organization, name=name)
        result.extend(found[name] for name in dict.fromkeys(names))
    return list({group.pk: group for group in result}.values())


def _by_id(model: type, organization: Organization, raw_id: Any, field: str, label: str) -> Any:
    try:
        pk = int(str(raw_id).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(field, f"{field} must be an integer") from None
    obj = model.objects.filter(organization=organization, pk=pk).first()
    if obj is None:
        raise UnknownReference(field, f"Unknown {label}: {raw_id}")
    return obj


def _own(organization: Organization, obj: Any, field: str, label: str) -> Any:
    if obj.organization_id != organization.pk:
        raise UnknownReference(field, f"Unknown {label}: {obj}")
    return obj
