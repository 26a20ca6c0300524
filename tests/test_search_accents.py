"""Searches ignore the case of every letter, not only of ASCII ones, on SQLite as on PostgreSQL: "Pérez",
"pérez" and "PÉREZ" find Juan Pérez in the admin and in every dialect's search. SQLite's own UPPER() and LIKE
fold ASCII only, so before contacts/db.py these found nothing there.

The admin's phone search also finds part of a number and a number typed nationally in the organization's region.
On PostgreSQL both searches are answered from the trigram indexes (migrations 0004 and 0008)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from contacts.models import Contact, Tag
from contacts.models.credentials import ALL_SCOPES
from contacts.selectors.search import search_contacts
from contacts.services import credentials
from contacts.services.contacts import create_contact
from tests.dialects.base import Awal
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:contacts_contact_changelist"
PEREZ = ["Pérez", "pérez", "PÉREZ"]


@pytest.fixture
def people(organization):
    """Juan Pérez (Contactship-style: only a full name), María Gómez (Callbell-style: only a name), Ольга Иванова
    (Cyrillic, an alias) and a control that no accented search may find."""
    return {
        "perez": create_contact(
            organization=organization,
            full_name="Juan Pérez",
            phone="+12124567890",
            # Upper-case accented letters stored: SQLite's LOWER() and LIKE leave them as they are.
            email="juan@PÉREZ.mx",
            contact_key="juan@pérez.mx",
            tags=["ATENCIÓN"],
        ),
        "gomez": create_contact(organization=organization, name="María Gómez", phone="+12125550111"),
        "ivanova": create_contact(organization=organization, name="Ольга Иванова", alias="ОЛЯ", phone="+12125550122"),
        "control": create_contact(
            organization=organization, name="Ana Lopez", phone="+12125550133", email="ana@example.com"
        ),
    }


def admin_search(client: Client, term: str) -> list[str]:
    response = client.get(reverse(CHANGELIST), {"q": term})
    assert response.status_code == 200
    return [str(contact) for contact in response.context["cl"].result_list]


# --- admin -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("term", PEREZ)
def test_admin_search_finds_perez_in_any_case(staff_client, organization, people, term):
    assert admin_search(staff_client, term) == ["Juan Pérez"]


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("gómez", ["María Gómez"]),
        ("MARÍA GÓMEZ", ["María Gómez"]),
        ("иванова", ["Ольга Иванова"]),
        ("ИВАНОВА ольга", ["Ольга Иванова"]),
        ("оля", ["Ольга Иванова"]),
        ("JUAN@PÉREZ.MX", ["Juan Pérez"]),
        ("pérez lopez", []),
    ],
)
def test_admin_search_folds_every_letter_of_every_word(staff_client, organization, people, term, found):
    assert admin_search(staff_client, term) == found


@pytest.mark.parametrize("term", ["212456", "4567890", "(212) 456", "+1 212 456", "001 212 456"])
def test_admin_search_finds_part_of_a_phone_number(staff_client, organization, people, term):
    assert admin_search(staff_client, term) == ["Juan Pérez"]


def test_admin_search_needs_six_digits_for_a_partial_number(staff_client, organization, people):
    # "21245" is in no name, and five digits would match too many numbers to be a search.
    assert admin_search(staff_client, "21245") == []


@pytest.mark.parametrize("term", ["07911 123456", "07911123456", "+44 7911 123456", "447911123456"])
def test_admin_search_reads_a_national_number_in_the_organizations_region(staff_client, other_organization, term):
    create_contact(organization=other_organization, name="Gwen Jones", phone="+447911123456")
    create_contact(organization=other_organization, name="Someone Else", phone="+447911123457")
    assert other_organization.default_region == "GB"

    assert admin_search(staff_client(other_organization, username="gwen"), term) == ["Gwen Jones"]


def test_admin_search_stays_in_the_staff_members_organization(staff_client, organization, other_organization, people):
    create_contact(organization=other_organization, full_name="Juan Pérez", phone="+12124567890")

    found = search_contacts(Contact.objects.filter(organization=organization), "PÉREZ", regions=["US"])
    assert list(found.values_list("organization__slug", "full_name")) == [("acme", "Juan Pérez")]
    assert admin_search(staff_client, "PÉREZ") == ["Juan Pérez"]


# --- dialects ----------------------------------------------------------------------------------------------------


@pytest.fixture
def api_key(organization):
    return make_api_key(organization)[1]


@pytest.mark.parametrize("term", PEREZ)
def test_contactship_full_name_filter_finds_perez_in_any_case(people, api_key, term):
    response = APIClient().get("/contactship/v1/contacts", {"full_name": term}, HTTP_X_API_KEY=api_key)
    assert response.status_code == 200
    assert [contact["full_name"] for contact in response.json()] == ["Juan Pérez"]


def test_contactship_full_name_filter_folds_the_name_it_falls_back_to(people, api_key):
    response = APIClient().get("/contactship/v1/contacts", {"full_name": "GÓMEZ"}, HTTP_X_API_KEY=api_key)
    assert response.status_code == 200
    assert [contact["full_name"] for contact in response.json()] == ["María Gómez"]


@pytest.mark.parametrize("term", ["@pérez.mx", "@PÉREZ.MX", "Juan@Pérez"])
def test_contactship_email_filter_finds_accented_domains_in_any_case(people, api_key, term):
    response = APIClient().get("/contactship/v1/contacts", {"email": term}, HTTP_X_API_KEY=api_key)
    assert response.status_code == 200
    assert [contact["email"] for contact in response.json()] == ["juan@PÉREZ.mx"]


def test_contactship_get_by_email_ignores_case(people, api_key):
    response = APIClient().get(
        "/contactship/v1/contacts/Juan@pérez.MX", {"identifierType": "email"}, HTTP_X_API_KEY=api_key
    )
    assert response.status_code == 200
    assert response.json()["id"] == str(people["perez"].uuid)


@pytest.mark.parametrize("term", PEREZ)
def test_awal_search_finds_perez_in_any_case(organization, people, term):
    awal = Awal.authenticate(APIClient(), organization)
    response = awal.get("/contacts", query=urlencode({"search": term}))
    assert response.status_code == 200
    body = response.json()
    assert [contact["name"] for contact in body["data"]] == ["Juan Pérez"]
    assert body["meta"] == {"current_page": 1, "per_page": 15, "total": 1, "last_page": 1}


@pytest.mark.parametrize("tag", ["Atención", "atención", "ATENCIÓN"])
def test_callbell_tag_filter_ignores_the_case_of_accented_letters(people, api_key, tag):
    response = APIClient().get("/callbell/v1/contacts", {"tags": tag}, HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert response.status_code == 200
    assert [contact["name"] for contact in response.json()["contacts"]] == ["Juan Pérez"]


@pytest.mark.parametrize("address", ["juan@pérez.mx", "JUAN@PÉREZ.MX", "Juan@Pérez.Mx"])
def test_sfmc_email_search_ignores_the_case_of_accented_letters(organization, people, address):
    client, _ = credentials.create_oauth_client(organization=organization, name="SFMC", client_id="s", secret="s")
    _, token = credentials.issue_access_token(client, scopes=ALL_SCOPES, scope_text="")
    response = APIClient().post(
        "/sfmc/contacts/v1/addresses/email/search",
        {"channelAddressList": [address], "maximumCount": 5},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200
    [entity] = response.json()["channelAddressResponseEntities"]
    assert entity["channelAddress"] == address
    assert [detail["contactKey"] for detail in entity["contactKeyDetails"]] == ["juan@pérez.mx"]


# --- PostgreSQL: the searches stay on their indexes --------------------------------------------------------------


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname IN ('contact_search_trgm', 'contact_phone_trgm')"
        )
        if len(cursor.fetchall()) < 2:
            pytest.skip("pg_trgm is not available on this server")
        cursor.execute("ANALYZE contacts_contact")
        # A test-sized table is cheaper to scan; the question is whether the indexes can serve the search at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(line for (line,) in cursor.fetchall())


@pytest.mark.postgres
def test_accented_search_uses_the_trigram_index(organization, people):
    plan = plan_of(search_contacts(Contact.objects.all(), "pérez", regions=["US"]))
    assert "Bitmap Index Scan on contact_search_trgm" in plan, plan
    assert "'%PÉREZ%'" in plan, plan


@pytest.mark.postgres
def test_partial_phone_search_uses_the_phone_trigram_index(organization, people):
    plan = plan_of(search_contacts(Contact.objects.all(), "212456", regions=["US"]))
    assert "Bitmap Index Scan on contact_search_trgm" in plan, plan
    assert "Bitmap Index Scan on contact_phone_trgm" in plan, plan
    assert "Seq Scan" not in plan, plan


@pytest.mark.parametrize("tag", ["atención", "Atención"])
def test_a_tag_named_in_another_case_of_accented_letters_is_the_same_tag(organization, people, api_key, tag):
    # Callbell requires tags to exist: "ATENCIÓN" exists, so any case of it must be found, not a 422.
    response = APIClient().post(
        "/callbell/v1/contacts",
        {"identifier": "12125550199", "source": "whatsapp", "name": "Ana", "tags": [tag]},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
    )

    assert response.status_code == 200, response.content
    assert response.json()["contact"][0]["tags"] == ["ATENCIÓN"]
    assert Tag.objects.filter(organization=organization).count() == 1


@pytest.mark.postgres
def test_the_phone_trigram_index_is_on_the_digits_not_on_the_phone_column(organization):
    """Built on the `phone` column, PostgreSQL could (and after ANALYZE on a large table did) answer the importer's
    `phone = ANY(...)` through it instead of the unique index: 17 s per batch of 1,000 instead of milliseconds.
    On an expression, only the partial phone search (which uses the same expression) can use it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'contact_phone_trgm'")
        row = cursor.fetchone()
    if row is None:
        pytest.skip("pg_trgm is not available on this server")
    assert 'USING gin ("substring"((phone)::text, 2) gin_trgm_ops)' in row[0], row[0]
