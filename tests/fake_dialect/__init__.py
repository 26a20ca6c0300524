"""A sixth dialect that lives only in the tests: declared here, registered by tests/test_dialect_registry.py.

It states what any new dialect states (title, rates, vendor docs) and follows the conventions for the rest: its
package is where this declaration lives, its renderer is `errors.render_fake_error`, its catch-all builds on
`views.FakeAPIView`. Its endpoint sets nothing but its scopes: authentication, throttle scope and error body come
from this declaration, and the catch-all 404 from the registry."""

from contacts.api.registry import Dialect

DIALECT = Dialect(
    package=__name__,
    # Not `fake_dialect`, the package's name: the mount and the throttle scope are `fake`.
    name="fake",
    title="Fake vendor",
    not_found_message="nothing at {method} {path}",
    # No page of its own in docs/dialects/: the architecture's "Adding a dialect" is what it stands for.
    docs="docs/architecture.md",
    rates="2/min",
    vendor_docs="https://example.com/fake",
)
