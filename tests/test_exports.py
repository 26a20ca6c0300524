"""CSV export (contacts/services/exports.py) and the export_contacts command; export → import round trip."""

from __future__ import annotations

import datetime as dt
import io
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from contacts.models import Contact, CustomFieldType
from contacts.services.contacts import create_contact
from contacts.services.exports import stream_contacts_csv
from contacts.services.imports import ImportOptions, import_contacts
from tests.factories import (
    BranchFactory,
    ContactFactory,
    ContactGroupFactory,
    CustomFieldFactory,
    MembershipFactory,
    TagFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEADER = (
    "id,uuid,name,full_name,phone,phone_valid,email,country,description,address,alias,contact_key,is_favorite,"
    "source,branch,team,assigned_user,tags,groups,note,created_at,updated_at"
)


def masked(text: str) -> str:
    """Timestamps and uuids vary per run; everything else is compared exactly."""
    assert TIMESTAMP.search(text) or "\n" not in text.rstrip("\n")
    return UUID.sub("<uuid>", TIMESTAMP.sub("<ts>", text))


@pytest.fixture
def vocabulary(organization):
    CustomFieldFactory(organization=organization, key="CITY")
    CustomFieldFactory(organization=organization, key="age", field_type=CustomFieldType.NUMBER)
    CustomFieldFactory(organization=organization, key="vip", field_type=CustomFieldType.BOOLEAN)
    CustomFieldFactory(
        organization=organization, key="interests", field_type=CustomFieldType.MULTICHOICE, choices=["sms", "email"]
    )
    ContactGroupFactory(organization=organization, name="Customers")
    ContactGroupFactory(organization=organization, name="Leads")
    agent = UserFactory(email="agent@acme.test")
    MembershipFactory(user=agent, organization=organization)
    return {
        "branch": BranchFactory(organization=organization, name="Riyadh"),
        "team": TeamFactory(organization=organization, name="Support"),
        "agent": agent,
    }


def populate(organization, vocabulary) -> list[Contact]:
    first = create_contact(
        organization=organization,
        name="Juan",
        full_name="Juan Pérez",
        phone="+12124567890",
        email="juan@example.com",
        description='Said "hola",\nthen left',
        alias="juan",
        is_favorite=True,
        source="whatsapp",
        branch=vocabulary["branch"],
        team=vocabulary["team"],
        assigned_user=vocabulary["agent"],
        tags=["VIP", "call back"],
        groups=["Leads", "Customers"],
        custom_fields={"CITY": "Ciudad de México", "age": 42, "vip": True, "interests": ["sms", "email"]},
        create_missing_groups=False,
    )
    second = create_contact(
        organization=organization, name="Mary", phone="4479000000001", tags=["Smith, Jones"], contact_key="K-2"
    )
    return [first, second]


def test_export_writes_every_field_custom_fields_as_columns_and_joins_tags_and_groups(organization, vocabulary):
    first, second = populate(organization, vocabulary)
    ContactFactory()  # another organization's contact is not exported

    body = "".join(stream_contacts_csv(Contact.objects.filter(organization=organization), organization=organization))

    assert masked(body) == (
        f"{HEADER},cf:CITY,cf:age,cf:interests,cf:vip\n"
        f'{first.pk},<uuid>,Juan,Juan Pérez,+12124567890,true,juan@example.com,,"Said ""hola"",\nthen left",,juan,,'
        "true,whatsapp,Riyadh,Support,agent@acme.test,call back|VIP,Customers|Leads,,<ts>,<ts>,"
        'Ciudad de México,42,"[""sms"", ""email""]",true\n'
        f'{second.pk},<uuid>,Mary,,+4479000000001,false,,,,,,K-2,false,api,,,,"Smith, Jones|",,,<ts>,<ts>,,,,\n'
    )


@pytest.mark.parametrize("datestyle", [None, "'SQL, DMY'"])
def test_timestamps_are_utc_iso_8601_without_trailing_zeros(organization, datestyle):
    first = ContactFactory(organization=organization)
    second = ContactFactory(organization=organization)
    Contact.objects.filter(pk=first.pk).update(
        created_at=dt.datetime(2026, 11, 23, 14, 5, 4, 123400, tzinfo=dt.timezone(dt.timedelta(hours=3))),
        updated_at=dt.datetime(2026, 11, 23, 10, 0, 0, 0, tzinfo=dt.UTC),
    )
    Contact.objects.filter(pk=second.pk).update(
        created_at=dt.datetime(2026, 1, 2, 3, 4, 50, 1, tzinfo=dt.UTC),
        updated_at=dt.datetime(2026, 1, 2, 3, 4, 50, 100000, tzinfo=dt.UTC),
    )

    if datestyle and connection.vendor != "postgresql":
        pytest.skip("DateStyle is PostgreSQL's")
    if datestyle:
        with connection.cursor() as cursor:
            cursor.execute(f"SET DateStyle = {datestyle}")  # undone with the test's transaction

    body = "".join(stream_contacts_csv(Contact.objects.filter(organization=organization), organization=organization))

    stamps = [line.split(",")[20:22] for line in body.splitlines()[1:]]
    assert stamps == [
        ["2026-11-23T11:05:04.1234Z", "2026-11-23T10:00:00Z"],
        ["2026-01-02T03:04:50.000001Z", "2026-01-02T03:04:50.1Z"],
    ]


def test_an_organization_without_contacts_exports_the_header_only(organization):
    body = "".join(stream_contacts_csv(Contact.objects.filter(organization=organization), organization=organization))

    assert body == HEADER + "\n"


def test_export_is_a_stream_with_a_constant_number_of_queries(organization, django_assert_max_num_queries):
    tags = [TagFactory(organization=organization, name=name) for name in ("a", "b")]
    group = ContactGroupFactory(organization=organization)
    for index in range(30):
        contact = ContactFactory(organization=organization, phone=f"+1212555{index:04d}")
        contact.tags.add(*tags)
        contact.groups.add(group)
    queryset = Contact.objects.filter(organization=organization)
    budgets = []
    for chunk_size in (5, 30):
        with django_assert_max_num_queries(100) as captured:
            pieces = list(stream_contacts_csv(queryset, organization=organization, chunk_size=chunk_size))
        budgets.append(len(captured))
        assert sum(piece.count("\n") for piece in pieces) == 31
    # The PostgreSQL COPY stream is one query whatever the size; elsewhere 3 queries per chunk.
    assert budgets[0] <= 3 + 3 * (30 // 5)
    assert budgets[1] <= 3 + 3


def test_reimporting_an_export_is_a_no_op_in_upsert_mode(organization, vocabulary):
    populate(organization, vocabulary)
    before = list(
        Contact.objects.filter(organization=organization)
        .order_by("id")
        .values_list("id", "name", "phone", "custom_fields", "custom_field_order", "updated_at", "is_favorite")
    )
    tags_before = sorted(Contact.tags.through.objects.values_list("contact_id", "tag_id"))
    exported = "".join(stream_contacts_csv(Contact.objects.filter(organization=organization)))

    report = StringIO()
    result = import_contacts(organization, io.BytesIO(exported.encode()), ImportOptions(), error_report=report)

    assert report.getvalue() == ""
    assert (result.rows, result.created, result.updated, result.unchanged, result.rejected) == (2, 0, 0, 2, 0)
    assert result.ignored_columns == ["id", "uuid", "phone_valid", "created_at", "updated_at"]
    after = list(
        Contact.objects.filter(organization=organization)
        .order_by("id")
        .values_list("id", "name", "phone", "custom_fields", "custom_field_order", "updated_at", "is_favorite")
    )
    assert after == before
    assert sorted(Contact.tags.through.objects.values_list("contact_id", "tag_id")) == tags_before


def test_an_export_imports_into_another_organization_as_the_same_contacts(organization, other_organization, vocabulary):
    populate(organization, vocabulary)
    exported = "".join(stream_contacts_csv(Contact.objects.filter(organization=organization)))
    for key, kind in (("CITY", "text"), ("age", "number"), ("vip", "boolean")):
        CustomFieldFactory(organization=other_organization, key=key, field_type=kind)
    CustomFieldFactory(
        organization=other_organization,
        key="interests",
        field_type=CustomFieldType.MULTICHOICE,
        choices=["sms", "email"],
    )
    ContactGroupFactory(organization=other_organization, name="Leads")
    ContactGroupFactory(organization=other_organization, name="Customers")

    report = StringIO()
    result = import_contacts(
        other_organization,
        io.BytesIO(exported.encode()),
        ImportOptions(mapping={"branch": "ignore", "team": "ignore", "assigned_user": "ignore"}),
        error_report=report,
    )

    assert report.getvalue() == ""
    assert result.created == 2
    copy = Contact.objects.get(organization=other_organization, alias="juan")
    assert copy.custom_fields == {"CITY": "Ciudad de México", "age": 42, "vip": True, "interests": ["sms", "email"]}
    assert sorted(copy.tags.values_list("name", flat=True)) == ["VIP", "call back"]
    assert sorted(copy.groups.values_list("name", flat=True)) == ["Customers", "Leads"]
    assert copy.description == 'Said "hola",\nthen left'
    assert list(
        Contact.objects.get(organization=other_organization, contact_key="K-2").tags.values_list("name", flat=True)
    ) == ["Smith, Jones"]


# -- The command ---------------------------------------------------------------------------------------------


def test_export_command_filters_and_writes_a_file(organization, vocabulary, tmp_path):
    populate(organization, vocabulary)
    output = tmp_path / "out.csv"

    call_command("export_contacts", "--org", "acme", "--tag", "vip", "-o", str(output))

    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"{HEADER},cf:CITY,cf:age,cf:interests,cf:vip"
    assert [line.split(",")[2] for line in lines[1:] if line[:1].isdigit()] == ["Juan"]


def test_export_command_to_stdout_with_source_and_date_filters(organization, vocabulary):
    populate(organization, vocabulary)
    out = StringIO()

    call_command("export_contacts", "--org", "acme", "--source", "api", "--created-since", "2000-01-01", stdout=out)

    assert [line.split(",")[2] for line in out.getvalue().splitlines()[1:]] == ["Mary"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nope"], "No organization with slug 'nope' (--org); existing: acme"),
        (
            ["--org", "acme", "--updated-since", "yesterday"],
            "--updated-since expects YYYY-MM-DD or an ISO 8601 datetime, got 'yesterday'",
        ),
    ],
)
def test_export_command_errors(organization, args, message):
    with pytest.raises(CommandError) as caught:
        call_command("export_contacts", *args, stdout=StringIO())

    assert str(caught.value) == message
