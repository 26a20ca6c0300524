"""Every dialect's list endpoint answers in a constant number of queries: the views load what their serializers read
(tags, team, assigned user, first group, custom field types) and the serializers run no query of their own. The
same page is listed with 2 and with 10 contacts, each with tags, groups, custom fields, a team and a member."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from contacts.services.contacts import create_contact
from tests.dialects.base import Awal
from tests.factories import (
    ContactGroupFactory,
    CustomFieldFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
    make_api_key,
)

pytestmark = pytest.mark.django_db


def add_contacts(organization, count: int, start: int = 0) -> None:
    team = TeamFactory(organization=organization, name=f"Team {start}")
    user = UserFactory(username=f"agent{start}", email=f"agent{start}@example.test")
    MembershipFactory(user=user, organization=organization)
    groups = [ContactGroupFactory(organization=organization, name=f"Group {start}-{n}") for n in range(2)]
    for n in range(start, start + count):
        create_contact(
            organization=organization,
            name=f"Person {n}",
            full_name=f"Person Number {n}",
            phone=f"+1212555{n:04d}",
            email=f"person{n}@example.com",
            tags=[f"tag-{n}", "VIP"],
            groups=groups,
            team=team,
            assigned_user=user,
            custom_fields={"plan": f"plan {n}", "seats": str(n)},
        )


@pytest.fixture
def catalogue(organization):
    CustomFieldFactory(organization=organization, key="plan")
    CustomFieldFactory(organization=organization, key="seats")


def queries_for(list_page, organization, expected_rows: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        rows = list_page()
    assert rows == expected_rows
    return len(captured)


def mobivate(organization):
    secret = make_api_key(organization)[1]
    client = APIClient()

    def list_page() -> int:
        response = client.get("/mobivate/addressbook/contacts", {"limit": 50}, HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert response.status_code == 200, response.content
        return len(response.json()["records"])

    return list_page


def contactship(organization):
    secret = make_api_key(organization)[1]
    client = APIClient()

    def list_page() -> int:
        response = client.get("/contactship/v1/contacts", {"email": "example.com"}, HTTP_X_API_KEY=secret)
        assert response.status_code == 200, response.content
        return len(response.json())

    return list_page


def callbell(organization):
    secret = make_api_key(organization)[1]
    client = APIClient()

    def list_page() -> int:
        response = client.get("/callbell/v1/contacts", {"tags": "vip"}, HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert response.status_code == 200, response.content
        return len(response.json()["contacts"])

    return list_page


def awal(organization):
    client = Awal.authenticate(APIClient(), organization)

    def list_page() -> int:
        response = client.get("/contacts", query="search=person&per_page=50")
        assert response.status_code == 200, response.content
        return len(response.json()["data"])

    return list_page


# The most each list may cost in the test suite, whatever the number of contacts on the page.
@pytest.mark.parametrize(
    ("dialect", "most"),
    [(mobivate, 5), (contactship, 5), (callbell, 5), (awal, 5)],
    ids=["mobivate", "contactship", "callbell", "awal"],
)
def test_list_queries_do_not_grow_with_the_contacts_listed(
    organization, catalogue, django_assert_max_num_queries, dialect, most
):
    list_page = dialect(organization)
    add_contacts(organization, 2)
    list_page()  # the credential's last-used stamp, written at most once a minute, is not the list's cost
    few = queries_for(list_page, organization, 2)

    add_contacts(organization, 8, start=100)
    with django_assert_max_num_queries(most):
        many = queries_for(list_page, organization, 10)

    assert many == few
