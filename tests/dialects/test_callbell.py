"""The Callbell dialect (`/callbell/v1/contacts...`): the contract's examples, every rule and every error class."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import Contact, CustomFieldType, Scope
from tests.dialects.base import Callbell
from tests.factories import (
    ContactFactory,
    CustomFieldFactory,
    MembershipFactory,
    TagFactory,
    TeamFactory,
    UserFactory,
    make_api_key,
)
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

URL = Callbell.url("/v1/contacts")
fixture = Callbell.fixture
error = Callbell.error
client = Callbell.client_fixture()


HEX_UUID = Matches(r"[0-9a-f]{32}")
TIMESTAMP = Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
ADMIN_HREF = Matches(r"http://testserver/admin/contacts/contact/\d+/change/")


def contact_object(contact: Contact, **fields) -> dict:
    """The Contact object of `contact` with the given rendered values; everything not given is its empty form."""
    body = {
        "uuid": contact.uuid.hex,
        "name": contact.name,
        "phoneNumber": contact.phone_digits or None,
        "avatarUrl": None,
        "blockedAt": None,
        "createdAt": TIMESTAMP,
        "source": contact.source,
        "funnelId": None,
        "closedAt": None,
        "href": f"http://testserver/admin/contacts/contact/{contact.pk}/change/",
        "conversationHref": None,
        "tags": [],
        "assignedUser": None,
        "customFields": {},
        "team": None,
        "channel": None,
        "botStatus": None,
        "note": None,
    }
    body.update(fields)
    return body


@pytest.fixture
def account(organization):
    """The organization's tags, custom fields, member and teams, as `manage.py demo` sets them up."""
    for name in ["VIP", "Lead", "Call back", "Interested"]:
        TagFactory(organization=organization, name=name)
    CustomFieldFactory(organization=organization, key="Billing Address", field_type=CustomFieldType.TEXT)
    CustomFieldFactory(organization=organization, key="birthday", field_type=CustomFieldType.DATE)
    CustomFieldFactory(organization=organization, key="seats", field_type=CustomFieldType.NUMBER)
    CustomFieldFactory(
        organization=organization, key="plan", field_type=CustomFieldType.CHOICE, choices=["free", "pro"]
    )
    CustomFieldFactory(
        organization=organization,
        key="interests",
        field_type=CustomFieldType.MULTICHOICE,
        choices=["sms", "email", "whatsapp"],
    )
    agent = UserFactory(username="agent", email="agent@acme.test")
    MembershipFactory(user=agent, organization=organization)
    support = TeamFactory(organization=organization, name="Support")
    sales = TeamFactory(organization=organization, name="Sales")
    return {"agent": agent, "support": support, "sales": sales}


@pytest.fixture
def foreign(other_organization):
    """Things with the same names in another organization, which must behave as if they did not exist."""
    TagFactory(organization=other_organization, name="Secret")
    CustomFieldFactory(organization=other_organization, key="Secret field")
    outsider = UserFactory(username="outsider", email="outsider@globex.test")
    MembershipFactory(user=outsider, organization=other_organization)
    team = TeamFactory(organization=other_organization, name="Globex team")
    contact = ContactFactory(organization=other_organization, name="Foreign", phone="+447700900123")
    return {"outsider": outsider, "team": team, "contact": contact}


def post(client, body, path=URL):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def patch(client, contact, body):
    return client.patch(f"{URL}/{contact.uuid.hex}", data=json.dumps(body), content_type="application/json")


# --- POST /v1/contacts ---------------------------------------------------------------------------------------------


def test_create_reproduces_the_contract_example(client, account):
    response = post(client, fixture("post_contacts_request.json"))

    assert response.status_code == 200
    example = fixture("post_contacts_response.json")["contact"][0]
    contact = Contact.objects.get()
    assert response.json() == {
        "contact": [
            {
                **example,
                "uuid": contact.uuid.hex,
                "createdAt": TIMESTAMP,
                "href": f"http://testserver/admin/contacts/contact/{contact.pk}/change/",
                # The documented Contact object's other fields, null where this project has no such thing.
                "blockedAt": None,
                "funnelId": None,
                "closedAt": None,
                "conversationHref": None,
                "team": None,
                "channel": None,
                "botStatus": None,
                "note": None,
            }
        ]
    }
    assert (contact.name, contact.phone_e164, contact.source) == ("John Doe", "+123456789", "whatsapp")
    assert response.json()["contact"][0]["uuid"] == HEX_UUID


def test_create_with_the_contracts_parameter_examples(client, account):
    response = post(client, fixture("post_contacts_parameter_examples.json"))

    assert response.status_code == 200
    contact = Contact.objects.get()
    assert response.json() == {
        "contact": [
            contact_object(
                contact,
                name="John Doe",
                phoneNumber="123456789",
                source="whatsapp",
                tags=["Call back", "Interested"],
                customFields={"Billing Address": "Main Street 1"},
            )
        ]
    }
    assert sorted(contact.tags.values_list("name", flat=True)) == ["Call back", "Interested"]
    assert contact.custom_fields == {"Billing Address": "Main Street 1"}


def test_create_with_every_parameter(client, account):
    support = account["support"]
    body = {
        "identifier": "+44 7911 123456",
        "source": "whatsapp",
        "name": "Jane Roe",
        "tags": ["vip", "Lead"],
        "custom_fields": {
            "Billing Address": "Main Street 1",
            "birthday": "1990-02-03",
            "seats": "12",
            "plan": "pro",
            "interests": ["sms", "whatsapp"],
        },
        "assigned_user": "AGENT@acme.test",
        "team_uuid": support.uuid.hex,
        "channel_uuid": "6f1b1f1e-2d3c-4b5a-9e8d-7c6b5a4f3e2d",
        "bot_status": "bot_end",
        "note": "Prefers mornings",
    }

    response = post(client, body)

    assert response.status_code == 200
    contact = Contact.objects.get()
    assert response.json() == {
        "contact": [
            contact_object(
                contact,
                name="Jane Roe",
                phoneNumber="447911123456",
                source="whatsapp",
                tags=["Lead", "VIP"],
                assignedUser="agent@acme.test",
                customFields={
                    "Billing Address": "Main Street 1",
                    "birthday": "1990-02-03",
                    "seats": "12",
                    "plan": "pro",
                    "interests": ["sms", "whatsapp"],
                },
                team={"uuid": support.uuid.hex, "name": "Support", "createdAt": TIMESTAMP},
                botStatus="bot_end",
                note="Prefers mornings",
            )
        ]
    }
    assert contact.assigned_user == account["agent"]
    assert contact.team == support
    assert (contact.bot_status, contact.note) == ("bot_end", "Prefers mornings")
    assert contact.custom_fields["seats"] == 12


def test_create_accepts_tags_as_a_comma_separated_string(client, account):
    response = post(
        client, {"identifier": "123456789", "source": "whatsapp", "name": "A", "tags": "call back, interested"}
    )

    assert response.status_code == 200
    assert response.json()["contact"][0]["tags"] == ["Call back", "Interested"]


def test_create_with_a_dashed_team_uuid(client, account):
    team = account["sales"]

    response = post(client, {"identifier": "123456789", "source": "whatsapp", "name": "A", "team_uuid": str(team.uuid)})

    assert response.status_code == 200
    assert Contact.objects.get().team == team


def test_create_within_the_query_budget(client, account, django_assert_max_num_queries):
    body = {
        "identifier": "123456789",
        "source": "whatsapp",
        "name": "John Doe",
        "tags": ["VIP", "Lead", "Call back"],
        "custom_fields": {"Billing Address": "Main Street 1", "birthday": "1990-02-03", "plan": "pro"},
    }

    # The change's event is one insert.
    with django_assert_max_num_queries(11):
        response = post(client, body)

    assert response.status_code == 200


# --- Unknown references: 422 naming them, nothing written ----------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "details"),
    [
        ({"tags": ["VIP", "Nope"]}, {"tags": "Unknown tag: Nope"}),
        ({"tags": ["Secret"]}, {"tags": "Unknown tag: Secret"}),
    ],
    ids=["missing", "other-organization"],
)
def test_create_with_an_unknown_tag_is_422(client, account, foreign, organization, extra, details):
    response = post(client, {"identifier": "123456789", "source": "whatsapp", "name": "A", **extra})

    assert response.status_code == 422
    assert response.json() == error("unknown_reference", next(iter(details.values())), details)
    assert not Contact.objects.filter(organization=organization).exists()


def test_create_with_an_unknown_custom_field_is_422(client, account, foreign, organization):
    body = {"identifier": "123456789", "source": "whatsapp", "name": "A", "custom_fields": {"Secret field": "x"}}

    response = post(client, body)

    assert response.status_code == 422
    assert response.json() == error(
        "unknown_reference",
        "Unknown custom field: Secret field",
        {"custom_fields": "Unknown custom field: Secret field"},
    )
    assert not Contact.objects.filter(organization=organization).exists()


@pytest.mark.parametrize("email", ["nobody@acme.test", "outsider@globex.test"], ids=["missing", "other-organization"])
def test_create_with_an_unknown_assigned_user_is_422(client, account, foreign, organization, email):
    response = post(client, {"identifier": "123456789", "source": "whatsapp", "name": "A", "assigned_user": email})

    assert response.status_code == 422
    assert response.json() == error(
        "unknown_reference", f"Unknown user: {email}", {"assigned_user": f"Unknown user: {email}"}
    )
    assert not Contact.objects.filter(organization=organization).exists()


@pytest.mark.parametrize("which", ["missing", "other-organization", "not-a-uuid"])
def test_create_with_an_unknown_team_is_422(client, account, foreign, organization, which):
    team_uuid = {
        "missing": "00000000000000000000000000000000",
        "other-organization": foreign["team"].uuid.hex,
        "not-a-uuid": "support",
    }[which]

    response = post(client, {"identifier": "123456789", "source": "whatsapp", "name": "A", "team_uuid": team_uuid})

    assert response.status_code == 422
    message = f"Unknown team: {team_uuid}"
    assert response.json() == error("unknown_reference", message, {"team_uuid": message})
    assert not Contact.objects.filter(organization=organization).exists()


# --- Validation: 400 naming the parameter, nothing written ---------------------------------------------------------


@pytest.mark.parametrize(
    ("custom_fields", "details"),
    [
        ({"plan": "gold"}, {"custom_fields.plan": "plan must be one of: free, pro"}),
        ({"interests": "sms"}, {"custom_fields.interests": "interests must be a list of strings"}),
        ({"interests": ["fax"]}, {"custom_fields.interests": "interests has unknown options: fax"}),
        ({"seats": "many"}, {"custom_fields.seats": "seats must be a number"}),
        ({"birthday": "03/02/1990"}, {"custom_fields.birthday": "birthday must be a date in YYYY-MM-DD format"}),
    ],
    ids=["dropdown-not-an-option", "checkbox-not-a-list", "checkbox-unknown-option", "number", "date"],
)
def test_create_with_a_custom_field_value_of_the_wrong_type_is_400(
    client, account, organization, custom_fields, details
):
    body = {"identifier": "123456789", "source": "whatsapp", "name": "A", "custom_fields": custom_fields}

    response = post(client, body)

    assert response.status_code == 400
    assert response.json() == error("validation_error", next(iter(details.values())), details)
    assert not Contact.objects.filter(organization=organization).exists()


def test_create_without_the_required_parameters_is_400(client, account, organization):
    response = post(client, {})

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error",
        "identifier is required",
        {"identifier": "identifier is required", "source": "source is required", "name": "name is required"},
    )
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("extra", "details"),
    [
        ({"identifier": "not a phone"}, {"identifier": "'not a phone' is not a phone number"}),
        ({"identifier": "12"}, {"identifier": "'12' is not a valid phone number"}),
        (
            {"source": "pigeon"},
            {
                "source": "Unknown source 'pigeon'; expected one of whatsapp, sms, email, facebook, instagram, "
                "telegram, line, push, api, import, manual"
            },
        ),
        ({"name": ""}, {"name": "name must not be blank"}),
        ({"name": {"first": "A"}}, {"name": "name must be a string"}),
        ({"tags": [1, 2]}, {"tags": "tags must be a list of tag names"}),
        ({"custom_fields": ["a"]}, {"custom_fields": "custom_fields must be an object"}),
        ({"bot_status": "paused"}, {"bot_status": "bot_status must be bot_start or bot_end"}),
        ({"note": "x" * 1001}, {"note": "note must be at most 1000 characters"}),
        ({"channel_uuid": "main"}, {"channel_uuid": "channel_uuid must be a UUID"}),
        ({"email": "a@b.test"}, {"email": "Unknown parameter email"}),
        ({"tags": ["a\x00b"]}, {"tags": "tags must not contain NUL characters or unpaired surrogates"}),
        (
            {"custom_fields": {"Billing Address": "a\x00b"}},
            {"custom_fields": "custom_fields must not contain NUL characters or unpaired surrogates"},
        ),
        (
            {"custom_fields": {"a\x00b": "x"}},
            {"custom_fields": "custom_fields must not contain NUL characters or unpaired surrogates"},
        ),
        ({"note": "a\x00b"}, {"note": "note must not contain NUL characters or unpaired surrogates"}),
    ],
    ids=[
        "identifier-letters",
        "identifier-too-short",
        "source",
        "blank-name",
        "name-not-a-string",
        "tags-not-strings",
        "custom-fields-not-an-object",
        "bot-status",
        "note-too-long",
        "channel-uuid",
        "unknown-parameter",
        "nul-in-tags",
        "nul-in-custom-field-value",
        "nul-in-custom-field-name",
        "nul-in-note",
    ],
)
def test_create_with_an_invalid_parameter_is_400(client, account, organization, extra, details):
    body = {"identifier": "123456789", "source": "whatsapp", "name": "A", **extra}

    response = post(client, body)

    assert response.status_code == 400
    assert response.json() == error("validation_error", next(iter(details.values())), details)
    assert not Contact.objects.filter(organization=organization).exists()


def test_create_with_a_taken_identifier_is_409(client, account, organization):
    existing = ContactFactory(organization=organization, name="First", phone="+123456789")

    response = post(client, {"identifier": "+1 234-567-89", "source": "whatsapp", "name": "Second"})

    assert response.status_code == 409
    assert response.json() == error(
        "conflict",
        "A contact with this identifier already exists",
        {"identifier": "A contact with this identifier already exists"},
    )
    assert list(Contact.objects.filter(organization=organization)) == [existing]


def test_the_same_identifier_in_another_organization_is_not_a_conflict(client, account, foreign):
    response = post(client, {"identifier": "+447700900123", "source": "whatsapp", "name": "Mine"})

    assert response.status_code == 200
    assert Contact.objects.filter(phone="+447700900123").count() == 2


# --- Request-level errors -------------------------------------------------------------------------------------------


def test_malformed_json_is_400(client, organization):
    response = client.post(URL, data='{"name": ', content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body == error("invalid_json", Matches(r"Malformed request body: JSON parse error - .+"))
    assert not Contact.objects.exists()


def test_a_body_that_is_not_an_object_is_400(client, organization):
    response = post(client, [{"name": "A"}])

    assert response.status_code == 400
    assert response.json() == error("validation_error", "The request body must be a JSON object")


def test_form_data_is_415(client, organization):
    response = client.post(URL, data="name=A", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json() == error(
        "unsupported_media_type", 'Unsupported media type "application/x-www-form-urlencoded" in request.'
    )
    assert not Contact.objects.exists()


def test_a_method_callbell_does_not_document_is_405(client, organization):
    response = client.put(URL, data="{}", content_type="application/json")

    assert response.status_code == 405
    assert response.json() == error("method_not_allowed", 'Method "PUT" not allowed.')


def test_options_is_405_too(client, organization):
    response = client.options(URL)

    assert response.status_code == 405
    assert response.json() == error("method_not_allowed", 'Method "OPTIONS" not allowed.')


@pytest.mark.parametrize("path", ["/callbell/", "/callbell/v1/nothing", "/callbell/v2/contacts", f"{URL}/a/b/c"])
def test_unknown_paths_are_404(api_client, organization, path):
    response = api_client.post(path, data="{}", content_type="application/json")

    assert response.status_code == 404
    assert response.json() == error("not_found", "Not found")


def test_missing_credentials_are_401(api_client, organization):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json() == error("unauthorized", "Authentication required")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_wrong_key_is_401(api_client, api_key):
    secret = api_key[1]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret[:-4]}xxxx")

    response = post(api_client, fixture("post_contacts_request.json"))

    assert response.status_code == 401
    assert response.json() == error("unauthorized", "Invalid, expired or revoked API key")
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("method", "scope"),
    [
        ("post", "contacts:create"),
        ("get", "contacts:read"),
        ("patch", "contacts:update"),
        ("delete", "contacts:delete"),
    ],
)
def test_a_key_without_the_scope_is_403(api_client, organization, method, scope):
    contact = ContactFactory(organization=organization, name="Kept")
    others = [s.value for s in Scope if s.value != scope]
    _, secret = make_api_key(organization, scopes=others)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = URL if method == "post" else f"{URL}/{contact.uuid.hex}"

    if method == "get":
        response = api_client.get(url)
    else:
        response = getattr(api_client, method)(
            url, data=json.dumps({"name": "Changed"}), content_type="application/json"
        )

    assert response.status_code == 403
    assert response.json() == error("forbidden", f"Missing permission {scope}")
    assert list(Contact.objects.values_list("name", flat=True)) == ["Kept"]


def test_too_many_requests_are_429_with_retry_after(client, organization, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "callbell": "2/min"},
    }

    statuses = [client.get(URL).status_code for _ in range(2)]
    response = post(client, fixture("post_contacts_request.json"))

    assert statuses == [200, 200]
    assert response.status_code == 429
    assert response.json() == error("rate_limited", "Too many requests")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert not Contact.objects.exists()


def test_an_unexpected_failure_is_500_and_writes_nothing(client, account, monkeypatch):
    from contacts.api.dialects.callbell import views

    real_create = views.create_contact

    def failing_create(**kwargs):
        real_create(**kwargs)
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "create_contact", failing_create)

    response = post(client, fixture("post_contacts_request.json"))

    assert response.status_code == 500
    assert response.json() == error("internal_error", "Internal server error")
    assert not Contact.objects.exists()


# --- GET /v1/contacts/{uuid} and /v1/contacts/phone/{number} -------------------------------------------------------


@pytest.fixture
def john(organization, account):
    contact = ContactFactory(
        organization=organization,
        name="John Doe",
        phone="+123456789",
        source="whatsapp",
        assigned_user=account["agent"],
        team=account["support"],
        custom_fields={"plan": "pro", "Billing Address": "Main Street 1", "interests": ["sms"]},
        custom_field_order=["plan", "Billing Address", "interests"],
        avatar_url="https://cdn.example.com/john.png",
        note="VIP customer",
    )
    contact.tags.set(organization.tags.filter(name__in=["VIP", "Lead"]))
    return contact


def john_object(john: Contact, account, **fields) -> dict:
    return contact_object(
        john,
        **{
            "name": "John Doe",
            "phoneNumber": "123456789",
            "avatarUrl": "https://cdn.example.com/john.png",
            "source": "whatsapp",
            "tags": ["Lead", "VIP"],
            "assignedUser": "agent@acme.test",
            "customFields": {"plan": "pro", "Billing Address": "Main Street 1", "interests": ["sms"]},
            "team": {"uuid": account["support"].uuid.hex, "name": "Support", "createdAt": TIMESTAMP},
            "note": "VIP customer",
            **fields,
        },
    )


@pytest.mark.parametrize("form", ["hex", "dashed"])
def test_get_by_uuid_returns_an_array_of_one(client, john, account, form):
    identifier = john.uuid.hex if form == "hex" else str(john.uuid)

    response = client.get(f"{URL}/{identifier}")

    assert response.status_code == 200
    assert response.json() == {"contact": [john_object(john, account)]}


def test_get_renders_an_uploaded_avatar_as_an_absolute_url(client, organization):
    contact = ContactFactory(organization=organization, avatar="avatars/1/face.png")

    response = client.get(f"{URL}/{contact.uuid.hex}")

    assert response.json()["contact"][0]["avatarUrl"] == "http://testserver/media/avatars/1/face.png"


@pytest.mark.parametrize("which", ["missing", "other-organization", "not-a-uuid"])
def test_get_an_unknown_uuid_is_404(client, organization, foreign, which):
    identifier = {
        "missing": "414a6d692bd645ed803f2e7ce360d4c8",
        "other-organization": foreign["contact"].uuid.hex,
        "not-a-uuid": "john",
    }[which]

    response = client.get(f"{URL}/{identifier}")

    assert response.status_code == 404
    assert response.json() == error("not_found", "Contact not found")


@pytest.mark.parametrize("number", ["123456789", "+123456789", "%2B123456789", "00123456789"])
def test_get_by_phone_returns_the_contact_itself(client, john, account, number):
    response = client.get(f"{URL}/phone/{number}")

    assert response.status_code == 200
    assert response.json() == {"contact": john_object(john, account)}


def test_get_by_phone_accepts_a_channel_uuid(client, john, account):
    response = client.get(f"{URL}/phone/123456789?channel_uuid=6f1b1f1e2d3c4b5a9e8d7c6b5a4f3e2d")

    assert response.status_code == 200
    assert response.json() == {"contact": john_object(john, account)}


def test_get_by_phone_with_a_bad_channel_uuid_is_400(client, john):
    response = client.get(f"{URL}/phone/123456789?channel_uuid=main")

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error", "channel_uuid must be a UUID", {"channel_uuid": "channel_uuid must be a UUID"}
    )


@pytest.mark.parametrize("number", ["987654321", "447700900123"], ids=["missing", "other-organization"])
def test_get_by_an_unknown_phone_is_404(client, john, foreign, number):
    response = client.get(f"{URL}/phone/{number}")

    assert response.status_code == 404
    assert response.json() == error("not_found", "Contact not found")


def test_get_by_a_malformed_phone_is_400(client, john):
    response = client.get(f"{URL}/phone/abc")

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error", "'abc' is not a phone number", {"number": "'abc' is not a phone number"}
    )


def test_get_one_contact_within_the_query_budget(client, john, django_assert_max_num_queries):
    client.get(f"{URL}/{john.uuid.hex}")  # the key's last_used_at is written once a minute, not per request

    with django_assert_max_num_queries(5):
        response = client.get(f"{URL}/{john.uuid.hex}")

    assert response.status_code == 200


# --- PATCH /v1/contacts/{uuid} ---------------------------------------------------------------------------------------


def test_patch_reproduces_the_contract_example(client, john, account):
    response = patch(client, john, fixture("patch_contacts_request.json"))

    assert response.status_code == 200
    assert response.json() == {"contact": [john_object(john, account, name="Joe Doe NEW")]}
    john.refresh_from_db()
    assert john.name == "Joe Doe NEW"


def test_patch_every_parameter(client, john, account):
    sales = account["sales"]
    body = {
        "tags": ["interested"],
        "custom_fields": {"plan": "free", "birthday": "1990-02-03"},
        "name": "John Q. Doe",
        "team_uuid": sales.uuid.hex,
        "bot_status": "bot_start",
        "note": "Call after 5pm",
    }

    response = patch(client, john, body)

    assert response.status_code == 200
    assert response.json() == {
        "contact": [
            john_object(
                john,
                account,
                name="John Q. Doe",
                tags=["Interested"],
                # Given custom fields are merged into the current ones, in the order they were first given.
                customFields={
                    "plan": "free",
                    "Billing Address": "Main Street 1",
                    "interests": ["sms"],
                    "birthday": "1990-02-03",
                },
                team={"uuid": sales.uuid.hex, "name": "Sales", "createdAt": TIMESTAMP},
                botStatus="bot_start",
                note="Call after 5pm",
            )
        ]
    }
    john.refresh_from_db()
    assert list(john.tags.values_list("name", flat=True)) == ["Interested"]
    assert (john.team, john.bot_status, john.note) == (sales, "bot_start", "Call after 5pm")


def test_patch_assigns_a_user_by_email(client, john, account, organization):
    colleague = UserFactory(username="colleague", email="colleague@acme.test")
    MembershipFactory(user=colleague, organization=organization)

    response = patch(client, john, {"assigned_user": "colleague@acme.test"})

    assert response.status_code == 200
    assert response.json() == {"contact": [john_object(john, account, assignedUser="colleague@acme.test")]}
    john.refresh_from_db()
    assert john.assigned_user == colleague


def test_patch_unassign_user(client, john, account):
    response = patch(client, john, {"unassign_user": True})

    assert response.status_code == 200
    assert response.json() == {"contact": [john_object(john, account, assignedUser=None)]}
    john.refresh_from_db()
    assert john.assigned_user is None


def test_patch_unassign_user_and_assigned_user_together_is_400(client, john, account):
    response = patch(client, john, {"unassign_user": True, "assigned_user": "agent@acme.test"})

    assert response.status_code == 400
    message = "Give either assigned_user or unassign_user, not both"
    assert response.json() == error("validation_error", message, {"unassign_user": message})


def test_patch_team_uuid_null_removes_the_team(client, john, account):
    response = patch(client, john, {"team_uuid": None})

    assert response.status_code == 200
    assert response.json() == {"contact": [john_object(john, account, team=None)]}
    john.refresh_from_db()
    assert john.team is None


def test_patch_empty_tags_removes_them(client, john, account):
    response = patch(client, john, {"tags": []})

    assert response.status_code == 200
    assert response.json()["contact"][0]["tags"] == []
    assert not john.tags.exists()


def test_patch_custom_field_null_clears_it(client, john, account):
    response = patch(client, john, {"custom_fields": {"plan": None}})

    assert response.status_code == 200
    assert response.json()["contact"][0]["customFields"] == {"Billing Address": "Main Street 1", "interests": ["sms"]}


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (
            {"name": "Changed", "tags": ["VIP", "Nope"]},
            422,
            error("unknown_reference", "Unknown tag: Nope", {"tags": "Unknown tag: Nope"}),
        ),
        (
            {"name": "Changed", "custom_fields": {"Nope": "x"}},
            422,
            error("unknown_reference", "Unknown custom field: Nope", {"custom_fields": "Unknown custom field: Nope"}),
        ),
        (
            {"name": "Changed", "assigned_user": "outsider@globex.test"},
            422,
            error(
                "unknown_reference",
                "Unknown user: outsider@globex.test",
                {"assigned_user": "Unknown user: outsider@globex.test"},
            ),
        ),
        (
            {"name": "Changed", "team_uuid": "00000000-0000-0000-0000-000000000000"},
            422,
            error(
                "unknown_reference",
                "Unknown team: 00000000-0000-0000-0000-000000000000",
                {"team_uuid": "Unknown team: 00000000-0000-0000-0000-000000000000"},
            ),
        ),
        (
            {"name": "Changed", "custom_fields": {"plan": "gold"}},
            400,
            error(
                "validation_error",
                "plan must be one of: free, pro",
                {"custom_fields.plan": "plan must be one of: free, pro"},
            ),
        ),
        (
            {"name": "Changed", "bot_status": "on"},
            400,
            error(
                "validation_error",
                "bot_status must be bot_start or bot_end",
                {"bot_status": "bot_status must be bot_start or bot_end"},
            ),
        ),
        (
            {"name": "Changed", "note": "x" * 1001},
            400,
            error(
                "validation_error",
                "note must be at most 1000 characters",
                {"note": "note must be at most 1000 characters"},
            ),
        ),
        (
            {"name": "Changed", "unassign_user": "maybe"},
            400,
            error(
                "validation_error",
                "unassign_user must be a boolean",
                {"unassign_user": "unassign_user must be a boolean"},
            ),
        ),
        (
            {"name": "Changed", "identifier": "987654321"},
            400,
            error("validation_error", "identifier cannot be changed", {"identifier": "identifier cannot be changed"}),
        ),
    ],
    ids=[
        "unknown-tag",
        "unknown-custom-field",
        "user-of-another-organization",
        "unknown-team",
        "dropdown-not-an-option",
        "bot-status",
        "note-too-long",
        "unassign-user-not-boolean",
        "identifier",
    ],
)
def test_a_rejected_patch_changes_nothing(client, john, account, foreign, body, status, expected):
    before = (john.name, list(john.tags.order_by("name")), john.custom_fields, john.assigned_user, john.team)

    response = patch(client, john, body)

    assert response.status_code == status
    assert response.json() == expected
    john.refresh_from_db()
    assert (john.name, list(john.tags.order_by("name")), john.custom_fields, john.assigned_user, john.team) == before


def test_patch_a_contact_of_another_organization_is_404(client, foreign):
    response = patch(client, foreign["contact"], {"name": "Mine now"})

    assert response.status_code == 404
    assert response.json() == error("not_found", "Contact not found")
    foreign["contact"].refresh_from_db()
    assert foreign["contact"].name == "Foreign"


# --- DELETE /v1/contacts/{uuid} --------------------------------------------------------------------------------------


def test_delete(client, john):
    response = client.delete(f"{URL}/{john.uuid.hex}")

    assert response.status_code == 200
    assert response.json() == {"status": "contact was destroyed"}
    assert not Contact.objects.filter(pk=john.pk).exists()

    again = client.delete(f"{URL}/{john.uuid.hex}")
    assert again.status_code == 404
    assert again.json() == error("not_found", "Contact not found")


def test_delete_a_contact_of_another_organization_is_404(client, foreign):
    response = client.delete(f"{URL}/{foreign['contact'].uuid}")

    assert response.status_code == 404
    assert response.json() == error("not_found", "Contact not found")
    assert Contact.objects.filter(pk=foreign["contact"].pk).exists()


# --- GET /v1/contacts ------------------------------------------------------------------------------------------------


def make_contacts(organization, count: int, **fields) -> list[Contact]:
    """`count` contacts, newest first (the list's order)."""
    contacts = [ContactFactory(organization=organization, **fields) for _ in range(count)]
    return sorted(contacts, key=lambda c: (c.created_at, c.pk), reverse=True)


def test_list_renders_every_contact_in_the_envelope(client, john, account, foreign):
    response = client.get(URL)

    assert response.status_code == 200
    assert response.json() == {"contacts": [john_object(john, account)]}


def test_list_pages_hold_25_contacts_in_a_stable_order(client, organization):
    contacts = make_contacts(organization, 30)
    expected = [c.uuid.hex for c in contacts]

    pages = [client.get(URL, {"page": page}).json()["contacts"] for page in (1, 2, 3)]
    first_without_page = client.get(URL).json()["contacts"]

    assert [len(page) for page in pages] == [25, 5, 0]
    assert [c["uuid"] for c in pages[0] + pages[1]] == expected
    assert first_without_page == pages[0]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "1000000000", "\u00b2"])
def test_list_with_a_bad_page_is_400(client, organization, page):
    response = client.get(URL, {"page": page})

    assert response.status_code == 400
    message = "page must be an integer between 1 and 999999999"
    assert response.json() == error("validation_error", message, {"page": message})


def test_list_filters_combine(client, organization, account):
    vip, lead = organization.tags.get(name="VIP"), organization.tags.get(name="Lead")
    support, sales = account["support"], account["sales"]

    def contact(name, source, tags, team):
        c = ContactFactory(organization=organization, name=name, source=source, team=team)
        c.tags.set(tags)
        return c

    match = contact("match", "whatsapp", [vip, lead], support)
    contact("only-vip", "whatsapp", [vip], support)
    contact("wrong-source", "sms", [vip, lead], support)
    contact("wrong-team", "whatsapp", [vip, lead], sales)
    contact("no-team", "whatsapp", [vip, lead], None)

    def names(**params):
        response = client.get(URL, params)
        assert response.status_code == 200
        return sorted(c["name"] for c in response.json()["contacts"])

    assert names(source="whatsapp", tags="vip,LEAD", team_uuid=support.uuid.hex) == [match.name]
    assert names(tags="Vip") == ["match", "no-team", "only-vip", "wrong-source", "wrong-team"]
    assert names(tags="vip, lead") == ["match", "no-team", "wrong-source", "wrong-team"]
    assert names(source="SMS") == ["wrong-source"]
    assert names(team_uuid=str(sales.uuid)) == ["wrong-team"]
    assert names(tags="vip,nope") == []
    assert names(team_uuid="00000000000000000000000000000000") == []


@pytest.mark.parametrize(
    ("params", "details"),
    [
        (
            {"source": "pigeon"},
            {
                "source": "Unknown source 'pigeon'; expected one of whatsapp, sms, email, facebook, instagram, "
                "telegram, line, push, api, import, manual"
            },
        ),
        ({"team_uuid": "support"}, {"team_uuid": "team_uuid must be a UUID"}),
        ({"tags": "vip,a\x00b"}, {"tags": "tags must not contain NUL characters or unpaired surrogates"}),
        ({"tags": ",".join(f"t{i}" for i in range(51))}, {"tags": "tags accepts at most 50 tags"}),
    ],
    ids=["source", "team-uuid", "nul", "too-many-tags"],
)
def test_list_with_a_bad_filter_is_400(client, organization, params, details):
    response = client.get(URL, params)

    assert response.status_code == 400
    assert response.json() == error("validation_error", next(iter(details.values())), details)


def test_list_query_count_does_not_grow_with_the_page(client, organization, account):
    tags = list(organization.tags.all())
    for contact in make_contacts(organization, 30, assigned_user=account["agent"], team=account["support"]):
        contact.tags.set(tags[:2])
    client.get(URL)  # the key's last_used_at is written once a minute, not per request

    counts = {}
    for page, size in ((1, 25), (2, 5)):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"page": page})
        assert len(response.json()["contacts"]) == size
        counts[size] = len(queries)

    # A savepoint and its release (the request's transaction), the key, the page, its tags.
    assert counts[25] == counts[5] <= 5


def test_list_within_the_query_budget(client, organization, account, django_assert_max_num_queries):
    for contact in make_contacts(organization, 25, assigned_user=account["agent"], team=account["support"]):
        contact.tags.set(organization.tags.all())
    client.get(URL)

    with django_assert_max_num_queries(5):
        response = client.get(URL, {"tags": "vip", "source": "api", "team_uuid": account["support"].uuid.hex})

    assert len(response.json()["contacts"]) == 25


def test_an_accept_header_callbell_cannot_serve_is_406(client, organization):
    response = client.get(URL, HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert response.json() == error("not_acceptable", "Could not satisfy the request Accept header.")


def test_null_tags_are_400(client, account, organization):
    response = post(client, {"identifier": "123456789", "source": "whatsapp", "name": "A", "tags": None})

    assert response.status_code == 400
    assert response.json() == error("validation_error", "tags must not be null", {"tags": "tags must not be null"})
    assert not Contact.objects.filter(organization=organization).exists()


def test_a_trailing_slash_is_accepted(client, account):
    response = post(client, fixture("post_contacts_request.json"), path=f"{URL}/")

    assert response.status_code == 200
    assert Contact.objects.count() == 1


def test_patch_within_the_query_budget(client, john, account, django_assert_max_num_queries):
    client.get(f"{URL}/{john.uuid.hex}")  # the key's last_used_at is written once a minute, not per request
    body = {
        "name": "John Q. Doe",
        "tags": ["VIP", "Interested"],
        "custom_fields": {"plan": "free"},
        "assigned_user": "agent@acme.test",
        "team_uuid": account["sales"].uuid.hex,
    }

    # Most of these are the service's: the row lock, the membership check, replacing the tag set (read first, for
    # the event's before-value), the event.
    with django_assert_max_num_queries(21):
        response = patch(client, john, body)

    assert response.status_code == 200


def test_a_body_over_the_upload_limit_is_413(client, account, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = post(client, {"identifier": "123456789", "source": "whatsapp", "name": "A", "note": "x" * 2000})

    assert response.status_code == 413
    assert response.json() == error("payload_too_large", "The request body is too large")
    assert not Contact.objects.exists()
