"""Reads: how a contact renders, finding an organization's contacts, and the one contact search.

Services write; selectors only read. Each dialect view, the admin and the export find contacts through these, so
a lookup (a uuid, a phone in any format, tags in any case) answers the same on every surface."""

from contacts.selectors.contacts import (
    contacts_with_every_tag,
    find_contact,
    organization_contacts,
)
from contacts.selectors.rendering import custom_field_values, display_name, full_name, rendered
from contacts.selectors.search import SHOWN_FULL_NAME, PhoneMatch, search_contacts

__all__ = [
    "SHOWN_FULL_NAME",
    "PhoneMatch",
    "contacts_with_every_tag",
    "custom_field_values",
    "display_name",
    "find_contact",
    "full_name",
    "organization_contacts",
    "rendered",
    "search_contacts",
]
