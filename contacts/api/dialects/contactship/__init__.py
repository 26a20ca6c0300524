"""Contactship's contact API, mounted at /contactship/ (docs/dialects/contactship.md)."""

from contacts.api.registry import HEADER_API_KEY, Dialect

DIALECT = Dialect(
    package=__name__,
    title="Contactship",
    auth=HEADER_API_KEY,
    # NestJS's own wording for an unknown route, which Contactship's error body comes from.
    not_found_message="Cannot {method} {path}",
    rates="600/min",
    vendor_docs="https://docs.contactship.ai/api-reference/endpoint/create-contact",
)
