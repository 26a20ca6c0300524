"""Finding one organization's contacts: by id, uuid, phone, email or tags.

Every selector takes the organization and filters by it itself, so another organization's contact behaves exactly
like one that does not exist, whatever queryset the caller passes (a queryset only adds what its serializer reads:
`select_related`, `prefetch_related`, annotations). A lookup that finds nothing returns None, or raises the
`NotFound` the caller passes as `not_found`, which carries the field and message of the caller's own answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import overload

from django.db.models import Exists, OuterRef, QuerySet

from contacts.errors import NotFound, ValidationFailed
from contacts.models import Contact, Organization
from contacts.services.phones import normalize_phone


def organization_contacts(organization: Organization, queryset: QuerySet[Contact] | None = None) -> QuerySet[Contact]:
    """`queryset` (all contacts by default) narrowed to the organization's."""
    return (Contact.objects.all() if queryset is None else queryset).filter(organization=organization)


@overload
def contact_by_pk(
    *, organization: Organization, pk: int, queryset: QuerySet[Contact] | None = ..., not_found: NotFound
) -> Contact: ...
@overload
def contact_by_pk(
    *, organization: Organization, pk: int, queryset: QuerySet[Contact] | None = ..., not_found: None = ...
) -> Contact | None: ...
def contact_by_pk(
    *, organization: Organization, pk: int, queryset: QuerySet[Contact] | None = None, not_found: NotFound | None = None
) -> Contact | None:
    """The organization's contact with this database id."""
    return _found(organization_contacts(organization, queryset).filter(pk=pk).first(), not_found)


@overload
def contact_by_uuid(
    *, organization: Organization, uuid: str, queryset: QuerySet[Contact] | None = ..., not_found: NotFound
) -> Contact: ...
@overload
def contact_by_uuid(
    *, organization: Organization, uuid: str, queryset: QuerySet[Contact] | None = ..., not_found: None = ...
) -> Contact | None: ...
def contact_by_uuid(
    *,
    organization: Organization,
    uuid: str,
    queryset: QuerySet[Contact] | None = None,
    not_found: NotFound | None = None,
) -> Contact | None:
    """The organization's contact with this uuid, written with or without dashes; text that is no uuid finds none."""
    contact_uuid = _parse_uuid(uuid)
    if contact_uuid is None:
        return _found(None, not_found)
    contact = organization_contacts(organization, queryset).filter(uuid=contact_uuid).first()
    if contact is not None:
        # The caller holds the organization already; this spares the services a query for it.
        contact.organization = organization
    return _found(contact, not_found)


@overload
def contact_by_phone(
    *,
    organization: Organization,
    number: str,
    queryset: QuerySet[Contact] | None = ...,
    not_found: NotFound,
    refuse_unreadable_as: str | None = ...,
) -> Contact: ...
@overload
def contact_by_phone(
    *,
    organization: Organization,
    number: str,
    queryset: QuerySet[Contact] | None = ...,
    not_found: None = ...,
    refuse_unreadable_as: str | None = ...,
) -> Contact | None: ...
def contact_by_phone(
    *,
    organization: Organization,
    number: str,
    queryset: QuerySet[Contact] | None = None,
    not_found: NotFound | None = None,
    refuse_unreadable_as: str | None = None,
) -> Contact | None:
    """The organization's contact whose phone is `number` read by the phone policy, as a create reads it (national
    numbers in the organization's region), so whatever format a contact was created with finds it.

    A number the policy refuses is that `ValidationFailed`, naming `refuse_unreadable_as`, when the caller's
    vendor documents it as bad input; without `refuse_unreadable_as` it is simply a number no contact has."""
    try:
        phone = normalize_phone(
            number, default_region=organization.default_region, field=refuse_unreadable_as or "phone"
        )
    except ValidationFailed:
        if refuse_unreadable_as is not None:
            raise
        return _found(None, not_found)
    return _found(organization_contacts(organization, queryset).filter(phone=phone.e164).first(), not_found)


@overload
def contact_by_email(
    *, organization: Organization, email: str, queryset: QuerySet[Contact] | None = ..., not_found: NotFound
) -> Contact: ...
@overload
def contact_by_email(
    *, organization: Organization, email: str, queryset: QuerySet[Contact] | None = ..., not_found: None = ...
) -> Contact | None: ...
def contact_by_email(
    *,
    organization: Organization,
    email: str,
    queryset: QuerySet[Contact] | None = None,
    not_found: NotFound | None = None,
) -> Contact | None:
    """The organization's first contact created with this email, whatever its case (emails are not unique)."""
    contact = None
    if "\x00" not in email:
        contacts = organization_contacts(organization, queryset).order_by("created_at", "id")
        contact = contacts.filter(email__iexact=email.strip()).first()
    return _found(contact, not_found)


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


def _parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except (TypeError, ValueError, AttributeError):
        return None


def _found(contact: Contact | None, not_found: NotFound | None) -> Contact | None:
    if contact is None and not_found is not None:
        raise not_found
    return contact
