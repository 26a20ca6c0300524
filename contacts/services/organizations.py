"""Organizations and their members."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from contacts.errors import Conflict, ValidationFailed
from contacts.models import Membership, Organization


def create_organization(*, name: str, slug: str | None = None, default_region: str = "US") -> Organization:
    name = name.strip()
    if not name:
        raise ValidationFailed("name", "An organization needs a name")
    slug = slugify(slug or name)
    if not slug:
        raise ValidationFailed("slug", "The slug must contain letters or digits")
    region = default_region.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationFailed("default_region", f"{default_region!r} is not an ISO 3166-1 region code")
    try:
        with transaction.atomic():
            return Organization.objects.create(name=name, slug=slug, default_region=region)
    except IntegrityError:
        raise Conflict("slug", f"An organization with slug {slug!r} already exists") from None


def add_member(organization: Organization, user: Any, role: str = Membership.Role.AGENT) -> Membership:
    membership, _ = Membership.objects.update_or_create(user=user, organization=organization, defaults={"role": role})
    return membership


def organizations_of(user: Any) -> list[int]:
    """Ids of the organizations `user` belongs to (cached on the user object for the request)."""
    cached = getattr(user, "_crm_organization_ids", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).values_list("organization_id", flat=True))
        user._crm_organization_ids = cached
    return cached
