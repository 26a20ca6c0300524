"""The admin's "Export selected contacts as CSV" on a searched and/or filtered list, as superuser and as
organization staff, with selected ids and with "select all" (select_across); and the `export_contacts` command
writing the same file for the same filters.

A searched list used to fail with a 500 on both databases: the search expression named the contact table in raw
SQL, which is an invalid reference once the list is nested as a subquery (the export's custom-field lookup does so).
"""

from __future__ import annotations

import datetime as dt
import itertools
from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from contacts.models import Contact, ContactGroup, CustomFieldType, Membership, Tag
from contacts.selectors.search import search_contacts
from contacts.services.contacts import create_contact
from contacts.services.exports import custom_field_keys
from tests.factories import (
    BranchFactory,
    ContactGroupFactory,
    CustomFieldFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:contacts_contact_changelist"

BASE_HEADER = (
    "id,uuid,name,full_name,phone,phone_valid,email,country,description,address,alias,contact_key,is_favorite,"
    "source,branch,team,assigned_user,tags,groups,note,created_at,updated_at"
)
# Acme defines `age` and `city`; Globex defines `region`.
ACME_HEADER = BASE_HEADER + ",cf:age,cf:city"
GLOBEX_HEADER = BASE_HEADER + ",cf:region"
ALL_HEADER = BASE_HEADER + ",cf:age,cf:city,cf:region"

# Every contact's row under each header, `{pk}` standing for its id. Contacts are created in this order, so
# rows come in this order (the export sorts by id).
ORDER = ("juan", "juana", "mary", "pedro", "globex")
ACME_ROWS = {
    "juan": "{pk},00000000-0000-4000-8000-000000000001,Juan,Juan Perez,+12124567801,true,juan@example.com,,,,"
    "juanito,,true,whatsapp,Riyadh,Support,agent@acme.test,VIP,Leads,,2026-03-01T10:00:00Z,"
    "2026-03-05T08:30:00.5Z,42,Lima",
    "juana": "{pk},00000000-0000-4000-8000-000000000002,Juana,,+12124567802,true,juana@example.com,,,,,,false,"
    "api,,,,cold|VIP,,,2026-03-02T11:00:00Z,2026-03-02T11:00:00Z,,Quito",
    "mary": "{pk},00000000-0000-4000-8000-000000000003,Mary,Mary Smith,+4479000000001,false,,,,,,K-3,false,sms,,,,"
    "cold,Leads,,2025-12-31T23:59:59Z,2025-12-31T23:59:59Z,,",
    "pedro": "{pk},00000000-0000-4000-8000-000000000004,Pedro,,,false,pedro@example.com,,,,,,false,import,Riyadh,"
    ",,,,,2026-02-10T09:15:00Z,2026-02-10T09:15:00Z,,",
}
GLOBEX_ROW = (
    "{pk},00000000-0000-4000-8000-000000000005,Juan,Juan Globex,+442071234567,true,,,,,,,false,api,,,,VIP,,,"
    "2026-03-03T12:00:00Z,2026-03-03T12:00:00Z,"
)
ROWS = {
    ACME_HEADER: ACME_ROWS,
    GLOBEX_HEADER: {"globex": GLOBEX_ROW + "North"},
    ALL_HEADER: {**{name: row + "," for name, row in ACME_ROWS.items()}, "globex": GLOBEX_ROW + ",,North"},
    BASE_HEADER: {},
}

STAMPS = {
    "juan": ("2026-03-01T10:00:00+00:00", "2026-03-05T08:30:00.500+00:00"),
    "juana": ("2026-03-02T11:00:00+00:00", "2026-03-02T11:00:00+00:00"),
    "mary": ("2025-12-31T23:59:59+00:00", "2025-12-31T23:59:59+00:00"),
    "pedro": ("2026-02-10T09:15:00+00:00", "2026-02-10T09:15:00+00:00"),
    "globex": ("2026-03-03T12:00:00+00:00", "2026-03-03T12:00:00+00:00"),
}


@pytest.fixture
def agent(organization):
    """Organization staff with the least privileged role that may export."""
    user = UserFactory(username="agent", email="agent@acme.test", is_staff=True)
    MembershipFactory(user=user, organization=organization, role=Membership.Role.AGENT)
    return user


@pytest.fixture
def root(db):
    return UserFactory(username="root", email="root@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def people(organization, other_organization, agent) -> dict[str, Contact]:
    CustomFieldFactory(organization=organization, key="city")
    CustomFieldFactory(organization=organization, key="age", field_type=CustomFieldType.NUMBER)
    CustomFieldFactory(organization=other_organization, key="region")
    ContactGroupFactory(organization=organization, name="Leads")
    riyadh = BranchFactory(organization=organization, name="Riyadh")
    support = TeamFactory(organization=organization, name="Support")
    contacts = {
        "juan": create_contact(
            organization=organization,
            name="Juan",
            full_name="Juan Perez",
            phone="+12124567801",
            email="juan@example.com",
            alias="juanito",
            is_favorite=True,
            source="whatsapp",
            branch=riyadh,
            team=support,
            assigned_user=agent,
            tags=["VIP"],
            groups=["Leads"],
            custom_fields={"city": "Lima", "age": 42},
        ),
        "juana": create_contact(
            organization=organization,
            name="Juana",
            phone="+12124567802",
            email="juana@example.com",
            tags=["VIP", "cold"],
            custom_fields={"city": "Quito"},
        ),
        "mary": create_contact(
            organization=organization,
            name="Mary",
            full_name="Mary Smith",
            phone="4479000000001",
            contact_key="K-3",
            source="sms",
            tags=["cold"],
            groups=["Leads"],
        ),
        "pedro": create_contact(
            organization=organization, name="Pedro", email="pedro@example.com", source="import", branch=riyadh
        ),
        # Another tenant's contact, matching the search "juan", with a tag of the same name as Acme's.
        "globex": create_contact(
            organization=other_organization,
            name="Juan",
            full_name="Juan Globex",
            phone="+442071234567",
            tags=["VIP"],
            custom_fields={"region": "North"},
        ),
    }
    for number, name in enumerate(ORDER, start=1):
        created, updated = STAMPS[name]
        Contact.objects.filter(pk=contacts[name].pk).update(
            uuid=f"00000000-0000-4000-8000-{number:012d}",
            created_at=dt.datetime.fromisoformat(created),
            updated_at=dt.datetime.fromisoformat(updated),
        )
    return contacts


def expected_csv(people: dict[str, Contact], names: set[str], header: str) -> str:
    lines = [header] + [ROWS[header][name].format(pk=people[name].pk) for name in ORDER if name in names]
    return "\n".join(lines) + "\n"


def superuser_header(names: set[str]) -> str:
    """A superuser's export has the custom fields of the organizations whose contacts it holds."""
    if "globex" in names:
        return ALL_HEADER if names - {"globex"} else GLOBEX_HEADER
    return ACME_HEADER if names else BASE_HEADER


def export(client: Client, params: dict[str, str], ids: list[int], *, select_across: bool):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    data = {"action": "export_csv", ACTION_CHECKBOX_NAME: ids, "index": 0, "select_across": int(select_across)}
    url = reverse(CHANGELIST)
    return client.post(f"{url}?{query}" if query else url, data)


def body_of(response) -> str:
    assert response.status_code == 200, response.content[:2000]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    return b"".join(response.streaming_content).decode()


def logged_in(user) -> Client:
    # A server error raises in the test instead of being rendered as a 500 page, so its cause is reported.
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


# Each filter of the changelist (and the search box): its query parameters, and which contacts it keeps for the
# Acme agent and for a superuser. `{...}` in a value is filled with the fixture row's id.
FILTERS = {
    "search name": ({"q": "juan"}, {"juan", "juana"}, {"juan", "juana", "globex"}),
    "search two words": ({"q": "GLOBEX+juan"}, set(), {"globex"}),
    "search email": ({"q": "example.com"}, {"juan", "juana", "pedro"}, {"juan", "juana", "pedro"}),
    "search phone": ({"q": "(212)+456-7801"}, {"juan"}, {"juan"}),
    "tag": ({"tags__id__exact": "{vip}"}, {"juan", "juana"}, {"juan", "juana"}),
    "group": ({"groups__id__exact": "{leads}"}, {"juan", "mary"}, {"juan", "mary"}),
    "branch": ({"branch__id__exact": "{riyadh}"}, {"juan", "pedro"}, {"juan", "pedro"}),
    "team": ({"team__id__exact": "{support}"}, {"juan"}, {"juan"}),
    "assigned user": ({"assigned_user__id__exact": "{agent}"}, {"juan"}, {"juan"}),
    "source": ({"source__exact": "api"}, {"juana"}, {"juana", "globex"}),
    "favorite": ({"is_favorite__exact": "0"}, {"juana", "mary", "pedro"}, {"juana", "mary", "pedro", "globex"}),
    "phone valid": ({"phone_valid__exact": "1"}, {"juan", "juana"}, {"juan", "juana", "globex"}),
    "created at": (
        {"created_at__gte": "2026-01-01+00:00:00%2B00:00", "created_at__lt": "2026-03-03+00:00:00%2B00:00"},
        {"juan", "juana", "pedro"},
        {"juan", "juana", "pedro"},
    ),
    # Superusers only have this filter; for staff the parameter still cannot reach past their organization.
    "organization": ({"organization__id__exact": "{globex_org}"}, set(), {"globex"}),
}
# There is one search box: pairs are two filters, or the search and a filter.
PAIRS = [pair for pair in itertools.combinations(FILTERS, 2) if not all(name.startswith("search") for name in pair)]


def filled(params: dict[str, str], people: dict[str, Contact]) -> dict[str, str]:
    acme = people["juan"].organization
    ids = {
        "vip": Tag.objects.get(organization=acme, name="VIP").pk,
        "cold": Tag.objects.get(organization=acme, name="cold").pk,
        "leads": ContactGroup.objects.get(organization=acme, name="Leads").pk,
        "riyadh": people["juan"].branch_id,
        "support": people["juan"].team_id,
        "agent": people["juan"].assigned_user_id,
        "globex_org": people["globex"].organization_id,
    }
    return {key: value.format(**ids) for key, value in params.items()}


def combined(names: tuple[str, ...]) -> tuple[dict[str, str], set[str], set[str]]:
    params: dict[str, str] = {}
    staff: set[str] = set(ORDER)
    superuser: set[str] = set(ORDER)
    for name in names:
        filter_params, filter_staff, filter_superuser = FILTERS[name]
        params.update(filter_params)
        staff &= filter_staff
        superuser &= filter_superuser
    return params, staff, superuser


def test_the_search_expression_is_the_indexed_one_and_is_requalified_in_a_subquery(db):
    searched = search_contacts(Contact.objects.all(), "juan", regions=["US"])

    top_level, _ = searched.query.sql_with_params()
    nested = str(Contact.objects.filter(pk__in=searched.values("pk")).query)

    # Migration 0004's index expression over the table's columns, so PostgreSQL can use the trigram index.
    assert (
        """UPPER(COALESCE("contacts_contact"."name", '') || ' ' || COALESCE("contacts_contact"."full_name", '') """
        """|| ' ' || COALESCE("contacts_contact"."email", '') || ' ' || COALESCE("contacts_contact"."alias", '') """
        """|| ' ' || COALESCE("contacts_contact"."contact_key", ''))"""
    ) in top_level
    assert (
        """UPPER(COALESCE(U0."name", '') || ' ' || COALESCE(U0."full_name", '') || ' ' || COALESCE(U0."email", '') """
        """|| ' ' || COALESCE(U0."alias", '') || ' ' || COALESCE(U0."contact_key", ''))"""
    ) in nested


def test_a_searched_queryset_runs_inside_another_query(people):
    """The root cause, at the service: a searched queryset nested in another query compiles and runs."""
    searched = search_contacts(Contact.objects.all(), "juan", regions=["US"])

    assert custom_field_keys(searched) == ["age", "city", "region"]
    assert sorted(Contact.objects.filter(pk__in=searched.values("pk")).values_list("full_name", flat=True)) == [
        "",
        "Juan Globex",
        "Juan Perez",
    ]


@pytest.mark.parametrize("select_across", [True, False], ids=["select_across", "selected_ids"])
@pytest.mark.parametrize("names", [(name,) for name in FILTERS] + PAIRS, ids=" + ".join)
def test_agent_exports_the_searched_and_filtered_list(people, agent, names, select_across):
    params, keep, _ = combined(names)
    if select_across:
        # The page's checkboxes are sent too; "select all" exports every match regardless.
        ids, expected = [people["mary"].pk], keep
    else:
        # Juana is not ticked; Globex's contact is ticked but is not the agent's to export.
        ids = [people[name].pk for name in ORDER if name != "juana"]
        expected = keep - {"juana"}

    body = body_of(export(logged_in(agent), filled(params, people), ids, select_across=select_across))

    assert body == expected_csv(people, expected, ACME_HEADER)


@pytest.mark.parametrize("select_across", [True, False], ids=["select_across", "selected_ids"])
@pytest.mark.parametrize("names", [(name,) for name in FILTERS] + PAIRS, ids=" + ".join)
def test_superuser_exports_the_searched_and_filtered_list(people, root, names, select_across):
    params, _, keep = combined(names)
    if select_across:
        ids, expected = [people["mary"].pk], keep
    else:
        ids = [people[name].pk for name in ORDER if name != "juana"]
        expected = keep - {"juana"}

    body = body_of(export(logged_in(root), filled(params, people), ids, select_across=select_across))

    assert body == expected_csv(people, expected, superuser_header(expected))


def test_three_filters_and_a_search_together(people, agent, root):
    params = filled(
        {"q": "example.com", "tags__id__exact": "{vip}", "groups__id__exact": "{leads}", "phone_valid__exact": "1"},
        people,
    )
    for user in (agent, root):
        body = body_of(export(logged_in(user), params, [people["pedro"].pk], select_across=True))

        assert body == expected_csv(people, {"juan"}, ACME_HEADER), user.username


def test_another_organizations_tag_filters_the_agents_list_to_nothing(people, agent):
    globex_vip = Tag.objects.get(organization=people["globex"].organization, name="VIP")

    body = body_of(
        export(
            logged_in(agent),
            {"q": "juan", "tags__id__exact": str(globex_vip.pk)},
            [people["juan"].pk],
            select_across=True,
        )
    )

    assert body == ACME_HEADER + "\n"


def test_nothing_selected_is_a_message_not_an_export(people, agent):
    client = logged_in(agent)

    response = export(client, {"q": "juan"}, [], select_across=False)

    assert response.status_code == 302
    assert response["Location"] == "/admin/contacts/contact/?q=juan"
    messages = [str(message) for message in client.get(response["Location"]).context["messages"]]
    assert messages == ["Items must be selected in order to perform actions on them. No items have been changed."]


# -- The command writes the same file as the admin for the same filters ------------------------------------------

# (command arguments, the admin's filters for the same list or None where the admin has no such filter, contacts)
COMMAND_CASES = [
    (["--tag", "vip"], {"tags__id__exact": "{vip}"}, {"juan", "juana"}),
    (["--group", "Leads"], {"groups__id__exact": "{leads}"}, {"juan", "mary"}),
    (["--source", "sms"], {"source__exact": "sms"}, {"mary"}),
    (["--valid-phones"], {"phone_valid__exact": "1"}, {"juan", "juana"}),
    (["--created-since", "2026-03-02"], {"created_at__gte": "2026-03-02+00:00:00%2B00:00"}, {"juana"}),
    (["--tag", "cold", "--group", "Leads"], {"tags__id__exact": "{cold}", "groups__id__exact": "{leads}"}, {"mary"}),
    (
        ["--tag", "VIP", "--valid-phones", "--created-since", "2026-01-01"],
        {"tags__id__exact": "{vip}", "phone_valid__exact": "1", "created_at__gte": "2026-01-01+00:00:00%2B00:00"},
        {"juan", "juana"},
    ),
    (["--updated-since", "2026-03-04T00:00:00Z"], None, {"juan"}),
    (["--source", "email"], {"source__exact": "email"}, set()),
]


@pytest.mark.parametrize(("args", "admin_params", "names"), COMMAND_CASES, ids=lambda value: None)
def test_export_command_writes_what_the_admin_exports(people, agent, args, admin_params, names):
    out = StringIO()

    call_command("export_contacts", "--org", "acme", *args, stdout=out)

    assert out.getvalue() == expected_csv(people, names, ACME_HEADER)
    if admin_params is not None:
        response = export(logged_in(agent), filled(admin_params, people), [people["mary"].pk], select_across=True)
        assert body_of(response) == out.getvalue()
