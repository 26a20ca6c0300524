"""Salesforce Marketing Cloud's contacts REST API and its OAuth token endpoint, mounted at /sfmc/
(docs/dialects/sfmc.md)."""

from contacts.api.registry import OAUTH_ACCESS_TOKEN, Dialect

DIALECT = Dialect(
    package=__name__,
    title="Salesforce Marketing Cloud",
    auth=OAUTH_ACCESS_TOKEN,
    # `sfmc_token` is the token endpoint's own budget (per client IP: it runs before any credential).
    rates={"sfmc": "2500/min", "sfmc_token": "60/min"},
    vendor_docs=(
        "https://developer.salesforce.com/docs/marketing/marketing-cloud/references/mc_rest_contacts/"
        "createContacts.html"
    ),
)
