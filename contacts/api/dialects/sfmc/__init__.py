"""Salesforce Marketing Cloud's contacts REST API and its OAuth token endpoint, mounted at /sfmc/
(docs/dialects/sfmc.md)."""

from contacts.api.registry import Dialect

DIALECT = Dialect(
    name="sfmc",
    title="Salesforce Marketing Cloud",
    prefix="sfmc",
    urls="contacts.api.dialects.sfmc.urls",
    authentication=("contacts.api.auth.AccessTokenAuthentication",),
    auth_label="OAuth client credentials",
    error_renderer="contacts.api.dialects.sfmc.errors.render_sfmc_error",
    # `sfmc_token` is the token endpoint's own budget (per client IP: it runs before any credential).
    throttle_rates={"sfmc": "2500/min", "sfmc_token": "60/min"},
    throttle_scope="sfmc",
    base_view="contacts.api.dialects.sfmc.views.SfmcAPIView",
    docs="docs/dialects/sfmc.md",
    vendor_docs=(
        "https://developer.salesforce.com/docs/marketing/marketing-cloud/references/mc_rest_contacts/"
        "createContacts.html"
    ),
)
