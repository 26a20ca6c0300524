"""Bulk actions, search and the dashboard, through the Django test client as staff use them."""

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from tests.factories import (
    ContactFactory,
    ContactGroupFactory,
    TagFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:contacts_contact_changelist"


def post_action(client, action, contacts, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in contacts], "index": 0, **extra}
    return client.post(reverse(CHANGELIST), data)


def test_bulk_add_and_remove_tag(staff_client, organization):
    tag = TagFactory(organization=organization, name="hot")
    contacts = [ContactFactory(organization=organization) for _ in range(3)]
    contacts[0].tags.add(tag)
    page = post_action(staff_client, "add_tag", contacts)
    assert page.status_code == 200
    assert "Add tag for 3 selected contacts." in page.content.decode()
    done = post_action(staff_client, "add_tag", contacts, apply="1", tag=tag.pk)
    assert done.status_code == 302
    assert all(tag in c.tags.all() for c in contacts)
    messages = [m.message for m in staff_client.get(reverse(CHANGELIST)).context["messages"]]
    assert "Add tag: 2 contact(s) changed." in messages
    post_action(staff_client, "remove_tag", contacts[:2], apply="1", tag=tag.pk)
    assert [tag in c.tags.all() for c in contacts] == [False, False, True]


def test_bulk_tag_from_another_org_is_refused(staff_client, organization, other_organization):
    foreign_tag = TagFactory(organization=other_organization)
    contact = ContactFactory(organization=organization)
    page = post_action(staff_client, "add_tag", [contact], apply="1", tag=foreign_tag.pk)
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    assert contact.tags.count() == 0


def test_bulk_group_assign_and_favorite(staff_client, organization, staff):
    group = ContactGroupFactory(organization=organization)
    team = TeamFactory(organization=organization)
    contacts = [ContactFactory(organization=organization) for _ in range(2)]
    post_action(staff_client, "add_to_group", contacts, apply="1", group=group.pk)
    post_action(staff_client, "assign", contacts, apply="1", assigned_user=staff.pk, team=team.pk)
    post_action(staff_client, "mark_favorite", contacts)
    for contact in Contact.objects.filter(pk__in=[c.pk for c in contacts]):
        assert list(contact.groups.all()) == [group]
        assert (contact.assigned_user, contact.team, contact.is_favorite) == (staff, team, True)


def test_bulk_assign_needs_a_target(staff_client, organization):
    contact = ContactFactory(organization=organization)
    page = post_action(staff_client, "assign", [contact], apply="1")
    assert "Choose a user, a team or both." in page.content.decode()


def test_bulk_delete_asks_for_confirmation_then_deletes(staff_client, organization):
    contacts = [ContactFactory(organization=organization) for _ in range(2)]
    page = post_action(staff_client, "delete_selected", contacts)
    assert page.status_code == 200
    assert "Yes, I\u2019m sure" in page.content.decode()
    post_action(staff_client, "delete_selected", contacts, post="yes")
    assert not Contact.objects.exists()


@pytest.mark.parametrize("typed", ["(212) 456-7890", "+1 212 456 7890", "212.456.7890", "12124567890"])
def test_search_finds_phone_typed_in_any_format(staff_client, organization, typed):
    ContactFactory(organization=organization, name="Phone Person", phone="+12124567890")
    ContactFactory(organization=organization, name="Someone Else", phone="+12124567891")
    response = staff_client.get(reverse(CHANGELIST), {"q": typed})
    names = [c.name for c in response.context["cl"].result_list]
    assert names == ["Phone Person"]


def test_search_by_name_email_alias_and_key(staff_client, organization):
    ContactFactory(
        organization=organization, name="Angela Cruz", email="acruz@example.com", alias="ang", contact_key="K-77"
    )
    ContactFactory(organization=organization, name="Other")
    for term in ("angela", "ACRUZ@", "ang", "k-77", "cruz angela"):
        response = staff_client.get(reverse(CHANGELIST), {"q": term})
        assert [c.name for c in response.context["cl"].result_list] == ["Angela Cruz"], term


def test_dashboard_shows_own_organization_numbers(staff_client, organization, other_organization):
    vip = TagFactory(organization=organization, name="VIP")
    for source in ("whatsapp", "whatsapp", "sms"):
        ContactFactory(organization=organization, source=source).tags.add(vip)
    old = ContactFactory(organization=organization, source="email")
    Contact.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    ContactFactory.create_batch(5, organization=other_organization)
    body = staff_client.get(reverse("admin:index")).content.decode()
    assert '<strong id="crm-total">4</strong>' in body
    assert '<span id="crm-recent">3</span> created in the last 30 days' in body
    assert '<svg class="crm-chart"' in body and body.count('class="crm-bar"') == 30
    assert '<td>WhatsApp</td><td class="crm-n">2</td>' in body
    assert '<td>VIP</td><td class="crm-n">3</td>' in body
    assert "<script" not in body.split('id="crm-dashboard"')[1].split("</div>")[0]


def test_search_expression_matches_the_indexed_one():
    import importlib

    from contacts.selectors.search import search_sql

    migration = importlib.import_module("contacts.migrations.0004_contact_search_trigram")
    assert search_sql() == migration.SEARCH_SQL


@pytest.mark.postgres
def test_trigram_index_serves_admin_search(organization):
    from django.db import connection

    from contacts.selectors.search import search_contacts

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'contact_search_trgm'")
        row = cursor.fetchone()
        if row is None:
            pytest.skip("pg_trgm is not available on this server")
        assert "gin_trgm_ops" in row[0]
        queryset = search_contacts(Contact.objects.all(), "angela", regions=["US"])
        sql, params = queryset.query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "contact_search_trgm" in plan, plan


def test_import_page_is_reachable_from_the_admin(staff_client):
    response = staff_client.get(reverse("admin:contacts_importjob_upload"))
    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


def test_export_action_streams_selected_contacts_as_csv(staff_client, organization, other_organization):
    mine = ContactFactory(organization=organization, name="Exported Person", phone="+12125550100")
    ContactFactory(organization=other_organization, name="Not Mine")
    response = post_action(staff_client, "export_csv", [mine])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    assert "Exported Person" in body and "+12125550100" in body
    assert "Not Mine" not in body
