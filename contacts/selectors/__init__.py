"""Reads: how a contact renders, finding an organization's contacts, and the one contact search.

Services write; selectors only read. Each dialect view, the admin and the export find contacts through these, so
a lookup (a uuid, a phone in any format, tags in any case) answers the same on every surface."""

from contacts.selectors.contacts import (
    contact_by_email,
    contact_by_phone,
    contact_by_pk,
    contact_by_uuid,
    contacts_with_every_tag,
    organization_contacts,
)
from contacts.selectors.rendering import display_name, full_name, rendered
from contacts.selectors.search import SHOWN_FULL_NAME, PhoneMatch, search_contacts

__all__ = [
    "SHOWN_FULL_NAME",
    "PhoneMatch",
    "contact_by_email",
    "contact_by_phone",
    "contact_by_pk",
    "contact_by_uuid",
    "contacts_with_every_tag",
    "display_name",
    "full_name",
    "organization_contacts",
    "rendered",
    "search_contacts",
]
