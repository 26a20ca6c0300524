"""Staff of one organization cannot see or reach another organization's rows through any admin URL."""

import hashlib

import pytest
from django.test import Client
from django.urls import reverse

from contacts.models import ApiKey, Contact, Membership
from tests.factories import (
    BranchFactory,
    ContactFactory,
    ContactGroupFactory,
    CustomFieldFactory,
    MembershipFactory,
    TagFactory,
    TeamFactory,
    UserFactory,
    make_api_key,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign(other_organization):
    """A full set of another organization's rows."""
    tag = TagFactory(organization=other_organization, name="globex-secret-tag")
    group = ContactGroupFactory(organization=other_organization, name="Globex group")
    branch = BranchFactory(organization=other_organization, name="Globex branch")
    team = TeamFactory(organization=other_organization, name="Globex team")
    contact = ContactFactory(organization=other_organization, name="Globex Contact", phone="+442071234567")
    contact.tags.add(tag)
    key, _ = make_api_key(other_organization, name="Globex key")
    outsider = UserFactory(username="bob-globex", email="bob@globex.test", is_staff=True)
    MembershipFactory(user=outsider, organization=other_organization)
    return {
        "tag": tag,
        "group": group,
        "branch": branch,
        "team": team,
        "contact": contact,
        "key": key,
        "user": outsider,
    }


MODEL_URLS = ["contact", "tag", "contactgroup", "branch", "team", "apikey"]


@pytest.mark.parametrize("model", MODEL_URLS)
def test_change_and_delete_urls_of_another_org_are_not_found(staff_client, foreign, model):
    obj = {
        "contact": foreign["contact"],
        "tag": foreign["tag"],
        "contactgroup": foreign["group"],
        "branch": foreign["branch"],
        "team": foreign["team"],
        "apikey": foreign["key"],
    }[model]
    for view in ("change", "delete", "history"):
        response = staff_client.get(reverse(f"admin:contacts_{model}_{view}", args=[obj.pk]))
        # The admin redirects to the index with "doesn't exist" for objects outside the queryset.
        assert response.status_code in (302, 403, 404), (view, response.status_code)
        if response.status_code == 302:
            assert response["Location"] == reverse("admin:index")
    response = staff_client.post(reverse(f"admin:contacts_{model}_delete", args=[obj.pk]), {"post": "yes"})
    assert response.status_code in (302, 403, 404)
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_changelist_shows_only_own_contacts(staff_client, organization, foreign):
    mine = ContactFactory(organization=organization, name="Acme Person")
    response = staff_client.get(reverse("admin:contacts_contact_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert mine.name in body
    assert "Globex Contact" not in body
    assert "globex-secret-tag" not in body  # not in the tag filter either
    assert "Globex branch" not in body


def test_search_does_not_cross_organizations(staff_client, organization, foreign):
    response = staff_client.get(reverse("admin:contacts_contact_changelist"), {"q": "+44 20 7123 4567"})
    assert "Globex Contact" not in response.content.decode()


def test_add_form_choices_are_own_organization_only(staff_client, organization, staff, foreign):
    own_branch = BranchFactory(organization=organization, name="Acme branch")
    own_tag = TagFactory(organization=organization, name="acme-tag")
    response = staff_client.get(reverse("admin:contacts_contact_add"))
    assert response.status_code == 200
    fields = response.context["adminform"].form.fields
    assert "organization" not in fields  # staff of one organization never pick it
    assert list(fields["branch"].queryset) == [own_branch]
    assert list(fields["tags"].queryset) == [own_tag]
    assert list(fields["groups"].queryset) == []
    assert list(fields["team"].queryset) == []
    assert list(fields["assigned_user"].queryset) == [staff]
    body = response.content.decode()
    for name in ("Globex branch", "Globex team", "Globex group", "globex-secret-tag", "bob-globex"):
        assert name not in body


def test_autocomplete_never_lists_another_org(staff_client, organization, foreign):
    TagFactory(organization=organization, name="acme-tag")
    url = reverse("admin:autocomplete")
    response = staff_client.get(
        url, {"app_label": "contacts", "model_name": "contact", "field_name": "tags", "term": "tag"}
    )
    assert response.status_code == 200
    names = [row["text"] for row in response.json()["results"]]
    assert names == ["acme-tag"]
    response = staff_client.get(
        url, {"app_label": "contacts", "model_name": "contact", "field_name": "assigned_user", "term": "bob"}
    )
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_posting_a_foreign_id_is_rejected(staff_client, organization, foreign):
    response = staff_client.post(
        reverse("admin:contacts_contact_add"),
        {
            "name": "Sneaky",
            "phone": "+12125550100",
            "source": "api",
            "branch": foreign["branch"].pk,
            "tags": [foreign["tag"].pk],
            "channel_identities-TOTAL_FORMS": "0",
            "channel_identities-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form is shown again with errors
    assert "Select a valid choice" in response.content.decode()
    assert not Contact.objects.filter(name="Sneaky").exists()


def test_staff_creates_contact_in_own_org_with_typed_custom_fields(staff_client, organization):
    birthday = CustomFieldFactory(organization=organization, key="birthday", field_type="date")
    plan = CustomFieldFactory(organization=organization, key="plan", field_type="choice", choices=["free", "pro"])
    data = {
        "name": "New Person",
        "phone": "(212) 555-0100",
        "source": "api",
        f"cf_{birthday.pk}": "1990-02-03",
        f"cf_{plan.pk}": "pro",
        "channel_identities-TOTAL_FORMS": "0",
        "channel_identities-INITIAL_FORMS": "0",
    }
    response = staff_client.post(reverse("admin:contacts_contact_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    contact = Contact.objects.get(name="New Person")
    assert contact.organization == organization
    assert contact.phone_e164 == "+12125550100"
    assert contact.custom_fields == {"birthday": "1990-02-03", "plan": "pro"}

    data[f"cf_{birthday.pk}"] = "not a date"
    data["name"] = "Second"
    data["phone"] = "+12125550101"
    response = staff_client.post(reverse("admin:contacts_contact_add"), data)
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
    assert not Contact.objects.filter(name="Second").exists()


def test_duplicate_phone_in_admin_is_a_form_error(staff_client, organization):
    ContactFactory(organization=organization, phone="+12125550100")
    response = staff_client.post(
        reverse("admin:contacts_contact_add"),
        {
            "name": "Dup",
            "phone": "212-555-0100",
            "source": "api",
            "channel_identities-TOTAL_FORMS": "0",
            "channel_identities-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "A contact with this phone already exists." in response.content.decode()
    assert Contact.objects.filter(organization=organization).count() == 1


def test_api_key_secret_shown_once(staff_client, organization):
    response = staff_client.post(
        reverse("admin:contacts_apikey_add"), {"name": "Integration", "scopes": ["contacts:create", "contacts:read"]}
    )
    assert response.status_code == 200
    body = response.content.decode()
    key = ApiKey.objects.get(name="Integration")
    assert key.organization == organization
    assert key.scopes == ["contacts:create", "contacts:read"]
    secret = body.split('<code id="credential-secret">')[1].split("</code>")[0]
    assert secret.startswith(key.prefix)
    change = staff_client.get(reverse("admin:contacts_apikey_change", args=[key.pk])).content.decode()
    assert key.prefix in change
    assert secret not in change
    listing = staff_client.get(reverse("admin:contacts_apikey_changelist")).content.decode()
    assert secret not in listing


def test_agent_role_cannot_see_credentials(organization):
    agent = UserFactory(username="agent007", is_staff=True)
    MembershipFactory(user=agent, organization=organization, role=Membership.Role.AGENT)
    client = Client()
    client.force_login(agent)
    assert client.get(reverse("admin:contacts_apikey_changelist")).status_code == 403
    assert client.get(reverse("admin:contacts_contact_changelist")).status_code == 200


def test_superuser_sees_all_with_organization_filter(organization, foreign):
    ContactFactory(organization=organization, name="Acme Person")
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    body = client.get(reverse("admin:contacts_contact_changelist")).content.decode()
    assert "Acme Person" in body and "Globex Contact" in body
    assert "By organization" in body


def test_changelist_has_no_n_plus_one(staff_client, organization, django_assert_max_num_queries):
    tags = [TagFactory(organization=organization) for _ in range(3)]
    group = ContactGroupFactory(organization=organization)

    def make(count):
        for _ in range(count):
            contact = ContactFactory(organization=organization, avatar_url="https://cdn.example.com/a.png")
            contact.tags.add(*tags)
            contact.groups.add(group)

    make(5)
    url = reverse("admin:contacts_contact_changelist")
    with django_assert_max_num_queries(20) as small:
        assert staff_client.get(url).status_code == 200
    make(40)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = staff_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="crm-avatar"') == 45
    assert body.count(tags[0].name) >= 45
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.parametrize(("model", "identifier"), [("hmacclient", "client_id"), ("oauthclient", "client_id")])
def test_hmac_and_oauth_client_secrets_shown_once(staff_client, organization, model, identifier):
    from contacts import crypto
    from contacts.models import HmacClient, OAuthClient

    response = staff_client.post(
        reverse(f"admin:contacts_{model}_add"), {"name": "Client", "scopes": ["contacts:read"]}
    )
    assert response.status_code == 200
    secret = response.content.decode().split('<code id="credential-secret">')[1].split("</code>")[0]
    client = (HmacClient if model == "hmacclient" else OAuthClient).objects.get(name="Client")
    assert client.organization == organization
    if model == "hmacclient":
        assert crypto.decrypt(client.secret_encrypted) == secret
    else:
        assert client.secret_digest == hashlib.sha256(secret.encode()).hexdigest()
    change = staff_client.get(reverse(f"admin:contacts_{model}_change", args=[client.pk])).content.decode()
    assert getattr(client, identifier) in change and secret not in change


def test_revoke_action_stops_the_key_working(staff_client, organization):
    from contacts.services import credentials

    key, secret = make_api_key(organization)
    response = staff_client.post(
        reverse("admin:contacts_apikey_changelist"),
        {"action": "revoke_selected", "_selected_action": [key.pk], "index": 0},
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    with pytest.raises(credentials.InvalidCredential):
        credentials.authenticate_api_key(secret)
    listing = staff_client.get(reverse("admin:contacts_apikey_changelist")).content.decode()
    assert "revoked" in listing
