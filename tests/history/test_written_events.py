"""The history shows the events the services write: a change through the native API, then one in the admin."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from tests.factories import ContactFactory, TagFactory

pytestmark = pytest.mark.django_db


def admin_form(**values) -> dict:
    """The contact change form as a browser posts it: every field, empty unless given."""
    data = {
        "name": "", "full_name": "", "alias": "", "contact_key": "", "phone": "", "email": "", "source": "manual",
        "avatar_url": "", "country": "", "address": "", "description": "", "note": "", "bot_status": "",
        "branch": "", "team": "", "assigned_user": "",
        "channel_identities-TOTAL_FORMS": "0", "channel_identities-INITIAL_FORMS": "0",
    }  # fmt: skip
    data.update(values)
    return data


def test_changes_through_the_api_and_the_admin_read_in_both_histories(client_for, staff_client, organization):
    vip = TagFactory(organization=organization, name="VIP")
    contact = ContactFactory(organization=organization, name="Ada", phone="+12125550100", email="ada@acme.test")
    writer = client_for(organization, scopes=["contacts:read", "contacts:write"])

    patched = writer.patch(f"/api/v1/contacts/{contact.uuid}", {"note": "Met at the fair"}, format="json")
    assert patched.status_code == 200, patched.json()
    form = admin_form(name="Ada L.", phone="+12125550100", email="ada@acme.test", note="Met at the fair", tags=[vip.pk])
    saved = staff_client.post(reverse("admin:contacts_contact_change", args=[contact.pk]), form)
    assert saved.status_code == 302

    history = writer.get(f"/api/v1/contacts/{contact.uuid}/history").json()["results"]
    assert [(e["actor"]["kind"], e["actor"]["name"], e["surface"]) for e in history] == [
        ("api_key", "test key", "native"),
        ("user", "alice", "admin"),
    ]
    assert history[0]["changes"]["note"] == {"before": None, "after": "Met at the fair"}
    assert history[1]["changes"]["name"] == {"before": "Ada", "after": "Ada L."}
    assert history[1]["changes"]["tags"] == {"before": [], "after": ["VIP"]}

    page = staff_client.get(reverse("admin:contacts_contact_history", args=[contact.pk]))
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.content.decode())).split())
    by_admin, by_key = (
        text.index("by alice (user) · through Admin"),
        text.index("by test key (API key) · through Native API"),
    )
    assert by_admin < by_key  # newest first
    assert "name Ada Ada L." in text[by_admin:by_key]
    assert "tags — VIP" in text[by_admin:by_key]
    assert "note — Met at the fair" in text[by_key:]
