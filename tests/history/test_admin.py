"""The contact page's History (the change timeline) and the read-only "Change history" admin."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from django.urls import reverse

from contacts.models import Membership
from events.models import ActorKind, ContactEvent, EventType, Surface
from tests.factories import ContactFactory
from tests.history.conftest import make_event

pytestmark = pytest.mark.django_db

ADA = uuid.UUID("0b0e9d4e-1111-4c3a-9d55-000000000001")


def history_url(contact) -> str:
    return reverse("admin:contacts_contact_history", args=[contact.pk])


def text_of(response) -> str:
    """The page's text with tags dropped and whitespace collapsed, as a reader sees it."""
    assert response.status_code == 200, response.status_code
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def ada(organization):
    return ContactFactory(organization=organization, uuid=ADA, name="Ada L.")


def test_history_shows_who_through_what_when_and_each_change(staff_client, organization, ada):
    make_event(
        organization,
        ADA,
        type=EventType.CREATED,
        actor_kind=ActorKind.API_KEY,
        actor_name="Zapier key",
        surface=Surface.SFMC,
        changes={
            "name": {"before": None, "after": "Ada"},
            "tags": {"before": [], "after": ["VIP", "Lead"]},
            "is_favorite": {"before": False, "after": True},
            "branch": {"before": None, "after": {"id": 3, "name": "North"}},
        },
        request_id="req-42",
    )
    make_event(organization, ADA, minutes=90)

    text = text_of(staff_client.get(history_url(ada)))

    assert "Change history: Ada L." in text
    newest = "Updated 2026-03-01 11:00:00 UTC · by alice (user) · through Admin Field Before After name Ada Ada L."
    oldest = (
        "Created 2026-03-01 09:30:00 UTC · by Zapier key (API key) · through Salesforce Marketing Cloud · request "
        "req-42 Field Before After branch — North is_favorite no yes name — Ada tags — VIP, Lead"
    )
    assert newest in text
    assert oldest in text
    assert text.index(newest) < text.index(oldest)  # newest first
    assert "Older changes" not in text


def test_history_shows_only_the_contacts_events_in_its_organization(
    staff_client, organization, other_organization, ada
):
    make_event(organization, ADA, changes={"note": {"before": "ours", "after": "still ours"}})
    make_event(organization, uuid.uuid4(), changes={"note": {"before": "someone else", "after": "x"}})
    # The same uuid in another organization's history (an import of the same data, say) is theirs.
    make_event(other_organization, ADA, actor_name="globex-bot", changes={"note": {"before": "globex", "after": "y"}})

    text = text_of(staff_client.get(history_url(ada)))

    assert "ours still ours" in text
    assert "someone else" not in text
    assert "globex" not in text


def test_another_organizations_staff_get_a_404(staff_client, organization, other_organization, ada):
    make_event(organization, ADA)
    outsider = staff_client(other_organization, username="gus")

    assert outsider.get(history_url(ada)).status_code == 404
    assert staff_client(superuser=True, username="root").get(history_url(ada)).status_code == 200


def test_an_agent_reads_the_history(staff_client, organization, ada):
    make_event(organization, ADA, actor_name="carol")
    agent = staff_client(organization, role=Membership.Role.AGENT, username="dave")

    assert "by carol (user)" in text_of(agent.get(history_url(ada)))


def test_a_contact_without_events(staff_client, ada):
    assert "No changes recorded for this contact yet." in text_of(staff_client.get(history_url(ada)))


def test_history_pages_by_50_newest_first(staff_client, organization, ada):
    for minute in range(60):
        make_event(
            organization, ADA, minutes=minute, changes={"note": {"before": f"n{minute}", "after": f"n{minute + 1}"}}
        )

    first = staff_client.get(history_url(ada))
    text = text_of(first)
    assert text.count("by alice (user)") == 50
    assert "note n59 n60" in text and "note n10 n11" in text and "note n9 n10" not in text
    older = re.search(r'href="(\?before=\d+)"', first.content.decode()).group(1)

    second = text_of(staff_client.get(history_url(ada) + older))
    assert second.count("by alice (user)") == 10
    assert "note n9 n10" in second and "note n0 n1" in second and "note n10 n11" not in second
    assert "Older changes" not in second
    assert "Newest changes" in second


def test_a_page_of_50_events_in_bounded_queries(staff_client, organization, ada, django_assert_max_num_queries):
    ContactEvent.objects.bulk_create(
        ContactEvent(
            organization=organization,
            contact_uuid=ADA,
            actor_kind=ActorKind.USER,
            actor_name=f"user {i}",
            changes={"tags": {"before": ["a"], "after": ["a", "b"]}, "name": {"before": "x", "after": "y"}},
        )
        for i in range(80)
    )
    staff_client.get(history_url(ada))  # the session and the user are loaded once per client

    with django_assert_max_num_queries(13):
        response = staff_client.get(history_url(ada))

    assert text_of(response).count("a, b") == 50


# --- the Change history admin --------------------------------------------------------------------------------


def changelist(client, **params):
    return client.get(reverse("admin:events_contactevent_changelist"), params)


def test_change_history_lists_the_organizations_events_only(staff_client, organization, other_organization):
    make_event(organization, ADA, actor_name="alice-in-acme")
    make_event(other_organization, uuid.uuid4(), actor_name="globex-bot")

    text = text_of(changelist(staff_client))

    assert "alice-in-acme (user)" in text
    assert str(ADA) in text
    assert "globex-bot" not in text


def test_change_history_filters_and_searches_by_contact(staff_client, organization):
    bob = uuid.uuid4()
    make_event(organization, ADA, actor_name="by-admin", surface=Surface.ADMIN)
    make_event(organization, bob, actor_name="by-key", actor_kind=ActorKind.API_KEY, surface=Surface.NATIVE,
               type=EventType.TAGGED)  # fmt: skip

    assert "by-key" not in text_of(changelist(staff_client, surface="admin"))
    assert "by-admin" not in text_of(changelist(staff_client, actor_kind="api_key"))
    assert "by-admin" not in text_of(changelist(staff_client, type="contact.tagged"))
    found = text_of(changelist(staff_client, q=str(bob)))
    assert "by-key (API key)" in found and "by-admin" not in found
    assert "by-key" not in text_of(changelist(staff_client, q="not a uuid"))


def test_change_history_is_read_only(staff_client, organization, ada):
    event = make_event(organization, ADA, changes={"email": {"before": "a@x.test", "after": "b@x.test"}})
    change_url = reverse("admin:events_contactevent_change", args=[event.pk])

    text = text_of(staff_client.get(change_url))
    assert "Field Before After email a@x.test b@x.test" in text
    assert "Ada L." in text  # the contact, linked while it exists
    assert staff_client.get(reverse("admin:events_contactevent_add")).status_code == 403
    assert staff_client.post(change_url, {"actor_name": "mallory"}).status_code == 403
    assert (
        staff_client.post(reverse("admin:events_contactevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    event.refresh_from_db()
    assert event.actor_name == "alice"


def test_change_history_of_another_organization_is_not_shown(staff_client, organization, other_organization):
    theirs = make_event(other_organization, ADA)

    response = staff_client.get(reverse("admin:events_contactevent_change", args=[theirs.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_a_superuser_sees_every_organizations_events_and_an_agent_its_own(
    staff_client, organization, other_organization
):
    make_event(organization, ADA, actor_name="acme-actor")
    make_event(other_organization, uuid.uuid4(), actor_name="globex-actor")

    everything = text_of(changelist(staff_client(superuser=True, username="root")))
    assert "acme-actor" in everything and "globex-actor" in everything
    own = text_of(changelist(staff_client(organization, role=Membership.Role.AGENT, username="dave")))
    assert "acme-actor" in own and "globex-actor" not in own
