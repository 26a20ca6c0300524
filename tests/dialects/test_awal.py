"""Awal dialect: signed requests, create/list/get/update/delete, errors, rate limits, organization scoping.

Upload hardening is in test_awal_uploads.py; the signing client, multipart encoder and images are in
tests/dialects/base.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from contacts.models import Contact
from contacts.services import credentials
from tests.dialects.base import (
    CLIENT_ID,
    CLIENT_SECRET,
    SENDER_ID,
    Awal,
    AwalTestClient,
    awal_signature,
    encode_form,
    jpeg_bytes,
)
from tests.factories import (
    BranchFactory,
    ContactFactory,
    ContactGroupFactory,
    OrganizationFactory,
    SenderNumberFactory,
)
from tests.matchers import Matches

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "awal"
TIMESTAMP = Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
error = Awal.error


@pytest.fixture
def hmac_client(organization):
    client, _ = credentials.create_hmac_client(
        organization=organization, name="Acme Awal", client_id=CLIENT_ID, secret=CLIENT_SECRET
    )
    return client


@pytest.fixture
def sender(organization):
    return SenderNumberFactory(organization=organization, external_id=SENDER_ID)


@pytest.fixture
def awal(api_client, organization, hmac_client, sender) -> AwalTestClient:
    return AwalTestClient(api_client, CLIENT_ID, CLIENT_SECRET, organization.slug)


def contact_body(contact: Contact, **overrides) -> dict:
    body = {
        "id": contact.pk,
        "name": contact.name,
        "phone": contact.phone_digits,
        "email": contact.email,
        "contact_group_id": None,
        "is_favorite": contact.is_favorite,
        "avatar": None,
        "created_at": TIMESTAMP,
    }
    body.update(overrides)
    return body


# The contract's example.


def test_contract_example_request_creates_the_documented_contact(api_client):
    request = json.loads((FIXTURES / "create_contact_request.json").read_text())
    documented = json.loads((FIXTURES / "create_contact_response.json").read_text())
    headers = request["headers"]
    workspace = OrganizationFactory(name="Your workspace", slug=headers["X-Domain"])
    credentials.create_hmac_client(
        organization=workspace, name="Example", client_id=headers["X-Client-ID"], secret="example-secret"
    )
    SenderNumberFactory(organization=workspace, external_id="123456")
    group = ContactGroupFactory(organization=workspace, name="Customers")
    # The example's group id is 1; ids here come from the database, so the example's "1" names this group.
    form = {**request["form"], "contact_group_id": str(group.pk)}
    path, _, query = request["url"].removeprefix("{{base_url}}").partition("?")
    awal = AwalTestClient(api_client, headers["X-Client-ID"], "example-secret", headers["X-Domain"])

    response = awal.request(
        request["method"],
        path,
        query=query,
        body=encode_form(form, [("file", "avatar.jpg", jpeg_bytes(), "image/jpeg")]),
        headers={"Accept": headers["Accept"]},
    )

    assert response.status_code == 201, response.content
    contact = Contact.objects.get(organization=workspace)
    expected = {
        **documented,
        "data": {
            **documented["data"],
            "id": contact.pk,
            "contact_group_id": group.pk,
            "avatar": Matches(rf"http://testserver/media/avatars/{workspace.pk}/[0-9a-f]{{32}}\.jpg"),
            "created_at": TIMESTAMP,
        },
    }
    assert response.json() == expected
    assert response.json()["data"]["avatar"].endswith(contact.avatar.name)
    assert contact.phone_e164 == "+96650000000"
    assert (contact.name, contact.email, contact.is_favorite) == ("Ahmed Mohammed", "ahmed@example.com", True)
    assert list(contact.groups.all()) == [group]
    assert response["X-Request-ID"].startswith("req_")


# Create.


def test_create_with_every_field(awal, organization):
    branch = BranchFactory(organization=organization)
    group = ContactGroupFactory(organization=organization)

    response = awal.create(
        {
            "name": "Sara",
            "phone": "966501234567",
            "email": "sara@example.com",
            "branch_id": str(branch.pk),
            "contact_group_id": str(group.pk),
            "description": "VIP customer",
            "address": "King Fahd Road, Riyadh",
            "full_name": "Sara Al-Qahtani",
            "is_favorite": "1",
            "avatar": "https://cdn.example.com/sara.png",
        }
    )

    assert response.status_code == 201, response.content
    contact = Contact.objects.get()
    assert response.json() == {
        "status": True,
        "message": "Contact created successfully",
        "data": {
            "id": contact.pk,
            "name": "Sara",
            "phone": "966501234567",
            "email": "sara@example.com",
            "contact_group_id": group.pk,
            "is_favorite": True,
            "avatar": "https://cdn.example.com/sara.png",
            "created_at": TIMESTAMP,
        },
    }
    assert contact.branch == branch
    assert (contact.description, contact.address, contact.full_name) == (
        "VIP customer",
        "King Fahd Road, Riyadh",
        "Sara Al-Qahtani",
    )
    assert contact.avatar_url == "https://cdn.example.com/sara.png"
    assert contact.phone_valid is True
    assert contact.source == "api"


def test_create_minimal_contact_defaults(awal):
    response = awal.create({"name": "Omar", "phone": "966501234568"})

    assert response.status_code == 201
    contact = Contact.objects.get()
    assert response.json() == {
        "status": True,
        "message": "Contact created successfully",
        "data": contact_body(contact, phone="966501234568", email=None, is_favorite=False),
    }


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("TRUE", True), ("1", True), ("false", False), ("0", False)]
)
def test_create_accepts_form_booleans(awal, raw, expected):
    response = awal.create({"name": "Omar", "phone": "966501234568", "is_favorite": raw})

    assert response.status_code == 201
    assert response.json()["data"]["is_favorite"] is expected
    assert Contact.objects.get().is_favorite is expected


def test_create_query_budget(awal, organization, django_assert_max_num_queries):
    group = ContactGroupFactory(organization=organization)
    fields = {"name": "Ahmed", "phone": "96650000000", "contact_group_id": str(group.pk), "is_favorite": "true"}
    files = [("file", "a.jpg", jpeg_bytes(), "image/jpeg")]

    # Signature check (client lookup, last-used stamp), sender number, group, insert, group link, the change's
    # event, savepoints.
    with django_assert_max_num_queries(11):
        response = awal.create(fields, files)

    assert response.status_code == 201


# Validation errors: each class once.


def test_create_without_required_fields_is_422(awal):
    response = awal.create({"email": "x@example.com"})

    assert response.status_code == 422
    assert response.json() == error(
        "validation_failed",
        "This field is required.",
        {"name": "This field is required.", "phone": "This field is required."},
    )
    assert not Contact.objects.exists()


@pytest.mark.parametrize("phone", ["+96650000000", "966-50000000", "0096650000000", "9665 0000000", "abc", ""])
def test_create_with_phone_not_in_awal_format_is_400_invalid_phone_number(awal, phone):
    response = awal.create({"name": "Omar", "phone": phone})

    assert response.status_code == 400
    message = (
        "The phone must be in international format, digits only, starting with the country code "
        "(e.g. 96650000000), without + or -"
    )
    assert response.json() == error("invalid_phone_number", message, {"phone": message})
    assert not Contact.objects.exists()


def test_create_with_phone_of_unknown_country_code_is_400_invalid_phone_number(awal):
    response = awal.create({"name": "Omar", "phone": "99912345678"})

    assert response.status_code == 400
    message = "'+99912345678' is not a valid phone number"
    assert response.json() == error("invalid_phone_number", message, {"phone": message})
    assert not Contact.objects.exists()


def test_create_with_bad_boolean_is_422(awal):
    response = awal.create({"name": "Omar", "phone": "966501234568", "is_favorite": "yes"})

    assert response.status_code == 422
    assert response.json() == error(
        "validation_failed", "Must be true, false, 1 or 0.", {"is_favorite": "Must be true, false, 1 or 0."}
    )
    assert not Contact.objects.exists()


def test_create_with_bad_email_is_422(awal):
    response = awal.create({"name": "Omar", "phone": "966501234568", "email": "not-an-email"})

    assert response.status_code == 422
    message = "'not-an-email' is not a valid email address"
    assert response.json() == error("validation_failed", message, {"email": message})
    assert not Contact.objects.exists()


@pytest.mark.parametrize("url", ["ftp://example.com/a.png", "javascript:alert(1)", "not a url"])
def test_create_with_non_http_avatar_url_is_422(awal, url):
    response = awal.create({"name": "Omar", "phone": "966501234568", "avatar": url})

    assert response.status_code == 422
    message = "The avatar URL must be an http or https URL"
    assert response.json() == error("validation_failed", message, {"avatar": message})
    assert not Contact.objects.exists()


def test_create_with_non_integer_branch_id_is_422(awal):
    response = awal.create({"name": "Omar", "phone": "966501234568", "branch_id": "riyadh"})

    assert response.status_code == 422
    message = "branch_id must be an integer"
    assert response.json() == error("validation_failed", message, {"branch_id": message})


def test_create_without_phone_number_id_is_422(awal):
    response = awal.create({"name": "Omar", "phone": "966501234568"}, query="")

    assert response.status_code == 422
    assert response.json() == error(
        "validation_failed",
        "The phone_number_id query parameter is required",
        {"phone_number_id": "This query parameter is required"},
    )
    assert not Contact.objects.exists()


def test_create_with_unknown_phone_number_id_is_404(awal):
    response = awal.create({"name": "Omar", "phone": "966501234568"}, query="phone_number_id=999")

    assert response.status_code == 404
    message = "Unknown phone_number_id: 999"
    assert response.json() == error("resource_not_found", message, {"phone_number_id": message})
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "query", "field", "message"),
    [
        (
            "POST",
            "/contacts",
            "phone_number_id=12%003",
            "phone_number_id",
            "phone_number_id must not contain NUL characters or unpaired surrogates",
        ),
        ("GET", "/contacts", "search=a%00b", "search", "search must not contain NUL characters or unpaired surrogates"),
        (
            "GET",
            "/contacts/1",
            "phone_number_id=%00",
            "phone_number_id",
            "phone_number_id must not contain NUL characters or unpaired surrogates",
        ),
    ],
    ids=["create", "list", "get"],
)
def test_nul_characters_in_the_query_are_422(awal, method, path, query, field, message):
    response = awal.request(method, path, query=query, body=encode_form({"name": "Omar", "phone": "966501234568"}))

    assert response.status_code == 422
    assert response.json() == error("validation_failed", message, {field: message})
    assert not Contact.objects.exists()


def test_nul_character_in_client_id_is_401(awal):
    response = awal.get("/contacts", headers={"X-Client-ID": "acme\x00client"})

    assert_auth_failed(response, AUTH_FAILED_SIGNATURE)


def test_create_duplicate_phone_is_409(awal, organization):
    ContactFactory(organization=organization, phone="+966501234568")

    response = awal.create({"name": "Omar", "phone": "966501234568"})

    assert response.status_code == 409
    message = "A contact with this phone already exists"
    assert response.json() == error("resource_conflict", message, {"phone": message})
    assert Contact.objects.count() == 1


def test_create_with_json_body_is_415(awal):
    response = awal.request(
        "POST",
        "/contacts",
        query=f"phone_number_id={SENDER_ID}",
        body=b'{"name": "Omar", "phone": "966501234568"}',
        content_type="application/json",
    )

    assert response.status_code == 415
    assert response.json() == error("unsupported_media_type", 'Unsupported media type "application/json" in request.')
    assert not Contact.objects.exists()


def test_create_with_malformed_multipart_is_400(awal):
    response = awal.request(
        "POST",
        "/contacts",
        query=f"phone_number_id={SENDER_ID}",
        body=b"--nope\r\ngarbage",
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert response.json() == error(
        "malformed_request",
        "Malformed request body: Multipart form parse error - Invalid boundary in multipart: None",
    )


def test_too_many_form_fields_is_400(awal, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = {"name": "Omar", "phone": "966501234568", **{f"extra{i}": "x" for i in range(5)}}

    response = awal.create(fields)

    assert response.status_code == 400
    assert response.json() == error(
        "malformed_request",
        "Malformed request body: The number of GET/POST parameters exceeded settings.DATA_UPLOAD_MAX_NUMBER_FIELDS.",
    )
    assert not Contact.objects.exists()


def test_create_with_urlencoded_form_works(awal):
    body = b"name=Omar&phone=966501234568&is_favorite=false"

    response = awal.request(
        "POST",
        "/contacts",
        query=f"phone_number_id={SENDER_ID}",
        body=body,
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 201
    assert Contact.objects.get().name == "Omar"


def test_request_body_over_the_limit_is_413_json(awal):
    body = encode_form({"name": "Omar", "phone": "966501234568", "padding": "x" * (6 * 1024 * 1024)})

    response = awal.request("POST", "/contacts", query=f"phone_number_id={SENDER_ID}", body=body)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == error("payload_too_large", "The request body is too large")
    assert not Contact.objects.exists()


# Signing matrix.


def test_signed_request_is_accepted(awal):
    response = awal.get("/contacts")

    assert response.status_code == 200


AUTH_FAILED_SIGNATURE = "The signature does not match the request, or the client ID is unknown"


def assert_auth_failed(response, message: str) -> None:
    assert response.status_code == 401
    assert response.json() == error("authentication_failed", message)
    assert response["WWW-Authenticate"] == 'HMAC-SHA256 realm="awal"'
    assert not Contact.objects.exists()


def test_one_byte_of_body_changed_is_401(awal):
    body = encode_form({"name": "Omar", "phone": "966501234568"})
    tampered = body.replace(b"Omar", b"Omas")

    response = awal.request("POST", "/contacts", query=f"phone_number_id={SENDER_ID}", body=tampered, signed_body=body)

    assert_auth_failed(response, AUTH_FAILED_SIGNATURE)


def test_timestamp_changed_after_signing_is_401(awal):
    signed_at = str(int(time.time()))
    body = encode_form({"name": "Omar", "phone": "966501234568"})
    signature = awal_signature(CLIENT_SECRET, "POST", "/awal/contacts", f"phone_number_id={SENDER_ID}", signed_at, body)

    response = awal.request(
        "POST",
        "/contacts",
        query=f"phone_number_id={SENDER_ID}",
        body=body,
        timestamp=str(int(signed_at) - 1),
        headers={"X-Awal-Signature-256": signature},
    )

    assert_auth_failed(response, AUTH_FAILED_SIGNATURE)


def test_query_string_changed_after_signing_is_401(awal):
    now = str(int(time.time()))
    signature = awal_signature(CLIENT_SECRET, "GET", "/awal/contacts", "page=1", now, b"")

    response = awal.get("/contacts", query="page=2", timestamp=now, headers={"X-Awal-Signature-256": signature})

    assert_auth_failed(response, AUTH_FAILED_SIGNATURE)


def test_client_id_changed_is_401(awal, organization):
    credentials.create_hmac_client(organization=organization, name="Other", client_id="other-client", secret="other")

    response = awal.get("/contacts", headers={"X-Client-ID": "other-client"})

    assert_auth_failed(response, AUTH_FAILED_SIGNATURE)


def test_unknown_client_id_is_401(awal):
    response = awal.get("/contacts", headers={"X-Client-ID": "nobody"})

    assert_auth_failed(response, AUTH_FAILED_SIGNATURE)


def test_revoked_client_is_401(awal, hmac_client):
    credentials.revoke(hmac_client)

    response = awal.get("/contacts")

    assert_auth_failed(response, AUTH_FAILED_SIGNATURE)


@pytest.mark.parametrize("skew", [-299, 299])
def test_clock_skew_within_299_seconds_is_accepted(awal, skew):
    response = awal.create({"name": "Omar", "phone": "966501234568"}, timestamp=str(int(time.time()) + skew))

    assert response.status_code == 201


@pytest.mark.parametrize("skew", [-301, 301])
def test_clock_skew_of_301_seconds_is_401(awal, skew):
    response = awal.create({"name": "Omar", "phone": "966501234568"}, timestamp=str(int(time.time()) + skew))

    assert_auth_failed(response, "X-Timestamp is more than 300 seconds away from the server clock")


def test_replayed_write_is_401(awal):
    body = encode_form({"name": "Omar", "phone": "966501234568"})
    now = str(int(time.time()))
    first = awal.request("POST", "/contacts", query=f"phone_number_id={SENDER_ID}", body=body, timestamp=now)
    assert first.status_code == 201

    replay = awal.request("POST", "/contacts", query=f"phone_number_id={SENDER_ID}", body=body, timestamp=now)

    assert replay.status_code == 401
    assert replay.json() == error(
        "authentication_failed", "This signature has already been used; sign every request afresh"
    )
    assert Contact.objects.count() == 1


def test_replayed_read_is_accepted(awal):
    now = str(int(time.time()))

    assert awal.get("/contacts", timestamp=now).status_code == 200
    assert awal.get("/contacts", timestamp=now).status_code == 200


@pytest.mark.parametrize("timestamp", ["abc", "1e30", "-5", "1704124800.5"])
def test_unparsable_timestamp_is_401(awal, timestamp):
    response = awal.create({"name": "Omar", "phone": "966501234568"}, timestamp=timestamp)

    assert_auth_failed(response, "X-Timestamp must be a Unix time in whole seconds")


def test_empty_timestamp_is_400_missing_headers(awal):
    response = awal.create({"name": "Omar", "phone": "966501234568"}, timestamp="")

    assert response.status_code == 400
    assert response.json() == error(
        "missing_headers", "Missing required header: X-Timestamp", {"X-Timestamp": "This header is required"}
    )
    assert not Contact.objects.exists()


def test_every_missing_header_is_named(awal):
    response = awal.get(
        "/contacts",
        headers={"X-Awal-Signature-256": None, "X-Timestamp": None, "X-Domain": None, "X-Client-ID": None},
    )

    assert response.status_code == 400
    required = "This header is required"
    assert response.json() == error(
        "missing_headers",
        "Missing required headers: X-Awal-Signature-256, X-Timestamp, X-Domain, X-Client-ID",
        {"X-Awal-Signature-256": required, "X-Timestamp": required, "X-Domain": required, "X-Client-ID": required},
    )


BAD_SIGNATURE_FORMAT = "X-Awal-Signature-256 must be sha256= followed by 64 hexadecimal digits"


def test_signature_without_sha256_prefix_is_401(awal):
    now = str(int(time.time()))
    signature = awal_signature(CLIENT_SECRET, "GET", "/awal/contacts", "", now, b"").removeprefix("sha256=")

    response = awal.get("/contacts", timestamp=now, headers={"X-Awal-Signature-256": signature})

    assert_auth_failed(response, BAD_SIGNATURE_FORMAT)


@pytest.mark.parametrize("length", [63, 65])
def test_signature_hex_of_wrong_length_is_401(awal, length):
    now = str(int(time.time()))
    signature = awal_signature(CLIENT_SECRET, "GET", "/awal/contacts", "", now, b"")
    wrong = (signature + "0")[: len("sha256=") + length]

    response = awal.get("/contacts", timestamp=now, headers={"X-Awal-Signature-256": wrong})

    assert_auth_failed(response, BAD_SIGNATURE_FORMAT)


def test_signature_in_upper_case_hex_is_accepted(awal):
    now = str(int(time.time()))
    signature = awal_signature(CLIENT_SECRET, "GET", "/awal/contacts", "", now, b"")

    response = awal.get("/contacts", timestamp=now, headers={"X-Awal-Signature-256": "sha256=" + signature[7:].upper()})

    assert response.status_code == 200


def test_wrong_x_domain_is_401(awal, other_organization):
    response = awal.get("/contacts", headers={"X-Domain": other_organization.slug})

    assert_auth_failed(response, "X-Domain does not match the workspace of this client")


def test_missing_scope_is_403(api_client, organization, sender):
    credentials.create_hmac_client(
        organization=organization, name="Reader", client_id="reader", secret="reader-secret", scopes=["contacts:read"]
    )
    reader = AwalTestClient(api_client, "reader", "reader-secret", organization.slug)

    response = reader.create({"name": "Omar", "phone": "966501234568"})

    assert response.status_code == 403
    assert response.json() == error("permission_denied", "Missing permission contacts:create")
    assert not Contact.objects.exists()


# Read, list, update, delete.


def test_get_contact(awal, organization):
    group = ContactGroupFactory(organization=organization)
    contact = ContactFactory(organization=organization, phone="+966501112222", avatar_url="https://x.example/a.png")
    contact.groups.add(group)

    response = awal.get(f"/contacts/{contact.pk}")

    assert response.status_code == 200
    assert response.json() == {
        "status": True,
        "message": "Contact retrieved successfully",
        "data": contact_body(contact, contact_group_id=group.pk, avatar="https://x.example/a.png"),
    }


def test_list_contacts_with_pagination(awal, organization):
    contacts = [ContactFactory(organization=organization) for _ in range(3)]
    ContactFactory(organization=OrganizationFactory(slug="elsewhere"))

    response = awal.get("/contacts", query=f"phone_number_id={SENDER_ID}&page=2&per_page=2")

    assert response.status_code == 200
    assert response.json() == {
        "status": True,
        "message": "Contacts retrieved successfully",
        "data": [contact_body(contacts[0])],
        "meta": {"current_page": 2, "per_page": 2, "total": 3, "last_page": 2},
    }


def test_list_defaults_and_empty_page(awal):
    response = awal.get("/contacts", query="page=5")

    assert response.status_code == 200
    assert response.json() == {
        "status": True,
        "message": "Contacts retrieved successfully",
        "data": [],
        "meta": {"current_page": 5, "per_page": 15, "total": 0, "last_page": 1},
    }


def test_list_search_matches_name_email_and_phone_digits(awal, organization):
    ahmed = ContactFactory(organization=organization, name="Ahmed", email="a@example.com", phone="+966501230001")
    sara = ContactFactory(organization=organization, name="Sara", email="sara@corp.example", phone="+966501230002")
    ContactFactory(organization=organization, name="Zed", email="z@example.com", phone="+12125550000")

    by_name = awal.get("/contacts", query="search=ahm").json()["data"]
    by_email = awal.get("/contacts", query="search=corp.example").json()["data"]
    by_phone = awal.get("/contacts", query="search=9665012300").json()["data"]

    assert [c["id"] for c in by_name] == [ahmed.pk]
    assert [c["id"] for c in by_email] == [sara.pk]
    assert [c["id"] for c in by_phone] == [sara.pk, ahmed.pk]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("page=0", "page", "Ensure this value is greater than or equal to 1."),
        ("page=abc", "page", "A valid integer is required."),
        ("per_page=101", "per_page", "Ensure this value is less than or equal to 100."),
    ],
)
def test_list_with_bad_pagination_is_422(awal, query, field, message):
    response = awal.get("/contacts", query=query)

    assert response.status_code == 422
    assert response.json() == error("validation_failed", message, {field: message})


def test_list_query_count_does_not_grow_with_page_size(awal, organization, django_assert_max_num_queries):
    for index in range(30):
        contact = ContactFactory(organization=organization)
        if index % 2:
            contact.groups.add(ContactGroupFactory(organization=organization))

    # The first request of a minute also stamps the client's last use; measure after it.
    assert awal.get("/contacts").status_code == 200
    counts = []
    for per_page in (2, 30):
        with django_assert_max_num_queries(6) as captured:
            response = awal.get("/contacts", query=f"phone_number_id={SENDER_ID}&per_page={per_page}")
        assert response.status_code == 200
        assert len(response.json()["data"]) == per_page
        counts.append(len(captured.captured_queries))

    assert counts[0] == counts[1]


def test_patch_updates_given_fields_only(awal, organization):
    group = ContactGroupFactory(organization=organization)
    contact = ContactFactory(organization=organization, name="Old", email="old@example.com", phone="+966501112222")

    response = awal.patch(contact.pk, {"name": "New", "is_favorite": "true", "contact_group_id": str(group.pk)})

    assert response.status_code == 200
    contact.refresh_from_db()
    assert response.json() == {
        "status": True,
        "message": "Contact updated successfully",
        "data": contact_body(contact, name="New", is_favorite=True, contact_group_id=group.pk),
    }
    assert (contact.name, contact.email, contact.is_favorite) == ("New", "old@example.com", True)
    assert list(contact.groups.all()) == [group]


def test_patch_with_empty_values_clears_group_branch_and_avatar_url(awal, organization):
    contact = ContactFactory(
        organization=organization, branch=BranchFactory(organization=organization), avatar_url="https://x.example/a"
    )
    contact.groups.add(ContactGroupFactory(organization=organization))

    response = awal.patch(contact.pk, {"contact_group_id": "", "branch_id": "", "avatar": ""})

    assert response.status_code == 200
    assert response.json()["data"]["contact_group_id"] is None
    assert response.json()["data"]["avatar"] is None
    contact.refresh_from_db()
    assert (contact.branch, contact.avatar_url, contact.groups.count()) == (None, "", 0)


def test_patch_duplicate_phone_is_409_and_changes_nothing(awal, organization):
    ContactFactory(organization=organization, phone="+966501112222")
    contact = ContactFactory(organization=organization, name="Keep", phone="+966501113333")

    response = awal.patch(contact.pk, {"name": "Changed", "phone": "966501112222"})

    assert response.status_code == 409
    message = "A contact with this phone already exists"
    assert response.json() == error("resource_conflict", message, {"phone": message})
    contact.refresh_from_db()
    assert (contact.name, contact.phone_e164) == ("Keep", "+966501113333")


def test_patch_of_a_contact_deleted_meanwhile_is_404(awal, organization, monkeypatch):
    from contacts.api.dialects.awal import views

    contact = ContactFactory(organization=organization)
    real_update = views.update_contact

    def delete_first(target, **changes):
        Contact.objects.filter(pk=target.pk).delete()
        return real_update(target, **changes)

    monkeypatch.setattr(views, "update_contact", delete_first)

    response = awal.patch(contact.pk, {"name": "Late"})

    assert response.status_code == 404
    message = f"Contact {contact.pk} not found"
    assert response.json() == error("resource_not_found", message, {"id": message})


def test_patch_blank_name_is_422(awal, organization):
    contact = ContactFactory(organization=organization)

    response = awal.patch(contact.pk, {"name": ""})

    assert response.status_code == 422
    assert response.json() == error(
        "validation_failed", "This field may not be blank.", {"name": "This field may not be blank."}
    )


def test_delete_contact(awal, organization):
    contact = ContactFactory(organization=organization)

    response = awal.delete(f"/contacts/{contact.pk}")

    assert response.status_code == 200
    assert response.json() == {"status": True, "message": "Contact deleted successfully"}
    assert not Contact.objects.exists()


def test_accept_header_excluding_json_is_406(awal):
    response = awal.get("/contacts", headers={"Accept": "text/html"})

    assert response.status_code == 406
    assert response.json() == error("not_acceptable", "Could not satisfy the request Accept header.")


def test_request_id_header_matches_the_error_body(awal):
    response = awal.get("/contacts", headers={"X-Domain": None})

    assert response.status_code == 400
    assert response["X-Request-ID"] == response.json()["request_id"]


def test_unknown_contact_id_is_404(awal):
    response = awal.get("/contacts/999999")

    assert response.status_code == 404
    message = "Contact 999999 not found"
    assert response.json() == error("resource_not_found", message, {"id": message})


def test_unknown_path_is_404_in_awal_body(api_client):
    response = api_client.post("/awal/nowhere/at/all")

    assert response.status_code == 404
    assert response.json() == error("resource_not_found", "No Awal endpoint at POST /awal/nowhere/at/all")
    assert response["X-RateLimit-Limit"] == "100"
    assert "Allow" not in response


def test_non_integer_contact_id_is_404(awal):
    response = awal.get("/contacts/abc")

    assert response.status_code == 404
    assert response.json() == error("resource_not_found", "No Awal endpoint at GET /awal/contacts/abc")


@pytest.mark.parametrize(
    ("method", "path"), [("PUT", "/contacts/1"), ("DELETE", "/contacts"), ("OPTIONS", "/contacts")]
)
def test_undocumented_method_is_405(awal, method, path):
    response = awal.request(method, path)

    assert response.status_code == 405
    assert response.json() == error("method_not_allowed", f'Method "{method}" not allowed.')
    assert response["Allow"] == ("GET, PATCH, DELETE, HEAD" if path == "/contacts/1" else "GET, POST, HEAD")


# Organization scoping.


def test_branch_of_another_organization_is_422(awal, other_organization):
    branch = BranchFactory(organization=other_organization)

    response = awal.create({"name": "Omar", "phone": "966501234568", "branch_id": str(branch.pk)})

    assert response.status_code == 422
    message = f"Unknown branch: {branch.pk}"
    assert response.json() == error("validation_failed", message, {"branch_id": message})
    assert not Contact.objects.exists()


def test_group_of_another_organization_is_422(awal, other_organization):
    group = ContactGroupFactory(organization=other_organization)

    response = awal.create({"name": "Omar", "phone": "966501234568", "contact_group_id": str(group.pk)})

    assert response.status_code == 422
    message = f"Unknown contact group: {group.pk}"
    assert response.json() == error("validation_failed", message, {"contact_group_id": message})
    assert not Contact.objects.exists()


def test_sender_number_of_another_organization_is_404(awal, other_organization):
    SenderNumberFactory(organization=other_organization, external_id="777")

    response = awal.create({"name": "Omar", "phone": "966501234568"}, query="phone_number_id=777")

    assert response.status_code == 404
    message = "Unknown phone_number_id: 777"
    assert response.json() == error("resource_not_found", message, {"phone_number_id": message})
    assert not Contact.objects.exists()


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_contact_of_another_organization_is_404(awal, other_organization, method):
    foreign = ContactFactory(organization=other_organization, name="Theirs")

    response = awal.request(method, f"/contacts/{foreign.pk}", body=encode_form({"name": "Mine"}))

    assert response.status_code == 404
    message = f"Contact {foreign.pk} not found"
    assert response.json() == error("resource_not_found", message, {"id": message})
    foreign.refresh_from_db()
    assert foreign.name == "Theirs"


def test_list_shows_only_own_contacts(awal, organization, other_organization):
    mine = ContactFactory(organization=organization)
    ContactFactory(organization=other_organization)

    response = awal.get("/contacts")

    assert [c["id"] for c in response.json()["data"]] == [mine.pk]


# Rate limits.


def test_rate_limit_headers_on_success(awal):
    response = awal.get("/contacts")

    assert response["X-RateLimit-Limit"] == "200"
    assert response["X-RateLimit-Remaining"] == "199"
    assert abs(int(response["X-RateLimit-Reset"]) - (time.time() + 60)) <= 2


def test_rate_limit_headers_on_auth_failure_are_uncounted(awal):
    response = awal.create({"name": "Omar", "phone": "966501234568"}, headers={"X-Client-ID": "nobody"})

    assert response.status_code == 401
    assert response["X-RateLimit-Limit"] == "100"
    assert response["X-RateLimit-Remaining"] == "100"


def test_writes_over_the_limit_are_429(awal, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "awal_write": "2/min"},
    }
    first = awal.create({"name": "A", "phone": "966501234561"})
    second = awal.create({"name": "B", "phone": "966501234562"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert (first["X-RateLimit-Remaining"], second["X-RateLimit-Remaining"]) == ("1", "0")

    third = awal.create({"name": "C", "phone": "966501234563"})

    assert third.status_code == 429
    assert third.json() == {"error": "Rate limit exceeded", "message": "Too many requests. Retry in 60 seconds."}
    assert third["Retry-After"] == "60"
    assert (third["X-RateLimit-Limit"], third["X-RateLimit-Remaining"]) == ("2", "0")
    assert Contact.objects.count() == 2
    # Reads have their own budget.
    assert awal.get("/contacts").status_code == 200


def test_scopes_are_counted_per_client(awal, api_client, organization, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "awal_read": "1/min"},
    }
    credentials.create_hmac_client(organization=organization, name="Second", client_id="second", secret="second-secret")
    second = AwalTestClient(api_client, "second", "second-secret", organization.slug)

    assert awal.get("/contacts").status_code == 200
    assert awal.get("/contacts").status_code == 429
    assert second.get("/contacts").status_code == 200


def test_delete_uses_the_write_budget(awal, organization):
    contact = ContactFactory(organization=organization)

    response = awal.delete(f"/contacts/{contact.pk}")

    assert (response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]) == ("100", "99")
