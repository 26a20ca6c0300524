"""The API docs pages as a reader sees them: Swagger UI and Redoc render every surface from files this server
serves, with no request to another host and nothing the Content-Security-Policy refuses."""

from __future__ import annotations

import pytest

from tests.browser.test_admin_browser import CHROMIUM, page  # noqa: F401 - the shared browser fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]


def watch(page, live_server) -> dict[str, list]:  # noqa: F811
    """Console messages of the Content-Security-Policy, and requests to other hosts with how each ended."""
    seen: dict[str, list] = {"refused": [], "elsewhere": []}

    def elsewhere(request, outcome: str) -> None:
        if not request.url.startswith((live_server.url, "data:", "blob:")):
            seen["elsewhere"].append((request.url, outcome))

    page.on(
        "console", lambda message: "Content Security Policy" in message.text and seen["refused"].append(message.text)
    )
    page.on("requestfinished", lambda request: elsewhere(request, "fetched"))
    page.on("requestfailed", lambda request: elsewhere(request, request.failure))
    return seen


def test_swagger_ui_renders_every_surface_with_nothing_refused(page, live_server):  # noqa: F811
    seen = watch(page, live_server)

    page.goto(f"{live_server.url}/api/docs/")
    page.get_by_text("/api/v1/contacts/batch", exact=True).first.wait_for()
    page.screenshot(path="test-artifacts/api-docs-swagger.png")

    tags = [text.split("\n")[0] for text in page.locator(".opblock-tag").all_inner_texts()]
    assert seen == {"refused": [], "elsewhere": []}
    surfaces = [
        "Contacts", "Tags", "Groups", "Custom fields", "Branches", "Teams", "Sender numbers", "Awal",
        "Callbell (WhatsApp)", "Contactship", "Mobivate Bulk SMS address book", "Salesforce Marketing Cloud",
    ]  # fmt: skip
    assert [tag for tag in tags if tag in surfaces] == surfaces


def test_redoc_renders_with_nothing_refused(page, live_server):  # noqa: F811
    seen = watch(page, live_server)

    page.goto(f"{live_server.url}/api/docs/redoc/")
    page.get_by_role("heading", name="Contacts CRM").first.wait_for()
    page.get_by_placeholder("Search...").fill("upsert up to")
    page.get_by_text("Create, update or upsert up to 1,000 contacts").locator("visible=true").first.wait_for()
    page.screenshot(path="test-artifacts/api-docs-redoc.png")

    # Redoc's footer would load its maker's logo from their CDN: the page's policy refuses it, and nothing else.
    assert seen["elsewhere"] == [("https://cdn.redoc.ly/redoc/logo-mini.svg", "csp")]
    assert [message for message in seen["refused"] if "cdn.redoc.ly" not in message] == []
