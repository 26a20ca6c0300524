"""The admin's Content-Security-Policy: the exact policy on its pages, and pages that need nothing it forbids."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.factories import ContactFactory, TagFactory

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    """{directive: sources} of a Content-Security-Policy header (django-csp keeps no one order of directives)."""
    parts = [part.split() for part in header.split(";")]
    return {name: sources for name, *sources in parts}


# The exact header the admin sends, up to the order of its directives.
POLICY = directives(
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
AVATAR_URL = "https://avatars.example.com/omar.png"

# What the policy would block: inline <style> blocks and style="" attributes (style-src 'self'), inline scripts
# and event-handler attributes (script-src 'self'). JSON data blocks are not run, so they are allowed.
INLINE_STYLE_BLOCK = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\ssrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


def policy_of(response) -> dict[str, list[str]]:
    return directives(response["Content-Security-Policy"])


def inline_content(html: str) -> list[str]:
    found = []
    for pattern in (INLINE_STYLE_BLOCK, STYLE_ATTRIBUTE, INLINE_SCRIPT, EVENT_HANDLER, JAVASCRIPT_URL):
        found += [match.group(0) for match in pattern.finditer(html)]
    return found


@pytest.fixture
def contact(organization):
    contact = ContactFactory(organization=organization, name="Omar", avatar_url=AVATAR_URL)
    contact.tags.add(TagFactory(organization=organization, name="VIP"))
    return contact


def test_the_login_page_carries_the_policy_and_needs_nothing_inline():
    response = Client().get("/admin/login/")

    assert response.status_code == 200
    assert policy_of(response) == POLICY
    assert inline_content(response.content.decode()) == []


def test_the_dashboard_carries_the_policy_and_needs_nothing_inline(staff_client, contact):
    response = staff_client.get("/admin/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="crm-dashboard"' in html and "<svg" in html
    assert policy_of(response) == POLICY
    assert inline_content(html) == []
    # The CRM's styles come from its static stylesheet instead.
    assert '<link rel="stylesheet" href="/static/contacts/admin.css">' in html


def test_the_changelist_carries_the_policy_and_shows_an_avatar_url_the_policy_allows(staff_client, contact):
    response = staff_client.get("/admin/contacts/contact/")

    assert response.status_code == 200
    html = response.content.decode()
    assert policy_of(response) == POLICY
    assert inline_content(html) == []
    assert f'<img class="crm-avatar" src="{AVATAR_URL}"' in html  # https: is in img-src


def test_the_change_form_needs_nothing_inline(staff_client, contact):
    response = staff_client.get(f"/admin/contacts/contact/{contact.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    assert policy_of(response) == POLICY
    assert inline_content(html) == []
    assert f'<img class="crm-avatar-preview" src="{AVATAR_URL}" alt="avatar">' in html


@pytest.mark.parametrize(
    "path", ["/admin/contacts/contact/add/", "/admin/contacts/importjob/import/", "/admin/contacts/tag/"]
)
def test_other_admin_pages_need_nothing_inline(staff_client, path):
    response = staff_client.get(path)

    assert response.status_code == 200
    assert policy_of(response) == POLICY
    assert inline_content(response.content.decode()) == []


def test_the_stylesheet_is_a_static_file():
    path = finders.find("contacts/admin.css")

    assert path is not None
    with open(path, encoding="utf-8") as stylesheet:
        css = stylesheet.read()
    assert ".crm-avatar-preview {" in css and ".crm-chart {" in css


def test_the_api_docs_pages_relax_only_styles_and_redocs_worker():
    swagger = Client().get("/api/docs/")
    redoc = Client().get("/api/docs/redoc/")

    assert (swagger.status_code, redoc.status_code) == (200, 200)
    assert policy_of(swagger) == {**POLICY, "style-src": ["'self'", "'unsafe-inline'"]}
    assert policy_of(redoc) == {
        **POLICY,
        "style-src": ["'self'", "'unsafe-inline'"],
        "worker-src": ["'self'", "blob:"],
        "img-src": ["'self'", "data:"],
    }
    assert [inline for inline in inline_content(redoc.content.decode()) if inline.startswith("<script")] == []
