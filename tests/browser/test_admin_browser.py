"""The admin as a person uses it, in headless Chromium driven by Playwright. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.db import connections
from PIL import Image

from contacts.models import Contact, CustomField, Membership, Tag
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct horse battery staple"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture
def page(live_server):
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()
        # The test's ORM calls ran inside Playwright's event loop, on connections of that context: close them
        # here, or one stays open and the test database cannot be dropped at the end of the run.
        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def pick_autocomplete(page, field: str, text: str) -> None:
    page.click(f".field-{field} .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text)
    page.click(f".select2-results__option:has-text('{text}')")


def test_staff_member_day_in_the_admin(page, live_server, tmp_path):
    organization = OrganizationFactory(name="Acme", slug="acme", default_region="US")
    staff = UserFactory(username="alice", is_staff=True)
    MembershipFactory(user=staff, organization=organization, role=Membership.Role.ADMIN)
    Tag.objects.create(organization=organization, name="VIP")
    Tag.objects.create(organization=organization, name="Callback")
    birthday = CustomField.objects.create(
        organization=organization, key="birthday", label="Birthday", field_type="date"
    )
    avatar = tmp_path / "me.jpg"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(avatar, "JPEG")

    log_in(page, live_server, "alice")

    # Create a contact with an avatar, a tag and a date custom field.
    page.goto(f"{live_server.url}/admin/contacts/contact/add/")
    page.fill("#id_name", "Browser Person")
    page.fill("#id_phone", "+1 212 456 7890")
    page.set_input_files("#id_avatar", str(avatar))
    pick_autocomplete(page, "tags", "VIP")
    page.fill(f"#id_cf_{birthday.pk}", "1990-02-03")
    page.screenshot(path=ARTIFACTS / "01-add-contact.png", full_page=True)
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    contact = Contact.objects.get(name="Browser Person")
    assert contact.phone_e164 == "+12124567890"
    assert contact.custom_fields == {"birthday": "1990-02-03"}
    assert list(contact.tags.values_list("name", flat=True)) == ["VIP"]
    assert contact.avatar.name.endswith(".jpg") and "me.jpg" not in contact.avatar.name

    # Find it by typing its phone in another format; the thumbnail and tag chip show in the list.
    page.fill("#searchbar", "(212) 456-7890")
    page.press("#searchbar", "Enter")
    page.wait_for_selector("#result_list")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Browser Person" in rows.first.inner_text()
    assert rows.first.locator("img.crm-avatar").count() == 1
    assert rows.first.locator(".crm-chip", has_text="VIP").count() == 1
    page.screenshot(path=ARTIFACTS / "02-search-by-phone.png", full_page=True)

    # Bulk action: add the "Callback" tag to the selected contact.
    rows.first.locator("input.action-select").check()
    page.select_option("select[name=action]", "add_tag")
    page.click("button[name=index]")
    page.select_option("#id_tag", label="Callback")
    page.screenshot(path=ARTIFACTS / "03-bulk-tag.png", full_page=True)
    page.click("input[name=apply]")
    page.wait_for_selector(".messagelist .success")
    assert sorted(contact.tags.values_list("name", flat=True)) == ["Callback", "VIP"]

    # The dashboard shows the organization's numbers and the chart.
    page.goto(f"{live_server.url}/admin/")
    assert page.inner_text("#crm-total") == "1"
    assert page.locator("svg.crm-chart rect.crm-bar").count() == 30
    assert "VIP" in page.inner_text("#crm-top-tags")
    page.screenshot(path=ARTIFACTS / "04-dashboard.png", full_page=True)


# Content-Security-Policy (docs/security.md): the admin must work with nothing inline.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def watch_for_csp_violations(page) -> list[str]:
    """Every CSP violation and uncaught script error on the page from now on, as text."""
    problems: list[str] = []
    page.add_init_script(REPORT_CSP_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error"
            and ("Content Security Policy" in message.text or "CSP violation" in message.text)
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return problems


def test_the_admin_works_under_its_content_security_policy(page, live_server, tmp_path):
    organization = OrganizationFactory(name="Acme", slug="acme", default_region="US")
    staff = UserFactory(username="alice", is_staff=True)
    MembershipFactory(user=staff, organization=organization, role=Membership.Role.ADMIN)
    Tag.objects.create(organization=organization, name="VIP")
    avatar = tmp_path / "me.jpg"
    Image.new("RGB", (400, 300), (30, 120, 200)).save(avatar, "JPEG")
    problems = watch_for_csp_violations(page)

    response = page.goto(f"{live_server.url}/admin/login/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    log_in(page, live_server, "alice")
    assert problems == []

    # The add form's scripts (autocomplete, file input) run; the upload is accepted.
    page.goto(f"{live_server.url}/admin/contacts/contact/add/")
    page.fill("#id_name", "Policy Person")
    page.fill("#id_phone", "+1 212 456 7891")
    page.set_input_files("#id_avatar", str(avatar))
    pick_autocomplete(page, "tags", "VIP")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    contact = Contact.objects.get(name="Policy Person")

    # The styles from the static stylesheet apply: a round 32px thumbnail, a chip, the dashboard chart's height.
    page.goto(f"{live_server.url}/admin/contacts/contact/")
    assert problems == []
    thumbnail = page.locator("#result_list img.crm-avatar").first
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth > 0") is True
    assert thumbnail.evaluate("img => getComputedStyle(img).borderRadius") == "50%"
    assert page.locator(".crm-chip", has_text="VIP").evaluate("e => getComputedStyle(e).display") == "inline-block"

    page.goto(f"{live_server.url}/admin/contacts/contact/{contact.pk}/change/")
    preview = page.locator("img.crm-avatar-preview")
    assert preview.evaluate("img => img.complete && img.naturalWidth > 0") is True
    assert preview.evaluate("img => getComputedStyle(img).maxWidth") == "160px"

    page.goto(f"{live_server.url}/admin/")
    assert page.locator("svg.crm-chart").evaluate("svg => svg.getBoundingClientRect().height") == 140
    page.goto(f"{live_server.url}/admin/contacts/importjob/import/")
    page.wait_for_selector("#import-upload-form")
    page.screenshot(path=ARTIFACTS / "05-under-csp.png", full_page=True)

    assert problems == []
