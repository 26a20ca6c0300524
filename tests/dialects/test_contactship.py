"""The Contactship dialect under /contactship (docs/dialects/contactship.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contacts.errors import UnknownReference
from contacts.models import Contact, CustomField, CustomFieldType, Scope
from contacts.services import credentials
from contacts.services.contacts import create_contact
from tests.dialects.base import Contactship, pinned
from tests.factories import ContactFactory, CustomFieldFactory, make_api_key
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

URL = Contactship.url("/v1/contacts")
UUID = Matches(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CREATED_AT = Matches(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
fixture = Contactship.fixture
raw_fixture = Contactship.raw_fixture
error = Contactship.error
client = Contactship.client_fixture()


def post_json(client, body: bytes | str, url: str = URL, content_type: str = "application/json"):
    return client.generic("POST", url, body, content_type=content_type)


# --- POST /v1/contacts -------------------------------------------------------------------------------------------


def test_create_basic_example_returns_201_and_the_contact(client, organization):
    response = post_json(client, raw_fixture("create_basic_request.json"))

    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "id": UUID,
        "created_at": CREATED_AT,
        "phone_number": "+12124567890",
        "full_name": "Juan Pérez",
        "country": None,
        "email": None,
        "description": None,
        "additional_data": [],
        "organization_id": organization.public_id,
    }
    contact = Contact.objects.get()
    assert str(contact.uuid) == response.json()["id"]
    assert (contact.organization, contact.phone_e164, contact.full_name) == (organization, "+12124567890", "Juan Pérez")
    assert (contact.country, contact.email, contact.description, contact.custom_fields) == ("", "", "", {})
    # The row's creation time, to the second, in UTC.
    created_at = dt.datetime.strptime(response.json()["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert created_at == contact.created_at.replace(microsecond=0)


def test_create_complete_example_returns_the_documented_response(client, organization):
    response = post_json(client, raw_fixture("create_complete_request.json"))

    assert response.status_code == 201, response.content
    documented = fixture("create_example_response.json")
    documented["organization_id"] = organization.public_id
    documented.update(id=UUID, created_at=CREATED_AT)
    assert response.json() == documented
    contact = Contact.objects.get()
    assert contact.custom_fields == {
        "dirección": "Av. Insurgentes 123",
        "notas": "Cliente potencial para servicio premium",
    }
    assert contact.custom_field_order == ["dirección", "notas"]
    assert dict(CustomField.objects.filter(organization=organization).values_list("key", "field_type")) == {
        "dirección": "location",
        "notas": "text",
    }


def test_create_keeps_additional_data_in_the_order_given_and_validates_by_type(client, organization):
    body = {
        "phone_number": "+12124567890",
        "full_name": "Ana",
        "additional_data": [
            {"type": "number", "field": "score", "value": "42.5"},
            {"type": "date", "field": "birthday", "value": "1990-02-03"},
            {"type": "text", "field": "zeta", "value": " spaced "},
            {"type": "number", "field": "age", "value": 37},
        ],
    }
    response = client.post(URL, body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["additional_data"] == [
        {"type": "number", "field": "score", "value": "42.5"},
        {"type": "date", "field": "birthday", "value": "1990-02-03"},
        {"type": "text", "field": "zeta", "value": " spaced "},
        {"type": "number", "field": "age", "value": "37"},
    ]
    contact = Contact.objects.get()
    assert contact.custom_fields == {"score": 42.5, "birthday": "1990-02-03", "zeta": " spaced ", "age": 37}
    assert contact.custom_field_order == ["score", "birthday", "zeta", "age"]


def test_create_uses_existing_custom_field_definitions_of_the_same_type(client, organization):
    CustomFieldFactory(organization=organization, key="birthday", field_type=CustomFieldType.DATE)
    body = {
        "phone_number": "+12124567890",
        "full_name": "Ana",
        "additional_data": [{"type": "date", "field": "birthday", "value": "1990-02-03"}],
    }
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    assert CustomField.objects.filter(organization=organization).count() == 1


def test_create_accepts_a_national_number_read_in_the_organization_region(client, organization):
    response = client.post(URL, {"phone_number": "(212) 456-7890", "full_name": "Ana"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["phone_number"] == "+12124567890"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"full_name": "Ana"}, "phone_number: This field is required."),
        ({"phone_number": "+12124567890"}, "full_name: This field is required."),
        ({"phone_number": "+12124567890", "full_name": ""}, "full_name: This field may not be blank."),
        ({"phone_number": None, "full_name": "Ana"}, "phone_number: This field may not be null."),
        ({"phone_number": "call me", "full_name": "Ana"}, "phone_number: 'call me' is not a phone number"),
        (
            {"phone_number": "+999123456789", "full_name": "Ana"},
            "phone_number: '+999123456789' is not a valid phone number",
        ),
        (
            {"phone_number": "+12124567890", "full_name": "Ana", "email": "not-an-email"},
            "email: 'not-an-email' is not a valid email address",
        ),
        (
            {"phone_number": "+12124567890", "full_name": "Ana", "country": "x" * 101},
            "country: country must be at most 100 characters",
        ),
        (
            {"phone_number": "+12124567890", "full_name": "Ana", "fullname": "Ana"},
            "Unknown field(s): fullname. Accepted fields: phone_number, full_name, country, email, description, "
            "additional_data",
        ),
        (
            {"phone_number": "+12124567890", "full_name": "Ana", "additional_data": {"type": "text"}},
            'additional_data: Expected a list of items but got type "dict".',
        ),
        (
            {
                "phone_number": "+12124567890",
                "full_name": "Ana",
                "additional_data": [{"type": "boolean", "field": "vip", "value": "true"}],
            },
            "additional_data[0].type: must be one of text, date, number, location, not boolean",
        ),
        (
            {"phone_number": "+12124567890", "full_name": "Ana", "additional_data": [{"type": "text", "field": "a"}]},
            "additional_data[0].value: This field is required.",
        ),
        (
            {
                "phone_number": "+12124567890",
                "full_name": "Ana",
                "additional_data": [
                    {"type": "text", "field": "a", "value": "1"},
                    {"type": "text", "field": "a", "value": "2"},
                ],
            },
            "additional_data[1].field: duplicate field 'a'",
        ),
        (
            {
                "phone_number": "+12124567890",
                "full_name": "Ana",
                "additional_data": [{"type": "date", "field": "birthday", "value": "03/02/1990"}],
            },
            "additional_data.birthday: birthday must be a date in YYYY-MM-DD format",
        ),
        (
            {
                "phone_number": "+12124567890",
                "full_name": "Ana",
                "additional_data": [{"type": "number", "field": "score", "value": "lots"}],
            },
            "additional_data.score: score must be a number",
        ),
        (
            {"phone_number": "+12124567890", "full_name": "Ana\x00"},
            "full_name must not contain NUL characters or unpaired surrogates",
        ),
    ],
)
def test_create_with_invalid_input_is_a_400_and_writes_nothing(client, organization, body, message):
    response = client.post(URL, body, format="json")

    assert response.status_code == 400, response.content
    assert response.json() == error(400, "Bad Request", message)
    assert Contact.objects.count() == 0
    assert CustomField.objects.count() == 0


def test_create_with_a_field_already_defined_with_another_type_is_a_400(client, organization):
    CustomFieldFactory(organization=organization, key="birthday", field_type=CustomFieldType.TEXT)
    body = {
        "phone_number": "+12124567890",
        "full_name": "Ana",
        "additional_data": [
            {"type": "text", "field": "notas", "value": "x"},
            {"type": "date", "field": "birthday", "value": "1990-02-03"},
        ],
    }
    response = client.post(URL, body, format="json")

    assert response.status_code == 400, response.content
    assert response.json() == error(
        400, "Bad Request", "additional_data: Custom field birthday is already defined as text, not date"
    )
    assert Contact.objects.count() == 0
    assert list(CustomField.objects.values_list("key", flat=True)) == ["birthday"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"phone_number": "+12124567890",', "Malformed request body: JSON parse error - "),
        (b'["+12124567890"]', "The request body must be a JSON object, not list"),
        (b'"hello"', "The request body must be a JSON object, not str"),
    ],
)
def test_create_with_a_malformed_or_non_object_body_is_a_400(client, organization, body, message):
    response = post_json(client, body)

    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload == {**error(400, "Bad Request", payload["message"])}
    assert payload["message"].startswith(message)
    assert Contact.objects.count() == 0


def test_create_with_a_duplicate_phone_is_a_409(client, organization):
    ContactFactory(organization=organization, phone="+12124567890")

    response = post_json(client, raw_fixture("create_complete_request.json"))

    assert response.status_code == 409, response.content
    assert response.json() == error(409, "Conflict", "A contact with this phone number already exists")
    assert Contact.objects.count() == 1
    assert CustomField.objects.count() == 0


def test_the_same_phone_in_another_organization_is_no_conflict(client, organization, other_organization):
    ContactFactory(organization=other_organization, phone="+12124567890")
    response = post_json(client, raw_fixture("create_basic_request.json"))
    assert response.status_code == 201, response.content
    assert Contact.objects.filter(organization=organization).count() == 1


def test_create_with_another_content_type_is_a_415(client, organization):
    response = post_json(
        client, "phone_number=+12124567890&full_name=Ana", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415, response.content
    assert response.json() == error(
        415, "Unsupported Media Type", 'Unsupported media type "application/x-www-form-urlencoded" in request.'
    )
    assert Contact.objects.count() == 0


def test_create_with_a_body_over_the_upload_limit_is_a_413(client, organization, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"phone_number": "+12124567890", "full_name": "Ana", "description": "x" * 2000}

    response = client.post(URL, body, format="json")

    assert response.status_code == 413, response.content
    assert response.json() == error(413, "Request Entity Too Large", "The request body is too large")
    assert Contact.objects.count() == 0


def test_unsupported_method_is_a_405(client, organization):
    response = client.put(URL, {"phone_number": "+12124567890", "full_name": "Ana"}, format="json")

    assert response.status_code == 405, response.content
    assert response.json() == error(405, "Method Not Allowed", 'Method "PUT" not allowed.')
    assert response["Allow"] == "GET, POST, HEAD"
    assert Contact.objects.count() == 0


def test_unknown_path_is_a_404_in_the_contactship_body(api_client, db):
    response = api_client.get("/contactship/v2/leads")

    assert response.status_code == 404, response.content
    assert response.json() == error(404, "Not Found", "Cannot GET /contactship/v2/leads")


# --- authentication, scopes, throttling, unexpected errors ---------------------------------------------------------


def test_missing_api_key_is_a_401(api_client, organization):
    response = api_client.post(URL, fixture("create_basic_request.json"), format="json")

    assert response.status_code == 401, response.content
    assert response.json() == error(401, "Unauthorized", "Missing x-api-key header")
    assert response["WWW-Authenticate"] == "ApiKey"
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("problem", ["wrong", "revoked", "expired", "bearer"])
def test_wrong_revoked_or_expired_api_key_is_a_401(api_client, organization, problem):
    key, secret = make_api_key(organization)
    if problem == "wrong":
        api_client.credentials(HTTP_X_API_KEY=secret[:-4] + "abcd")
    elif problem == "bearer":
        # Contactship reads x-api-key only; a key in Authorization is not one.
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    else:
        if problem == "revoked":
            credentials.revoke(key)
        else:
            key.expires_at = timezone.now() - dt.timedelta(seconds=1)
            key.save()
        api_client.credentials(HTTP_X_API_KEY=secret)

    response = api_client.post(URL, fixture("create_basic_request.json"), format="json")

    assert response.status_code == 401, response.content
    expected = "Missing x-api-key header" if problem == "bearer" else "Invalid, expired or revoked API key"
    assert response.json() == error(401, "Unauthorized", expected)
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("post", "", Scope.CONTACTS_CREATE),
        ("get", "", Scope.CONTACTS_READ),
        ("get", "/{uuid}", Scope.CONTACTS_READ),
        ("patch", "/{uuid}", Scope.CONTACTS_UPDATE),
        ("delete", "/{uuid}", Scope.CONTACTS_DELETE),
    ],
)
def test_a_key_without_the_method_scope_is_a_403(api_client, organization, method, path, scope):
    contact = ContactFactory(organization=organization, full_name="Ana")
    others = [value for value in Scope.values if value != scope]
    _, secret = make_api_key(organization, scopes=others)
    api_client.credentials(HTTP_X_API_KEY=secret)
    before = Contact.objects.values_list("full_name", flat=True).get()

    response = getattr(api_client, method)(
        URL + path.format(uuid=contact.uuid), {"phone_number": "+12125550000", "full_name": "Bea"}, format="json"
    )

    assert response.status_code == 403, response.content
    assert response.json() == error(403, "Forbidden", f"This API key lacks the {scope} permission")
    assert Contact.objects.count() == 1
    assert Contact.objects.values_list("full_name", flat=True).get() == before


def test_too_many_requests_is_a_429_with_retry_after(client, organization, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "contactship": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    assert client.get(URL).status_code == 200
    assert client.get(URL).status_code == 200
    response = post_json(client, raw_fixture("create_basic_request.json"))

    assert response.status_code == 429, response.content
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    assert response.json() == error(429, "Too Many Requests", f"Too many requests; retry after {retry_after} seconds")
    assert Contact.objects.count() == 0


def test_the_throttle_counts_per_key(client, organization, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "contactship": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    assert client.get(URL).status_code == 200
    assert client.get(URL).status_code == 429
    _, other_secret = make_api_key(organization)
    client.credentials(HTTP_X_API_KEY=other_secret)
    assert client.get(URL).status_code == 200


def test_an_unexpected_error_is_a_500_with_a_generic_message(client, organization, monkeypatch):
    def explode(**kwargs):
        Contact.objects.create(organization=organization, full_name="half-written")
        raise RuntimeError("database on fire: secret details")

    monkeypatch.setattr("contacts.api.dialects.contactship.views.create_contact", explode)

    response = post_json(client, raw_fixture("create_basic_request.json"))

    assert response.status_code == 500, response.content
    assert response.json() == error(500, "Internal Server Error", "Internal server error")
    assert Contact.objects.count() == 0


def test_an_unknown_reference_from_a_service_is_a_422(client, organization, monkeypatch):
    # No Contactship input can name an unknown reference today (fields are defined on first use); if a
    # service raises one anyway, it still comes out in Contactship's body.
    def refuse(**kwargs):
        raise UnknownReference("custom_fields", "Unknown custom field: notas")

    monkeypatch.setattr("contacts.api.dialects.contactship.views.create_contact", refuse)

    response = post_json(client, raw_fixture("create_basic_request.json"))

    assert response.status_code == 422, response.content
    assert response.json() == error(422, "Unprocessable Entity", "additional_data: Unknown custom field: notas")
    assert Contact.objects.count() == 0


def test_any_accept_header_gets_json(client, organization):
    response = client.get(URL, HTTP_ACCEPT="text/html")

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == []


def test_create_query_budget(client, organization, django_assert_max_num_queries):
    # Key lookup, its last-used stamp, the insert, the change's history event, savepoints.
    with django_assert_max_num_queries(9):
        response = post_json(client, raw_fixture("create_basic_request.json"))
    assert response.status_code == 201
    CustomFieldFactory(organization=organization, key="dirección", field_type=CustomFieldType.LOCATION)
    CustomFieldFactory(organization=organization, key="notas", field_type=CustomFieldType.TEXT)
    body = fixture("create_complete_request.json") | {"phone_number": "+12125550000"}
    with django_assert_max_num_queries(9):
        response = client.post(URL, body, format="json")
    assert response.status_code == 201


def test_create_defining_new_fields_costs_one_insert_in_a_savepoint_per_field(
    client, organization, django_assert_max_num_queries
):
    # Eight as for any create with additional_data, and the first use of a custom field defines it
    # (services/custom_fields.py): SAVEPOINT, INSERT, RELEASE for each.
    with django_assert_max_num_queries(8 + 3 * 2):
        response = post_json(client, raw_fixture("create_complete_request.json"))
    assert response.status_code == 201


# --- GET /v1/contacts --------------------------------------------------------------------------------------------


def make_contacts(organization, count: int) -> list[Contact]:
    return [
        create_contact(
            organization=organization,
            full_name=f"Person {index}",
            phone=f"+1212555{index:04d}",
            email=f"person{index}@example.com",
            custom_fields={"notas": f"note {index}", "score": index},
            custom_field_types={"notas": "text", "score": "number"},
        )
        for index in range(count)
    ]


def test_list_returns_a_bare_array_newest_first(client, organization, other_organization):
    first = create_contact(organization=organization, full_name="Ana", phone="+12124567890", country="México")
    pinned(first, uuid="0a7d1c52-1111-4c7d-9a51-6f2d8e4b7a01", created_at="2024-03-05T14:07:09.654321+00:00")
    second = create_contact(
        organization=organization,
        full_name="Bea",
        phone="+12125550000",
        email="bea@example.com",
        description="Lead",
        custom_fields={"score": "7", "notas": "hola"},
        custom_field_types={"score": "number", "notas": "text"},
    )
    pinned(second, uuid="0b7d1c52-2222-4c7d-9a51-6f2d8e4b7a02", created_at="2024-03-05T14:08:10.000001+00:00")
    ContactFactory(organization=other_organization, full_name="Not mine")

    response = client.get(URL)

    assert response.status_code == 200, response.content
    assert response.json() == [
        {
            "id": "0b7d1c52-2222-4c7d-9a51-6f2d8e4b7a02",
            "created_at": "2024-03-05T14:08:10Z",
            "phone_number": "+12125550000",
            "full_name": "Bea",
            "country": None,
            "email": "bea@example.com",
            "description": "Lead",
            "additional_data": [
                {"type": "number", "field": "score", "value": "7"},
                {"type": "text", "field": "notas", "value": "hola"},
            ],
            "organization_id": organization.public_id,
        },
        {
            "id": "0a7d1c52-1111-4c7d-9a51-6f2d8e4b7a01",
            "created_at": "2024-03-05T14:07:09Z",
            "phone_number": "+12124567890",
            "full_name": "Ana",
            "country": "México",
            "email": None,
            "description": None,
            "additional_data": [],
            "organization_id": organization.public_id,
        },
    ]
    assert response.json()[1]["country"] == "México"


@pytest.mark.parametrize(
    ("query", "expected_names"),
    [
        ("full_name=pÉrez", ["Juan Pérez"]),
        ("full_name=JUAN", ["Juan Pérez"]),
        ("full_name=N", ["Bob Brown", "Juan Pérez"]),
        ("email=EJEMPLO", ["Juan Pérez"]),
        ("email=example.com&full_name=bob", ["Bob Brown"]),
        ("phone_number=456-78", ["Juan Pérez"]),
        ("phone_number=%2B44", ["Bob Brown"]),
        ("phone_number=&email=&full_name=", ["Bob Brown", "Juan Pérez"]),
        ("full_name=nobody", []),
        ("full_name=50%25", []),
    ],
)
def test_list_filters_match_partially_and_case_insensitively(client, organization, query, expected_names):
    create_contact(organization=organization, full_name="Juan Pérez", phone="+12124567890", email="juan@ejemplo.com")
    create_contact(organization=organization, full_name="Bob Brown", phone="+447700900123", email="bob@example.com")
    if "É" in query and Contact.objects.filter(full_name__icontains="É").count() == 0:
        pytest.skip("SQLite's LIKE folds ASCII case only")

    response = client.get(f"{URL}?{query}")

    assert response.status_code == 200, response.content
    assert sorted(contact["full_name"] for contact in response.json()) == expected_names


def test_list_full_name_filter_matches_names_of_contacts_made_elsewhere(client, organization):
    contact = ContactFactory(
        organization=organization, name="Carla Callbell", full_name="", phone="+12125550142", email="carla@example.com"
    )
    pinned(contact, uuid="0c7d1c52-3333-4c7d-9a51-6f2d8e4b7a03", created_at="2024-03-05T14:07:09+00:00")

    response = client.get(f"{URL}?full_name=carla")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": "0c7d1c52-3333-4c7d-9a51-6f2d8e4b7a03",
            "created_at": "2024-03-05T14:07:09Z",
            "phone_number": "+12125550142",
            "full_name": "Carla Callbell",
            "country": None,
            "email": "carla@example.com",
            "description": None,
            "additional_data": [],
            "organization_id": organization.public_id,
        }
    ]
    assert response.json()[0]["full_name"] == "Carla Callbell"


def test_list_pages_with_limit_and_offset(client, organization):
    contacts = make_contacts(organization, 5)
    newest_first = [str(contact.uuid) for contact in reversed(contacts)]

    default = client.get(URL)
    page = client.get(f"{URL}?limit=2&offset=1")
    past_the_end = client.get(f"{URL}?limit=2&offset=10")

    assert [contact["id"] for contact in default.json()] == newest_first
    assert [contact["id"] for contact in page.json()] == newest_first[1:3]
    assert past_the_end.status_code == 200
    assert past_the_end.json() == []


def test_list_limit_defaults_to_100(client, organization):
    make_contacts(organization, 101)
    response = client.get(URL)
    assert len(response.json()) == 100


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "limit: Ensure this value is greater than or equal to 1."),
        ("limit=501", "limit: Ensure this value is less than or equal to 500."),
        ("limit=ten", "limit: A valid integer is required."),
        ("offset=-1", "offset: Ensure this value is greater than or equal to 0."),
        ("offset=99999999999999999999", "offset: Ensure this value is less than or equal to 2147483647."),
        ("phone_number=call-me", "phone_number: may contain only digits, spaces, dashes and a leading +"),
        ("email=" + "a" * 256, "email: Ensure this field has no more than 255 characters."),
        ("full_name=a%00b", "full_name must not contain NUL characters or unpaired surrogates"),
    ],
)
def test_list_with_bad_parameters_is_a_400(client, organization, query, message):
    response = client.get(f"{URL}?{query}")

    assert response.status_code == 400, response.content
    assert response.json() == error(400, "Bad Request", message)


@pytest.mark.parametrize("first_size", [1, 2])
def test_list_query_count_does_not_grow_with_page_size(client, organization, django_assert_num_queries, first_size):
    make_contacts(organization, 30)
    client.get(URL)  # the key's last_used_at is written on its first use only

    with django_assert_num_queries(5) as small:
        assert len(client.get(f"{URL}?limit={first_size}").json()) == first_size
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(client.get(f"{URL}?limit=30").json()) == 30


# --- GET /v1/contacts/{identifier} -------------------------------------------------------------------------------


JUAN_ID = "1f0c6a52-3b9e-4c7d-9a51-6f2d8e4b7a10"


@pytest.fixture
def juan(organization) -> Contact:
    contact = create_contact(
        organization=organization,
        full_name="Juan Pérez",
        phone="+12124567890",
        email="Juan@Ejemplo.com",
        custom_fields={"dirección": "Av. Insurgentes 123"},
        custom_field_types={"dirección": "location"},
    )
    return pinned(contact, uuid=JUAN_ID, created_at="2024-03-05T14:07:09.654321+00:00")


JUAN_DATA = [{"type": "location", "field": "dirección", "value": "Av. Insurgentes 123"}]


def juan_body(organization, **changed) -> dict:
    """Juan as Contactship shows him, with the fields a test changed."""
    return {
        "id": JUAN_ID,
        "created_at": "2024-03-05T14:07:09Z",
        "phone_number": "+12124567890",
        "full_name": "Juan Pérez",
        "country": None,
        "email": "Juan@Ejemplo.com",
        "description": None,
        "additional_data": JUAN_DATA,
        "organization_id": organization.public_id,
        **changed,
    }


@pytest.mark.parametrize(
    "path",
    [
        "/{uuid}",
        "/{uuid}/",
        "/{uuid}?identifierType=id",
        "/{upper_uuid}",
        "/%2B12124567890?identifierType=phone_number",
        "/+12124567890?identifierType=phone_number",
        "/12124567890?identifierType=phone_number",
        "/juan@ejemplo.com?identifierType=email",
        "/JUAN@EJEMPLO.COM?identifierType=email",
    ],
)
def test_get_contact_by_identifier(client, organization, juan, path):
    response = client.get(URL + path.format(uuid=juan.uuid, upper_uuid=str(juan.uuid).upper()))

    assert response.status_code == 200, response.content
    assert response.json() == juan_body(organization)


def test_get_contact_with_an_unknown_identifier_type_is_a_400(client, juan):
    response = client.get(f"{URL}/{juan.uuid}?identifierType=uuid")

    assert response.status_code == 400, response.content
    assert response.json() == error(
        400, "Bad Request", "identifierType: must be one of id, phone_number, email, not 'uuid'"
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/0b7e3c1e-8d0c-4d43-a1d4-6c1a1a4c0f00", "Contact with id 0b7e3c1e-8d0c-4d43-a1d4-6c1a1a4c0f00 not found"),
        ("/c1a2b3c4-d5e6-f7g8-h9i0-j1k2l3m4n5o6", "Contact with id c1a2b3c4-d5e6-f7g8-h9i0-j1k2l3m4n5o6 not found"),
        ("/+12125550000?identifierType=phone_number", "Contact with phone_number +12125550000 not found"),
        ("/not-a-phone?identifierType=phone_number", "Contact with phone_number not-a-phone not found"),
        ("/ana@example.com?identifierType=email", "Contact with email ana@example.com not found"),
    ],
)
def test_get_unknown_contact_is_a_404(client, juan, path, message):
    response = client.get(URL + path)

    assert response.status_code == 404, response.content
    assert response.json() == error(404, "Not Found", message)


@pytest.mark.parametrize("identifier_type", ["id", "phone_number", "email"])
def test_another_organizations_contact_is_a_404(client, other_organization, identifier_type):
    theirs = create_contact(
        organization=other_organization, full_name="Theirs", phone="+12124567890", email="theirs@example.com"
    )
    identifier = {"id": theirs.uuid, "phone_number": "+12124567890", "email": "theirs@example.com"}[identifier_type]

    response = client.get(f"{URL}/{identifier}?identifierType={identifier_type}")

    assert response.status_code == 404, response.content
    assert response.json() == error(404, "Not Found", f"Contact with {identifier_type} {identifier} not found")


def test_get_renders_fields_defined_elsewhere_as_strings(client, organization):
    for key, kind in [("vip", "boolean"), ("plan", "choice"), ("interests", "multichoice"), ("spot", "location")]:
        CustomFieldFactory(organization=organization, key=key, field_type=kind, choices=["pro", "sms", "email"])
    contact = create_contact(
        organization=organization,
        name="Carla",
        phone="+12124567890",
        custom_fields={"vip": "yes", "plan": "pro", "interests": ["sms", "email"], "spot": {"lat": 1.5, "lng": 2}},
    )
    pinned(contact, uuid="0d7d1c52-4444-4c7d-9a51-6f2d8e4b7a04", created_at="2024-03-05T14:07:09+00:00")

    response = client.get(f"{URL}/{contact.uuid}")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "id": "0d7d1c52-4444-4c7d-9a51-6f2d8e4b7a04",
        "created_at": "2024-03-05T14:07:09Z",
        "phone_number": "+12124567890",
        "full_name": "Carla",
        "country": None,
        "email": None,
        "description": None,
        "additional_data": [
            {"type": "text", "field": "vip", "value": "true"},
            {"type": "text", "field": "plan", "value": "pro"},
            {"type": "text", "field": "interests", "value": "sms, email"},
            {"type": "location", "field": "spot", "value": "1.5,2.0"},
        ],
        "organization_id": organization.public_id,
    }


# --- PATCH /v1/contacts/{id} -------------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_given(client, organization, juan):
    response = client.patch(f"{URL}/{juan.uuid}", {"email": "nuevo@ejemplo.com", "country": "México"}, format="json")

    assert response.status_code == 200, response.content
    juan.refresh_from_db()
    assert response.json() == juan_body(organization, email="nuevo@ejemplo.com", country="México")
    assert (juan.email, juan.country, juan.full_name, juan.phone_e164) == (
        "nuevo@ejemplo.com",
        "México",
        "Juan Pérez",
        "+12124567890",
    )
    assert juan.custom_fields == {"dirección": "Av. Insurgentes 123"}


def test_patch_with_null_clears_an_optional_field(client, juan):
    response = client.patch(f"{URL}/{juan.uuid}", {"email": None, "description": ""}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["email"], response.json()["description"]) == (None, None)
    juan.refresh_from_db()
    assert juan.email == ""


def test_patch_additional_data_replaces_the_whole_array(client, organization, juan):
    body = {
        "full_name": "Juan P.",
        "phone_number": "+12125550000",
        "additional_data": [
            {"type": "number", "field": "score", "value": "10"},
            {"type": "text", "field": "notas", "value": "VIP"},
        ],
    }
    response = client.patch(f"{URL}/{juan.uuid}", body, format="json")

    assert response.status_code == 200, response.content
    juan.refresh_from_db()
    assert response.json() == juan_body(
        organization,
        full_name="Juan P.",
        phone_number="+12125550000",
        additional_data=[
            {"type": "number", "field": "score", "value": "10"},
            {"type": "text", "field": "notas", "value": "VIP"},
        ],
    )
    assert juan.custom_fields == {"score": 10, "notas": "VIP"}
    assert juan.custom_field_order == ["score", "notas"]
    assert (juan.full_name, juan.phone_e164) == ("Juan P.", "+12125550000")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"name": "round", "value": "1", "type": "number"}, "additional_data[0].field: This field is required."),
        ({"field": "round", "value": "1"}, "additional_data[0].type: This field is required."),
        ({"field": "round", "type": "number"}, "additional_data[0].value: This field is required."),
    ],
    ids=["no-field", "no-type", "no-value"],
)
def test_patch_with_an_incomplete_additional_data_item_is_a_400(client, juan, item, message):
    response = client.patch(f"{URL}/{juan.uuid}", {"additional_data": [item]}, format="json")

    assert response.status_code == 400
    assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}
    juan.refresh_from_db()
    assert juan.custom_fields == {"dirección": "Av. Insurgentes 123"}


def test_patch_with_an_empty_additional_data_removes_all_of_it(client, juan):
    response = client.patch(f"{URL}/{juan.uuid}", {"additional_data": []}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["additional_data"] == []
    juan.refresh_from_db()
    assert juan.custom_fields == {}


def test_patch_with_a_duplicate_phone_is_a_409_and_changes_nothing(client, organization, juan):
    create_contact(organization=organization, full_name="Bea", phone="+12125550000")

    response = client.patch(
        f"{URL}/{juan.uuid}", {"phone_number": "+1 212 555 0000", "full_name": "Changed"}, format="json"
    )

    assert response.status_code == 409, response.content
    assert response.json() == error(409, "Conflict", "A contact with this phone number already exists")
    juan.refresh_from_db()
    assert (juan.full_name, juan.phone_e164) == ("Juan Pérez", "+12124567890")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"full_name": ""}, "full_name: This field may not be blank."),
        ({"phone_number": None}, "phone_number: This field may not be null."),
        (
            {"id": "0b7e3c1e-8d0c-4d43-a1d4-6c1a1a4c0f00"},
            "Unknown field(s): id. Accepted fields: phone_number, "
            "full_name, country, email, description, additional_data",
        ),
        (
            {"additional_data": [{"type": "date", "field": "dirección", "value": "2024-01-01"}]},
            "additional_data: Custom field dirección is already defined as location, not date",
        ),
    ],
)
def test_patch_with_invalid_input_is_a_400_and_changes_nothing(client, juan, body, message):
    response = client.patch(f"{URL}/{juan.uuid}", body, format="json")

    assert response.status_code == 400, response.content
    assert response.json() == error(400, "Bad Request", message)
    juan.refresh_from_db()
    assert (juan.full_name, juan.phone_e164, juan.custom_fields) == (
        "Juan Pérez",
        "+12124567890",
        {"dirección": "Av. Insurgentes 123"},
    )


def test_patch_by_email_identifier_is_not_a_route(client, juan):
    response = client.patch(f"{URL}/juan@ejemplo.com", {"full_name": "X"}, format="json")

    assert response.status_code == 404, response.content
    assert response.json() == error(404, "Not Found", "Contact with id juan@ejemplo.com not found")


def test_patch_another_organizations_contact_is_a_404(client, other_organization):
    theirs = ContactFactory(organization=other_organization, full_name="Theirs")

    response = client.patch(f"{URL}/{theirs.uuid}", {"full_name": "Mine now"}, format="json")

    assert response.status_code == 404, response.content
    assert response.json() == error(404, "Not Found", f"Contact with id {theirs.uuid} not found")
    theirs.refresh_from_db()
    assert theirs.full_name == "Theirs"


def test_patch_query_budget(client, juan, django_assert_max_num_queries):
    # The change's event is one insert.
    with django_assert_max_num_queries(11):
        response = client.patch(f"{URL}/{juan.uuid}", {"full_name": "Juan P."}, format="json")
    assert response.status_code == 200


# --- DELETE /v1/contacts/{id} ------------------------------------------------------------------------------------


def test_delete_returns_204_without_a_body(client, juan):
    response = client.delete(f"{URL}/{juan.uuid}")

    assert response.status_code == 204
    assert response.content == b""
    assert Contact.objects.count() == 0


def test_delete_unknown_or_another_organizations_contact_is_a_404(client, other_organization):
    theirs = ContactFactory(organization=other_organization)

    response = client.delete(f"{URL}/{theirs.uuid}")

    assert response.status_code == 404, response.content
    assert response.json() == error(404, "Not Found", f"Contact with id {theirs.uuid} not found")
    assert Contact.objects.filter(pk=theirs.pk).exists()
