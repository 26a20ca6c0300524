"""A sixth dialect that lives only in the tests: declared here, registered by tests/test_dialect_registry.py.

Its view sets nothing but its scopes: authentication, throttle scope and error body come from this declaration,
and the catch-all 404 from the registry, which is what any new dialect gets."""

from contacts.api.registry import Dialect

DIALECT = Dialect(
    name="fake",
    title="Fake vendor",
    prefix="fake",
    urls="tests.fake_dialect.urls",
    authentication=("contacts.api.auth.BearerApiKeyAuthentication",),
    auth_label="Bearer API key",
    error_renderer="tests.fake_dialect.views.render_fake_error",
    throttle_rates={"fake": "2/min"},
    throttle_scope="fake",
    not_found_message="nothing at {method} {path}",
    docs="docs/architecture.md",
    vendor_docs="https://example.com/fake",
)
