"""Mobivate Bulk SMS's address book API, mounted at /mobivate/ (docs/dialects/mobivate.md)."""

from contacts.api.registry import Dialect

DIALECT = Dialect(
    package=__name__,
    title="Mobivate Bulk SMS address book",
    rates="600/min",
    vendor_docs="https://wiki.mobivatebulksms.com/contact-management/create-new-contact",
)
