"""Finding one organization's contacts: one by id, uuid, phone or email (`find_contact`), several by tags.

Every selector takes the organization and filters by it itself, so another organization's contact behaves exactly
like one that does not exist, whatever queryset the caller passes (a queryset only adds what its serializer reads:
`select_related`, `prefetch_related`, annotations). A lookup that finds nothing returns None, or, when the caller
passes one as `not_found`, raises that `NotFound`, which carries the field and message of the caller's own answer.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet

from contacts.errors import NotFound, ValidationFailed
from contacts.models import Contact, Organization
from contacts.services.phones import normalize_phone


def organization_contacts(organization: Organization, queryset: QuerySet[Contact] | None = None) -> QuerySet[Contact]:
    """`queryset` (all contacts by default) narrowed to the organization's."""
    return (Contact.objects.all() if queryset is None else queryset).filter(organization=organization)


def find_contact(
    *,
    organization: Organization,
    pk: int | None = None,
    uuid: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    queryset: QuerySet[Contact] | None = None,
    not_found: NotFound | None = None,
    refuse_unreadable_as: str | None = None,
) -> Contact | None:
    """The organization's contact named by exactly one of:

    - `pk`, its database id;
    - `uuid`, written with or without dashes (text that is no uuid names no contact);
    - `phone`, read by the phone policy as a create reads it (national numbers in the organization's region), so
      whatever format a contact was created with finds it. A number the policy refuses is that `ValidationFailed`,
      naming `refuse_unreadable_as`, when the caller's vendor documents it as bad input; without it, it is
      simply a number no contact has;
    - `email`, whatever its case: emails are not unique, so the first contact created with it.
    """
    given = [
        name for name, value in (("pk", pk), ("uuid", uuid), ("phone", phone), ("email", email)) if value is not None
    ]
    if len(given) != 1:
        raise TypeError(f"find_contact takes one of pk, uuid, phone or email, not {given or 'none'}")
    contacts = organization_contacts(organization, queryset)
    condition: dict[str, object] | None = None
    if pk is not None:
        condition = {"pk": pk}
    elif uuid is not None:
        parsed = _parse_uuid(uuid)
        condition = {"uuid": parsed} if parsed else None
    elif phone is not None:
        e164 = _e164(phone, organization, refuse_unreadable_as)
        condition = {"phone": e164} if e164 else None
    elif email is not None and "\x00" not in email:
        contacts = contacts.order_by("created_at", "id")
        condition = {"email__iexact": email.strip()}
    contact = contacts.filter(**condition).first() if condition else None
    if contact is None:
        if not_found is not None:
            raise not_found
        return None
    # The caller holds the organization already; this spares the services a query for it.
    contact.organization = organization
    return contact


def contacts_with_every_tag(
    *, organization: Organization, names: Iterable[str], queryset: QuerySet[Contact] | None = None
) -> QuerySet[Contact]:
    """The organization's contacts that carry every one of the tags `names`, whatever the case of any letter
    ("atención" is the tag "ATENCIÓN"); no names is every contact. One EXISTS clause a distinct name."""
    contacts = organization_contacts(organization, queryset)
    tagged = Contact.tags.through.objects.filter(contact_id=OuterRef("pk"), tag__organization=organization)
    for name in dict.fromkeys(names):
        contacts = contacts.filter(Exists(tagged.filter(tag__name__iexact=name)))
    return contacts


def _e164(number: str, organization: Organization, refuse_unreadable_as: str | None) -> str | None:
    try:
        return normalize_phone(
            number, default_region=organization.default_region, field=refuse_unreadable_as or "phone"
        ).e164
    except ValidationFailed:
        if refuse_unreadable_as is not None:
            raise
        return None


def _parse_uuid(text: str) -> uuid_module.UUID | None:
    try:
        return uuid_module.UUID(text)
    except (TypeError, ValueError, AttributeError):
        return None
