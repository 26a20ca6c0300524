"""Callbell's (WhatsApp) contacts API, mounted at /callbell/ (docs/dialects/callbell.md)."""

from contacts.api.registry import Dialect

DIALECT = Dialect(
    name="callbell",
    title="Callbell (WhatsApp)",
    prefix="callbell",
    urls="contacts.api.dialects.callbell.urls",
    authentication=("contacts.api.auth.BearerApiKeyAuthentication",),
    auth_label="Bearer API key",
    error_renderer="contacts.api.dialects.callbell.errors.callbell_error_response",
    throttle_rates={"callbell": "300/s"},
    throttle_scope="callbell",
    base_view="contacts.api.dialects.callbell.views.CallbellAPIView",
    docs="docs/dialects/callbell.md",
    vendor_docs="https://docs.callbell.eu/api/reference/contacts_api/get_contacts",
)
