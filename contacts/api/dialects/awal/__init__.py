"""Awal's contacts API, HMAC-signed, mounted at /awal/ (docs/dialects/awal.md)."""

from contacts.api.registry import Auth, Dialect

DIALECT = Dialect(
    package=__name__,
    title="Awal",
    auth=Auth(("contacts.api.dialects.awal.auth.AwalSignatureAuthentication",), "HMAC-signed requests"),
    # Awal budgets writes and reads apart: create, update and delete 100 a minute, list and get 200.
    rates={"awal_write": "100/min", "awal_read": "200/min"},
    throttle_scope="awal_write",
    read_throttle_scope="awal_read",
    not_found_message="No Awal endpoint at {method} {path}",
    vendor_docs="https://awalchat.com/en/docs/api/contacts",
)
