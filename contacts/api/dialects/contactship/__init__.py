"""Contactship's contact API, mounted at /contactship/ (docs/dialects/contactship.md)."""

from contacts.api.registry import Dialect

DIALECT = Dialect(
    name="contactship",
    title="Contactship",
    prefix="contactship",
    urls="contacts.api.dialects.contactship.urls",
    authentication=("contacts.api.auth.HeaderApiKeyAuthentication",),
    auth_label="x-api-key header",
    error_renderer="contacts.api.dialects.contactship.errors.render_contactship_error",
    throttle_rates={"contactship": "600/min"},
    throttle_scope="contactship",
    base_view="contacts.api.dialects.contactship.views.ContactshipAPIView",
    # NestJS's own wording for an unknown route, which Contactship's error body comes from.
    not_found_message="Cannot {method} {path}",
    docs="docs/dialects/contactship.md",
    vendor_docs="https://docs.contactship.ai/api-reference/endpoint/create-contact",
)
