"""What a new user saw on a first run of the admin: the product's name, a contact form that starts sensibly,
filters that say whose tag is whose, a styled page instead of a bare 403, and a contact list that fits 1,400 px."""

from __future__ import annotations

import os
import re
import shutil
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from django.urls import reverse
from PIL import Image

from contacts.models import Contact, ImportJob, Membership
from tests.factories import (
    BranchFactory,
    ContactFactory,
    ContactGroupFactory,
    MembershipFactory,
    TagFactory,
    UserFactory,
    make_api_key,
)

PASSWORD = "correct horse battery staple"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def member(organization):
    def make(role: str, username: str = "staff"):
        user = UserFactory(username=username, is_staff=True)
        MembershipFactory(user=user, organization=organization, role=role)
        return client_for(user)

    return make


# -- Branding ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_is_branded_with_the_product_name(client, member):
    login = client.get(reverse("admin:login")).content.decode()
    assert "<title>Log in | Contacts CRM</title>" in login
    assert '<div id="site-name"><a href="/admin/">Contacts CRM</a></div>' in login
    assert "Django administration" not in login

    index = member(Membership.Role.ADMIN).get(reverse("admin:index")).content.decode()
    assert "<title>Contacts CRM administration | Contacts CRM</title>" in index
    assert "Django administration" not in index


# -- The contact form -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_contact_added_in_the_admin_is_manual(member, organization):
    client = member(Membership.Role.AGENT)

    form = client.get(reverse("admin:contacts_contact_add")).content.decode()
    assert '<option value="manual" selected>Manual</option>' in form
    response = client.post(
        reverse("admin:contacts_contact_add"),
        {"name": "Walk-in", "phone": "+1 212 456 7890", "source": "manual", "bot_status": "",
         **_empty_inline()},
    )  # fmt: skip

    assert response.status_code == 302
    assert list(Contact.objects.values_list("name", "source")) == [("Walk-in", "manual")]


@pytest.mark.django_db
def test_a_source_given_in_the_link_still_wins(member):
    form = member(Membership.Role.AGENT).get(reverse("admin:contacts_contact_add") + "?source=sms").content.decode()

    assert '<option value="sms" selected>SMS</option>' in form
    assert '<option value="manual">Manual</option>' in form


@pytest.mark.django_db
def test_the_add_form_gives_no_phone_verdict_and_labels_the_avatar_once(member):
    form = member(Membership.Role.AGENT).get(reverse("admin:contacts_contact_add")).content.decode()

    assert "Phone valid" not in form
    assert "field-phone_validity" not in form
    assert re.findall(r"<label[^>]*>Avatar:</label>", form) == ['<label for="id_avatar">Avatar:</label>']
    assert "Current avatar" not in form


@pytest.mark.django_db
def test_the_change_form_shows_the_phone_verdict_only_for_a_phone(member, organization):
    client = member(Membership.Role.AGENT)
    with_phone = ContactFactory(organization=organization, phone="+12124567890", phone_valid=True)
    without = ContactFactory(organization=organization, phone=None, email="a@example.com")

    page = client.get(reverse("admin:contacts_contact_change", args=[with_phone.pk])).content.decode()
    assert re.search(
        r'<label>Phone valid:</label>\s*<div class="readonly"><img src="/static/admin/img/icon-yes.svg"', page
    )
    assert "<label>Current avatar:</label>" in page
    page = client.get(reverse("admin:contacts_contact_change", args=[without.pk])).content.decode()
    assert re.search(r'<label>Phone valid:</label>\s*<div class="readonly">—</div>', page)


@pytest.mark.django_db
def test_bot_status_is_a_choice(member, organization):
    client = member(Membership.Role.AGENT)
    contact = ContactFactory(organization=organization, phone="+12124567890", name="Bot", bot_status="bot_start")
    url = reverse("admin:contacts_contact_change", args=[contact.pk])

    page = client.get(url).content.decode()
    assert re.search(
        r'<select name="bot_status" id="id_bot_status">\s*<option value="">---------</option>\s*'
        r'<option value="bot_start" selected>Bot started</option>\s*<option value="bot_end">Bot ended</option>',
        page,
    )
    response = client.post(
        url, {"name": "Bot", "phone": "+12124567890", "source": "api", "bot_status": "typing", **_empty_inline()}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["bot_status"] == [
        "Select a valid choice. typing is not one of the available choices."
    ]
    contact.refresh_from_db()
    assert contact.bot_status == "bot_start"


def _empty_inline() -> dict[str, str]:
    prefix = "channel_identities"
    return {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}


# -- Filters of a superuser -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_superuser_sees_whose_tag_group_and_branch_each_filter_choice_is(
    superuser_client, member, organization, other_organization
):
    for org in (organization, other_organization):
        TagFactory(organization=org, name="VIP")
        ContactGroupFactory(organization=org, name="Customers")
        BranchFactory(organization=org, name="London")

    page = superuser_client.get(reverse("admin:contacts_contact_changelist")).content.decode()
    for label in (
        "VIP (Acme)", "VIP (Globex)", "Customers (Acme)", "Customers (Globex)", "London (Acme)", "London (Globex)",
    ):  # fmt: skip
        assert f">{label}</a>" in page

    staff_page = member(Membership.Role.ADMIN).get(reverse("admin:contacts_contact_changelist")).content.decode()
    assert ">VIP</a>" in staff_page
    assert "(Acme)" not in staff_page and "Globex" not in staff_page


# -- Credentials and agents --------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["apikey", "hmacclient", "oauthclient"])
def test_an_agent_gets_the_admins_own_page_for_credentials(member, organization, model):
    client = member(Membership.Role.AGENT)
    key, _ = make_api_key(organization, name="Mobivate")
    urls = [reverse(f"admin:contacts_{model}_changelist"), reverse(f"admin:contacts_{model}_add")]
    if model == "apikey":
        urls += [reverse(f"admin:contacts_{model}_{view}", args=[key.pk]) for view in ("change", "delete", "history")]

    for url in urls:
        response = client.get(url)
        text = response.content.decode()
        assert response.status_code == 403, url
        assert response.templates[0].name == "admin/contacts/permission_denied.html"
        assert '<div id="site-name"><a href="/admin/">Contacts CRM</a></div>' in text
        assert "/static/contacts/admin.css" in text
        assert (
            "API keys, HMAC clients and OAuth clients are managed by your organization&#x27;s owners and admins."
            in text
        )
    assert client.post(reverse("admin:contacts_apikey_delete", args=[key.pk]), {"post": "yes"}).status_code == 403
    assert key.__class__.objects.filter(pk=key.pk).exists()


@pytest.mark.django_db
def test_the_page_names_the_credential_kind(member):
    text = member(Membership.Role.AGENT).get(reverse("admin:contacts_hmacclient_changelist")).content.decode()

    assert "<h1>HMAC clients are not available to your role</h1>" in text


@pytest.mark.django_db
def test_owners_still_manage_credentials(member):
    client = member(Membership.Role.OWNER)

    assert client.get(reverse("admin:contacts_apikey_changelist")).status_code == 200
    assert client.get(reverse("admin:contacts_hmacclient_add")).status_code == 200


# -- Imports ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_image_uploaded_as_an_import_is_not_a_csv_file(member):
    picture = BytesIO()
    Image.new("RGB", (8, 8)).save(picture, "PNG")

    response = member(Membership.Role.ADMIN).post(
        reverse("admin:contacts_importjob_upload"),
        {"mode": "upsert", "match_on": "phone", "encoding": "",
         "file": SimpleUploadedFile("people.png", picture.getvalue(), content_type="image/png")},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "This is not a CSV file: it is a PNG image. Save the sheet as CSV (comma-separated values) and import that."
    ]
    assert not ImportJob.objects.exists()


# -- The contact list at 1,400 px ----------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_the_contact_list_shows_every_column_at_1400_px(live_server, organization, other_organization):
    playwright_api = pytest.importorskip("playwright.sync_api")
    UserFactory(username="root", is_staff=True, is_superuser=True)
    branch = BranchFactory(organization=organization, name="Headquarters Downtown")
    for index in range(3):
        contact = ContactFactory(
            organization=organization,
            name=f"Bartholomew Featherstonehaugh-Smythe {index}",
            phone=f"+4479111234{index:02d}",
            email=f"bartholomew.featherstonehaugh{index}@very-long-company-domain.example.com",
            source="whatsapp",
            branch=branch,
        )
        for name in ("VIP", "Interested", "Call back"):
            contact.tags.add(TagFactory._meta.model.objects.get_or_create(organization=organization, name=name)[0])
        contact.groups.add(
            ContactGroupFactory._meta.model.objects.get_or_create(organization=organization, name="Customers")[0]
        )
    ARTIFACTS.mkdir(exist_ok=True)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.goto(f"{live_server.url}/admin/login/")
            page.fill("#id_username", "root")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url(f"{live_server.url}/admin/")
            page.goto(f"{live_server.url}/admin/contacts/contact/")
            page.screenshot(path=ARTIFACTS / "first-run-contact-list-1400.png", full_page=True)
            layout = page.evaluate(
                """() => {
                  const results = document.querySelector('#changelist-form .results');
                  const right = results.getBoundingClientRect().right;
                  return {
                    scroll: results.scrollWidth - results.clientWidth,
                    hidden: [...document.querySelectorAll('#result_list thead th')]
                      .filter(th => th.getBoundingClientRect().right > right + 0.5)
                      .map(th => th.textContent.trim()),
                    columns: document.querySelectorAll('#result_list thead th').length,
                  };
                }"""
            )
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        connections.close_all()

    assert layout == {"scroll": 0, "hidden": [], "columns": 11}
