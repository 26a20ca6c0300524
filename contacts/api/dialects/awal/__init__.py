"""Awal's contacts API, HMAC-signed, mounted at /awal/ (docs/dialects/awal.md)."""

from contacts.api.registry import Dialect

DIALECT = Dialect(
    name="awal",
    title="Awal",
    prefix="awal",
    urls="contacts.api.dialects.awal.urls",
    authentication=("contacts.api.dialects.awal.auth.AwalSignatureAuthentication",),
    auth_label="HMAC-signed requests",
    error_renderer="contacts.api.dialects.awal.errors.render_awal_error",
    # Awal budgets writes and reads apart: create, update and delete 100 a minute, list and get 200.
    throttle_rates={"awal_write": "100/min", "awal_read": "200/min"},
    throttle_scope="awal_write",
    read_throttle_scope="awal_read",
    base_view="contacts.api.dialects.awal.views.AwalAPIView",
    not_found_message="No Awal endpoint at {method} {path}",
    docs="docs/dialects/awal.md",
    vendor_docs="https://awalchat.com/en/docs/api/contacts",
)
