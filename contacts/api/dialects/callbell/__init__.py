"""Callbell's (WhatsApp) contacts API, mounted at /callbell/ (docs/dialects/callbell.md)."""

from contacts.api.registry import Dialect

DIALECT = Dialect(
    package=__name__,
    title="Callbell (WhatsApp)",
    rates="300/s",
    vendor_docs="https://docs.callbell.eu/api/reference/contacts_api/get_contacts",
)
