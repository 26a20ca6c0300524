"""The Mobivate Bulk SMS dialect under /mobivate: contract examples, every error class, tenancy, query budgets."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.models import Contact, CustomField, CustomFieldType, Scope
from contacts.services import contacts as contact_services
from contacts.services.contacts import create_contact
from tests.dialects.base import Mobivate, pinned
from tests.factories import ContactFactory, CustomFieldFactory, make_api_key
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

BASE = Mobivate.mount

UUID = Matches(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
CREATED_ON = Matches(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
fixture = Mobivate.fixture
error = Mobivate.error
client = Mobivate.client_fixture()


def post_json(client, path: str, body) -> object:
    return client.post(BASE + path, data=json.dumps(body), content_type="application/json")


# --- create ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/addressbook/contacts", "/contacts"])
def test_contract_example_creates_the_documented_record(client, organization, path):
    response = post_json(client, path, fixture("create_contact_request.json"))

    expected = fixture("create_contact_response.json")
    expected["record"] = {
        "id": UUID,
        "alias": "john",
        "msisdn": "4479000000001",
        # A Choice (docs/dialects/mobivate.md): the record always carries meta, although create's example omits it.
        "meta": {"NAME": "John", "CITY": "London"},
        "created_on": CREATED_ON,
    }
    assert response.status_code == 200
    assert response.json() == expected
    assert response["Content-Type"] == "application/json"
    contact = Contact.objects.get(organization=organization)
    assert str(contact.uuid) == response.json()["record"]["id"]
    assert (contact.alias, contact.phone_e164, contact.source) == ("john", "+4479000000001", "api")
    assert contact.custom_fields == {"NAME": "John", "CITY": "London"}
    assert contact.custom_field_order == ["NAME", "CITY"]
    assert dict(CustomField.objects.filter(organization=organization).values_list("key", "field_type")) == {
        "NAME": CustomFieldType.TEXT,
        "CITY": CustomFieldType.TEXT,
    }


def test_created_on_is_utc_with_milliseconds(client, organization, monkeypatch):
    moment = dt.datetime(2025, 11, 10, 20, 15, 12, 345678, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)

    response = post_json(client, "/contacts", {"alias": "john", "msisdn": "4479000000001"})

    assert response.status_code == 200
    assert response.json()["record"]["created_on"] == "2025-11-10T20:15:12.345Z"


def test_create_without_meta_and_with_plus_and_integer_msisdn(client, organization):
    first = post_json(client, "/contacts", {"alias": "a", "msisdn": "+44 7900 000001"})
    second = post_json(client, "/contacts", {"alias": "b", "msisdn": 4479000000002, "meta": None})

    assert first.status_code == second.status_code == 200
    assert first.json() == {
        "success": True,
        "record": {"id": UUID, "alias": "a", "msisdn": "447900000001", "meta": {}, "created_on": CREATED_ON},
    }
    assert second.json()["record"]["msisdn"] == "4479000000002"
    assert sorted(contact.phone_e164 for contact in Contact.objects.all()) == ["+4479000000002", "+447900000001"]


def test_meta_scalars_are_stored_as_text(client, organization):
    body = {"alias": "j", "msisdn": "4479000000001", "meta": {"AGE": 30, "SCORE": 1.5, "VIP": True, "NOTE": None}}

    response = post_json(client, "/contacts", body)

    assert response.status_code == 200
    assert response.json()["record"]["meta"] == {"AGE": "30", "SCORE": "1.5", "VIP": "true"}
    assert Contact.objects.get().custom_fields == {"AGE": "30", "SCORE": "1.5", "VIP": "true"}


def test_create_reuses_existing_text_fields_within_query_budget(client, organization, django_assert_max_num_queries):
    CustomFieldFactory(organization=organization, key="NAME", field_type=CustomFieldType.TEXT)
    CustomFieldFactory(organization=organization, key="CITY", field_type=CustomFieldType.TEXT)

    # The change's event is one insert.
    with django_assert_max_num_queries(9):
        response = post_json(client, "/addressbook/contacts", fixture("create_contact_request.json"))

    assert response.status_code == 200
    assert CustomField.objects.filter(organization=organization).count() == 2


def test_first_use_of_meta_keys_costs_three_queries_each(client, organization, django_assert_max_num_queries):
    with django_assert_max_num_queries(8 + 3 * 2):
        response = post_json(client, "/addressbook/contacts", fixture("create_contact_request.json"))

    assert response.status_code == 200


# --- validation (400) -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"msisdn": "4479000000001"}, "Alias is required"),
        ({"alias": "  ", "msisdn": "4479000000001"}, "Alias is required"),
        ({"alias": None, "msisdn": "4479000000001"}, "Alias is required"),
        ({"alias": ["john"], "msisdn": "4479000000001"}, "Alias must be a string"),
        ({"alias": "j" * 256, "msisdn": "4479000000001"}, "Alias must be at most 255 characters"),
        ({"alias": "john"}, "Msisdn is required"),
        ({"alias": "john", "msisdn": ""}, "Msisdn is required"),
        ({"alias": "john", "msisdn": "hello"}, "Msisdn is invalid"),
        ({"alias": "john", "msisdn": "123"}, "Msisdn is invalid"),
        ({"alias": "john", "msisdn": 4.479e12}, "Msisdn is invalid"),
        ({"alias": "john", "msisdn": "4479000000001", "meta": ["NAME"]}, "Meta must be an object"),
        (
            {"alias": "john", "msisdn": "4479000000001", "meta": {"NAME": {"first": "John"}}},
            "Meta NAME must be a string, number or boolean",
        ),
        (
            {"alias": "john", "msisdn": "4479000000001", "meta": {"TAGS": ["a"]}},
            "Meta TAGS must be a string, number or boolean",
        ),
        ({"alias": "john", "msisdn": "4479000000001", "meta": {"": "x"}}, "Meta keys must be 1 to 100 characters"),
        (
            {"alias": "john", "msisdn": "4479000000001", "meta": {"NAME": "x" * 10_001}},
            "Meta NAME is longer than 10000 characters",
        ),
        ([{"alias": "john"}], "Request body must be a JSON object"),
        ({}, "Alias is required"),
    ],
)
def test_create_validation_errors(client, organization, body, message):
    response = post_json(client, "/addressbook/contacts", body)

    assert response.status_code == 400
    assert response.json() == error("ValidationError", 400, message)
    assert Contact.objects.count() == 0
    assert CustomField.objects.count() == 0


def test_missing_alias_gives_the_documented_error_body(client, organization):
    body = fixture("create_contact_request.json")
    del body["alias"]

    response = post_json(client, "/contacts", body)

    assert response.status_code == 400
    assert response.json() == fixture("validation_error_response.json")
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [b'{"alias": "john",', b'{"alias": "j\xff", "msisdn": "4479000000001"}', b'{"alias": NaN}'],
    ids=["truncated", "not-utf8", "nan"],
)
def test_malformed_json_is_a_validation_error(client, organization, raw):
    response = client.post(BASE + "/contacts", data=raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == error("ValidationError", 400, "Request body is not valid JSON")
    assert Contact.objects.count() == 0


def test_deeply_nested_json_is_a_validation_error_not_a_crash(client, organization):
    response = client.post(BASE + "/contacts", data="[" * 100_000 + "]" * 100_000, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == error("ValidationError", 400, "Request body is not valid JSON")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"alias": "john", "msisdn": "4479000000009"}, "Alias already exists"),
        ({"alias": "jane", "msisdn": "+44 790 000 00001"}, "Msisdn already exists"),
    ],
)
def test_duplicates_are_validation_errors_naming_the_field(client, organization, body, message):
    create_contact(organization=organization, alias="john", phone="4479000000001")

    response = post_json(client, "/contacts", body)

    assert response.status_code == 400
    assert response.json() == error("ValidationError", 400, message)
    assert Contact.objects.count() == 1


def test_the_same_alias_and_msisdn_in_another_organization_are_free(client, organization, other_organization):
    create_contact(organization=other_organization, alias="john", phone="4479000000001")

    response = post_json(client, "/contacts", fixture("create_contact_request.json"))

    assert response.status_code == 200
    assert Contact.objects.filter(organization=organization).count() == 1


def test_meta_key_defined_with_another_type_is_a_validation_error(client, organization):
    CustomFieldFactory(organization=organization, key="birthday", field_type=CustomFieldType.DATE)

    response = post_json(client, "/contacts", {"alias": "j", "msisdn": "4479000000001", "meta": {"birthday": "x"}})

    assert response.status_code == 400
    assert response.json() == error(
        "ValidationError", 400, "Custom field birthday is already defined as date, not text"
    )
    assert Contact.objects.count() == 0


# --- authentication (401) and permissions (403) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "message", "challenge"),
    [
        (None, "Authentication required", 'Bearer realm="api"'),
        ("Basic dXNlcjpwYXNz", "Authentication required", 'Bearer realm="api"'),
        (
            "Bearer crm_nonexistent0000000000000000000000",
            "Invalid, expired or revoked API key",
            'Bearer realm="api", error="invalid_token"',
        ),
        (
            "Bearer",
            "Invalid Authorization header: expected 'Bearer <token>'",
            'Bearer realm="api", error="invalid_request"',
        ),
    ],
)
def test_missing_or_invalid_key_is_unauthorized(api_client, organization, header, message, challenge):
    if header:
        api_client.credentials(HTTP_AUTHORIZATION=header)

    response = post_json(api_client, "/contacts", fixture("create_contact_request.json"))

    assert response.status_code == 401
    assert response.json() == error("UnauthorizedError", 401, message)
    assert response["WWW-Authenticate"] == challenge
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_revoked_or_expired_key_is_unauthorized(api_client, organization, state):
    key, secret = make_api_key(organization)
    if state == "revoked":
        key.revoked_at = timezone.now()
    else:
        key.expires_at = timezone.now() - dt.timedelta(seconds=1)
    key.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    response = api_client.get(BASE + "/addressbook/contacts")

    assert response.status_code == 401
    assert response.json() == error("UnauthorizedError", 401, "Invalid, expired or revoked API key")


@pytest.mark.parametrize(
    ("method", "path", "body", "needed"),
    [
        ("post", "/addressbook/contacts", {"alias": "j", "msisdn": "4479000000001"}, "create:Contacts"),
        ("post", "/contacts", {"alias": "j", "msisdn": "4479000000001"}, "create:Contacts"),
        ("get", "/addressbook/contacts", None, "read:Contacts"),
        ("post", "/addressbook/contacts/{uuid}", {"alias": "changed"}, "update:Contacts"),
        ("delete", "/addressbook/contacts/4479000000009", None, "delete:Contacts"),
    ],
)
def test_missing_permission_is_forbidden_naming_it(api_client, organization, method, path, body, needed):
    existing = create_contact(organization=organization, alias="kept", phone="4479000000009")
    others = [scope.value for scope in Scope if scope.label != needed]
    _, secret = make_api_key(organization, scopes=others)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    url = BASE + path.format(uuid=existing.uuid)
    if body is None:
        response = getattr(api_client, method)(url)
    else:
        response = getattr(api_client, method)(url, data=json.dumps(body), content_type="application/json")

    assert response.status_code == 403
    assert response.json() == error("ForbiddenError", 403, f"Your API key does not have the {needed} permission")
    assert list(Contact.objects.values_list("alias", flat=True)) == ["kept"]


def test_head_of_the_list_needs_read_permission(api_client, organization):
    _, secret = make_api_key(organization, scopes=[Scope.CONTACTS_CREATE])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert api_client.head(BASE + "/addressbook/contacts").status_code == 403


# --- 404, 405, 413, 415, 429, 500 -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/addressbook", "/v1/contacts", "/addressbook/contacts/x/y"])
def test_unknown_path_is_not_found(client, path):
    response = client.get(BASE + path)

    assert response.status_code == 404
    assert response.json() == error("NotFoundError", 404, "Not found")


def test_unknown_path_is_not_found_without_a_key(api_client):
    response = api_client.post(BASE + "/nowhere", data="{}", content_type="application/json")

    assert response.status_code == 404
    assert response.json() == error("NotFoundError", 404, "Not found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/addressbook/contacts", "GET, POST, HEAD"),
        ("patch", "/addressbook/contacts", "GET, POST, HEAD"),
        ("get", "/contacts", "POST"),
        ("get", "/addressbook/contacts/4479000000001", "POST, DELETE"),
        ("options", "/addressbook/contacts", "GET, POST, HEAD"),
    ],
)
def test_wrong_method_is_method_not_allowed(client, organization, method, path, allowed):
    if method == "get":
        response = client.get(BASE + path)
    else:
        response = getattr(client, method)(BASE + path, data="{}", content_type="application/json")

    assert response.status_code == 405
    assert response.json() == error("MethodNotAllowedError", 405, f'Method "{method.upper()}" not allowed.')
    assert response["Allow"] == allowed
    assert Contact.objects.count() == 0


def test_form_body_is_unsupported_media_type(client, organization):
    response = client.post(BASE + "/contacts", data="alias=john&msisdn=4479000000001", content_type="text/plain")

    assert response.status_code == 415
    assert response.json() == error("UnsupportedMediaTypeError", 415, 'Unsupported media type "text/plain" in request.')
    assert Contact.objects.count() == 0


def test_body_over_the_upload_limit_is_payload_too_large(client, organization, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = {"alias": "john", "msisdn": "4479000000001", "meta": {"NOTE": "x" * 2000}}

    response = post_json(client, "/contacts", body)

    assert response.status_code == 413
    assert response.json() == error("PayloadTooLargeError", 413, "The request body is too large")
    assert Contact.objects.count() == 0


def test_any_accept_header_still_gets_json(client, organization):
    response = client.get(BASE + "/addressbook/contacts", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_throttled_requests_get_too_many_requests_with_retry_after(client, organization, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "mobivate": "2/min"},
    }
    assert client.get(BASE + "/addressbook/contacts").status_code == 200
    assert client.get(BASE + "/addressbook/contacts").status_code == 200

    response = post_json(client, "/contacts", fixture("create_contact_request.json"))

    assert response.status_code == 429
    assert response.json() == error("TooManyRequestsError", 429, Matches(r"Too many requests, retry after \d+ seconds"))
    assert 1 <= int(response["Retry-After"]) <= 60
    assert Contact.objects.count() == 0


def test_unexpected_exception_is_a_generic_internal_error_and_writes_nothing(client, organization, monkeypatch):
    real_create = contact_services.create_contact

    def create_then_fail(**kwargs):
        real_create(**kwargs)
        raise RuntimeError("database on fire: secret detail")

    monkeypatch.setattr(contact_services, "create_contact", create_then_fail)

    response = post_json(client, "/contacts", fixture("create_contact_request.json"))

    assert response.status_code == 500
    assert response.json() == error("InternalServerError", 500, "Internal server error")
    assert Contact.objects.count() == 0
    assert CustomField.objects.count() == 0


# --- list -----------------------------------------------------------------------------------------------------


@pytest.fixture
def three_contacts(organization):
    """Created a minute apart in the order b, c, a (so a is the newest); alias and msisdn both sort a, b, c."""
    return [
        pinned(
            create_contact(organization=organization, alias=alias, phone=phone),
            uuid=f"{alias * 8}-0000-4000-8000-00000000000{alias}",
            created_at=f"2025-11-10T20:{15 + minutes}:12.345678+00:00",
        )
        for minutes, alias, phone in [(0, "b", "4479000000002"), (1, "c", "4479000000003"), (2, "a", "4479000000001")]
    ]


def test_list_contract_example(client, organization, other_organization, three_contacts):
    create_contact(organization=other_organization, alias="hidden", phone="4479000000004")
    example = fixture("list_contacts_request.json")

    response = client.get(BASE + example["path"], example["query"])

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "records": [
            {
                "id": "aaaaaaaa-0000-4000-8000-00000000000a",
                "alias": "a",
                "msisdn": "4479000000001",
                "meta": {},
                "created_on": "2025-11-10T20:17:12.345Z",
            },
            {
                "id": "cccccccc-0000-4000-8000-00000000000c",
                "alias": "c",
                "msisdn": "4479000000003",
                "meta": {},
                "created_on": "2025-11-10T20:16:12.345Z",
            },
            {
                "id": "bbbbbbbb-0000-4000-8000-00000000000b",
                "alias": "b",
                "msisdn": "4479000000002",
                "meta": {},
                "created_on": "2025-11-10T20:15:12.345Z",
            },
        ],
        "offset": 0,
        "limit": 10,
        "total": 3,
    }


def test_list_renders_meta_in_the_order_given(client, organization):
    create_contact(
        organization=organization,
        alias="john",
        phone="4479000000001",
        custom_fields={"NAME": "John", "CITY": "London", "AGE": "30"},
        custom_field_types={"NAME": "text", "CITY": "text", "AGE": "text"},
    )

    response = client.get(BASE + "/addressbook/contacts")

    assert response.status_code == 200
    assert list(response.json()["records"][0]["meta"].items()) == [("NAME", "John"), ("CITY", "London"), ("AGE", "30")]


@pytest.mark.parametrize(
    ("query", "aliases"),
    [
        ({}, ["a", "c", "b"]),
        ({"sortField": "created_on", "sortDir": "ASC"}, ["b", "c", "a"]),
        ({"sortField": "alias", "sortDir": "ASC"}, ["a", "b", "c"]),
        ({"sortField": "alias", "sortDir": "desc"}, ["c", "b", "a"]),
        ({"sortField": "msisdn", "sortDir": "ASC"}, ["a", "b", "c"]),
        ({"sortField": "msisdn", "sortDir": "DESC", "offset": "1", "limit": "1"}, ["b"]),
        ({"offset": "3"}, []),
        ({"offset": "1", "limit": "100"}, ["c", "b"]),
    ],
)
def test_list_sorts_and_pages(client, three_contacts, query, aliases):
    response = client.get(BASE + "/addressbook/contacts", query)

    assert response.status_code == 200
    body = response.json()
    assert [record["alias"] for record in body["records"]] == aliases
    assert (body["offset"], body["limit"], body["total"]) == (
        int(query.get("offset", 0)),
        int(query.get("limit", 10)),
        3,
    )


def test_list_shows_contacts_without_alias_or_phone_last(client, organization, three_contacts):
    bare = ContactFactory(organization=organization, phone=None)
    pinned(bare, uuid="dddddddd-0000-4000-8000-00000000000d", created_at="2025-11-10T20:18:12+00:00")

    response = client.get(BASE + "/addressbook/contacts", {"sortField": "alias", "sortDir": "DESC"})

    records = response.json()["records"]
    assert [record["alias"] for record in records] == ["c", "b", "a", None]
    assert records[-1] == {
        "id": "dddddddd-0000-4000-8000-00000000000d",
        "alias": None,
        "msisdn": None,
        "meta": {},
        "created_on": "2025-11-10T20:18:12.000Z",
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"sortField": "name"}, "sortField must be one of created_on, alias, msisdn"),
        ({"sortDir": "UP"}, "sortDir must be ASC or DESC"),
        ({"offset": "-1"}, "offset must be an integer between 0 and 1000000000"),
        ({"offset": "ten"}, "offset must be an integer between 0 and 1000000000"),
        ({"offset": "9" * 40}, "offset must be an integer between 0 and 1000000000"),
        ({"limit": "0"}, "limit must be an integer between 1 and 100"),
        ({"limit": "101"}, "limit must be an integer between 1 and 100"),
        ({"limit": "1.5"}, "limit must be an integer between 1 and 100"),
    ],
)
def test_list_rejects_bad_parameters(client, organization, query, message):
    response = client.get(BASE + "/addressbook/contacts", query)

    assert response.status_code == 400
    assert response.json() == error("ValidationError", 400, message)


def test_list_query_count_does_not_grow_with_page_size(client, organization):
    for index in range(30):
        create_contact(
            organization=organization,
            alias=f"alias-{index}",
            phone=f"44790000{index:05d}",
            custom_fields={"NAME": f"N{index}"},
            custom_field_types={"NAME": "text"},
        )
    client.get(BASE + "/addressbook/contacts")  # the key's last-use write happens once a minute: get it done

    counts = []
    for limit in (2, 30):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(BASE + "/addressbook/contacts", {"limit": limit})
        assert len(response.json()["records"]) == limit
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert counts[1] <= 6


# --- update ---------------------------------------------------------------------------------------------------


JOHN_ID = "3392287d-7a79-4789-9ef8-7dc174836601"
JOHN = {
    "id": JOHN_ID,
    "alias": "john",
    "msisdn": "4479000000001",
    "meta": {"NAME": "John", "CITY": "London"},
    "created_on": "2025-11-10T20:15:12.000Z",
}


@pytest.fixture
def john(organization):
    contact = create_contact(
        organization=organization,
        alias="john",
        phone="4479000000001",
        custom_fields={"NAME": "John", "CITY": "London"},
        custom_field_types={"NAME": "text", "CITY": "text"},
    )
    return pinned(contact, uuid=JOHN_ID, created_at="2025-11-10T20:15:12.000999+00:00")


def test_update_changes_given_fields_and_merges_meta(client, organization, john):
    body = {"alias": "johnny", "msisdn": "4479000000002", "meta": {"CITY": "Leeds", "PLAN": "gold", "NAME": None}}

    response = post_json(client, f"/addressbook/contacts/{john.uuid}", body)

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "record": {
            "id": JOHN_ID,
            "alias": "johnny",
            "msisdn": "4479000000002",
            "meta": {"CITY": "Leeds", "PLAN": "gold"},
            "created_on": "2025-11-10T20:15:12.000Z",
        },
    }
    john.refresh_from_db()
    assert (john.alias, john.phone_e164) == ("johnny", "+4479000000002")
    assert john.custom_fields == {"NAME": None, "CITY": "Leeds", "PLAN": "gold"}


def test_update_with_empty_body_changes_nothing(client, john):
    response = post_json(client, f"/addressbook/contacts/{john.uuid}", {})

    assert response.status_code == 200
    assert response.json() == {"success": True, "record": JOHN}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"alias": ""}, "Alias cannot be empty"),
        ({"alias": None}, "Alias cannot be empty"),
        ({"msisdn": None}, "Msisdn cannot be empty"),
        ({"msisdn": "12"}, "Msisdn is invalid"),
        ({"meta": "CITY=Leeds"}, "Meta must be an object"),
        ({"alias": "jane"}, "Alias already exists"),
        ({"msisdn": "4479000000009"}, "Msisdn already exists"),
    ],
)
def test_update_validation_errors_write_nothing(client, organization, john, body, message):
    create_contact(organization=organization, alias="jane", phone="4479000000009")

    # A meta change rides along, so a rollback of the whole request is visible.
    response = post_json(client, f"/addressbook/contacts/{john.uuid}", {"meta": {"CITY": "Paris"}, **body})

    assert response.status_code == 400
    assert response.json() == error("ValidationError", 400, message)
    john.refresh_from_db()
    assert (john.alias, john.phone_e164, john.custom_fields, john.custom_field_order) == (
        "john",
        "+4479000000001",
        {"NAME": "John", "CITY": "London"},
        ["NAME", "CITY"],
    )


@pytest.mark.parametrize("reference", ["3392287d-7a79-4789-9ef8-7dc174836688", "not-a-uuid", "12"])
def test_update_of_unknown_contact_is_a_validation_error(client, john, reference):
    response = post_json(client, f"/addressbook/contacts/{reference}", {"alias": "x"})

    assert response.status_code == 400
    assert response.json() == error("ValidationError", 400, "Contact not found")


def test_update_of_another_organizations_contact_is_unknown(client, other_organization):
    theirs = create_contact(organization=other_organization, alias="theirs", phone="4479000000001")

    response = post_json(client, f"/addressbook/contacts/{theirs.uuid}", {"alias": "mine"})

    assert response.status_code == 400
    assert response.json() == error("ValidationError", 400, "Contact not found")
    theirs.refresh_from_db()
    assert theirs.alias == "theirs"


def test_update_of_a_contact_deleted_meanwhile_is_unknown(client, john, monkeypatch):
    real_update = contact_services.update_contact

    def delete_then_update(contact, **changes):
        Contact.objects.filter(pk=contact.pk).delete()
        return real_update(contact, **changes)

    monkeypatch.setattr(contact_services, "update_contact", delete_then_update)

    response = post_json(client, f"/addressbook/contacts/{john.uuid}", {"alias": "johnny"})

    assert response.status_code == 400
    assert response.json() == error("ValidationError", 400, "Contact not found")
    # The whole request rolled back, the concurrent-delete stand-in with it.
    assert Contact.objects.filter(pk=john.pk, alias="john").exists()


# --- delete ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("msisdn", ["4479000000001", "+4479000000001", "004479000000001"])
def test_delete_by_msisdn(client, organization, john, msisdn):
    keep = create_contact(organization=organization, alias="keep", phone="4479000000002")

    response = client.delete(f"{BASE}/addressbook/contacts/{msisdn}")

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert list(Contact.objects.all()) == [keep]


@pytest.mark.parametrize("msisdn", ["4479000000002", "not-a-number", str(3392287)])
def test_delete_of_unknown_msisdn_is_not_found(client, john, msisdn):
    response = client.delete(f"{BASE}/addressbook/contacts/{msisdn}")

    assert response.status_code == 404
    assert response.json() == error("NotFoundError", 404, "Contact not found")
    assert Contact.objects.count() == 1


def test_delete_of_another_organizations_contact_is_not_found(client, other_organization):
    create_contact(organization=other_organization, alias="theirs", phone="4479000000001")

    response = client.delete(f"{BASE}/addressbook/contacts/4479000000001")

    assert response.status_code == 404
    assert response.json() == error("NotFoundError", 404, "Contact not found")
    assert Contact.objects.count() == 1


def test_trailing_slash_is_tolerated(client, organization):
    response = post_json(client, "/addressbook/contacts/", fixture("create_contact_request.json"))

    assert response.status_code == 200
    assert Contact.objects.count() == 1
