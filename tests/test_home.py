"""The front door: `/` says what the server is and links its parts; `/healthz` reports the database."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.db import OperationalError, connections
from django.test import Client
from django.urls import path, resolve

from contacts.models import Membership
from crm.urls import urlpatterns as crm_urlpatterns
from tests.factories import MembershipFactory, UserFactory
from tests.test_csp import POLICY, inline_content, policy_of

pytestmark = pytest.mark.django_db

# Used by the test that gives the project an API docs page (pytest.mark.urls).
urlpatterns = [*crm_urlpatterns, path("api/docs/", lambda request: None, name="api-docs")]


class Links(HTMLParser):
    """Every link on a page as (visible text, href), and the page's visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.text: list[str] = []
        self._open: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open.append((dict(attrs).get("href", ""), []))

    def handle_endtag(self, tag):
        if tag == "a" and self._open:
            href, parts = self._open.pop()
            self.links.append((" ".join("".join(parts).split()), href))

    def handle_data(self, data):
        self.text.append(data)
        for _, parts in self._open:
            parts.append(data)

    @property
    def visible_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse(response) -> Links:
    links = Links()
    links.feed(response.content.decode())
    return links


def test_home_page_names_the_product_and_links_every_part():
    response = Client().get("/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = parse(response)
    # The dialects in the registry's order (by name).
    assert page.links == [
        ("Open the admin", "/admin/"),
        ("http://testserver/awal/", "/awal/"),
        ("Awal documentation", "https://awalchat.com/en/docs/api/contacts"),
        ("http://testserver/callbell/", "/callbell/"),
        ("Callbell (WhatsApp) documentation", "https://docs.callbell.eu/api/reference/contacts_api/get_contacts"),
        ("http://testserver/contactship/", "/contactship/"),
        ("Contactship documentation", "https://docs.contactship.ai/api-reference/endpoint/create-contact"),
        ("http://testserver/mobivate/", "/mobivate/"),
        (
            "Mobivate Bulk SMS address book documentation",
            "https://wiki.mobivatebulksms.com/contact-management/create-new-contact",
        ),
        ("http://testserver/sfmc/", "/sfmc/"),
        (
            "Salesforce Marketing Cloud documentation",
            "https://developer.salesforce.com/docs/marketing/marketing-cloud/references/mc_rest_contacts/createContacts.html",
        ),
        ("API documentation", "/api/docs/"),
        ("/healthz", "/healthz"),
    ]
    text = page.visible_text
    assert text.startswith("Contacts CRM Contacts CRM A self-hosted contacts CRM that speaks five messaging vendors'")
    for words in (
        "Mobivate Bulk SMS address book http://testserver/mobivate/ Bearer API key",
        "Contactship http://testserver/contactship/ x-api-key header",
        "Callbell (WhatsApp) http://testserver/callbell/ Bearer API key",
        "Awal http://testserver/awal/ HMAC-signed requests",
        "Salesforce Marketing Cloud http://testserver/sfmc/ OAuth client credentials",
        "docs/dialects/mobivate.md in the repository",
        "docs/dialects/sfmc.md in the repository",
    ):
        assert words in text
    # The OpenAPI pages of every surface (the native API and the five dialects).
    assert "API reference API documentation" in text


def test_home_page_base_urls_follow_the_host_the_client_used():
    page = parse(Client().get("/", HTTP_HOST="localhost"))

    assert ("http://localhost/awal/", "/awal/") in page.links


@pytest.mark.parametrize(
    ("mount", "dialect_package"),
    [
        ("/mobivate/", "contacts.api.dialects.mobivate"),
        ("/contactship/", "contacts.api.dialects.contactship"),
        ("/callbell/", "contacts.api.dialects.callbell"),
        ("/awal/", "contacts.api.dialects.awal"),
        ("/sfmc/", "contacts.api.dialects.sfmc"),
    ],
)
def test_each_linked_mount_is_answered_by_its_dialect(mount, dialect_package):
    view = resolve(mount).func

    assert view.view_class.__module__ == f"{dialect_package}.views"


@pytest.mark.urls("tests.test_home")
def test_home_page_links_the_api_docs_once_they_exist():
    page = parse(Client().get("/"))

    assert ("API documentation", "/api/docs/") in page.links
    assert "API reference API documentation" in page.visible_text


def test_home_page_needs_nothing_the_content_security_policy_forbids():
    response = Client().get("/")

    assert policy_of(response) == {name: sources for name, sources in POLICY.items()}
    assert inline_content(response.content.decode()) == []
    assert '<link rel="stylesheet" href="/static/contacts/home.css">' in response.content.decode()
    assert finders.find("contacts/home.css") is not None


def test_home_page_answers_get_and_head_only():
    assert Client().head("/").status_code == 200
    assert Client().post("/").status_code == 405


def test_healthz_reports_a_reachable_database():
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert not response.has_header("Retry-After")


def test_healthz_is_503_when_the_database_cannot_be_queried(monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise OperationalError('connection to server at "db.internal" (10.0.0.5), port 5432 failed')

    monkeypatch.setattr(connections["default"], "cursor", unreachable)

    response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert response["Cache-Control"] == "no-store"
    assert response["Retry-After"] == "5"
    # The log says what failed without the database's address.
    assert [record.getMessage() for record in caplog.records if record.name == "crm.health"] == [
        "health check: database unreachable (OperationalError)"
    ]


def test_healthz_needs_no_credentials_and_refuses_writes():
    client = Client()

    assert client.get("/healthz", HTTP_AUTHORIZATION="Bearer nonsense").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_admin_view_site_link_points_to_the_front_page(organization):
    user = UserFactory(username="alice", is_staff=True)
    MembershipFactory(user=user, organization=organization, role=Membership.Role.ADMIN)
    client = Client()
    client.force_login(user)

    page = parse(client.get("/admin/"))

    assert ("View site", "/") in page.links


def test_healthz_answers_plain_http_probes_where_everything_else_redirects_to_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()

    assert client.get("/healthz").status_code == 200
    home = client.get("/")
    assert (home.status_code, home["Location"]) == (301, "https://testserver/")
