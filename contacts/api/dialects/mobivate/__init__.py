"""Mobivate Bulk SMS's address book API, mounted at /mobivate/ (docs/dialects/mobivate.md)."""

from contacts.api.registry import Dialect

DIALECT = Dialect(
    name="mobivate",
    title="Mobivate Bulk SMS address book",
    prefix="mobivate",
    urls="contacts.api.dialects.mobivate.urls",
    authentication=("contacts.api.auth.BearerApiKeyAuthentication",),
    auth_label="Bearer API key",
    error_renderer="contacts.api.dialects.mobivate.errors.render_mobivate_error",
    throttle_rates={"mobivate": "600/min"},
    throttle_scope="mobivate",
    base_view="contacts.api.dialects.mobivate.views.MobivateAPIView",
    docs="docs/dialects/mobivate.md",
    vendor_docs="https://wiki.mobivatebulksms.com/contact-management/create-new-contact",
)
