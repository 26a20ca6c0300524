"""The CSV importer (contacts/services/imports.py): mapping, modes, validation, error report, query budget."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
from django.db import connection

from contacts.errors import UnknownReference, ValidationFailed
from contacts.models import Contact, ContactGroup, CustomFieldType, Tag
from contacts.services import imports
from contacts.services.imports import ImportOptions, auto_mapping, import_contacts, row_process
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

FIXTURES = Path(__file__).parent / "fixtures" / "imports"


def run(organization, data: str | bytes, **options):
    """Import `data`; returns (result, error report text)."""
    binary = io.BytesIO(data.encode() if isinstance(data, str) else data)
    report = io.StringIO()
    result = import_contacts(organization, binary, ImportOptions(**options), error_report=report)
    return result, report.getvalue()


def counts(result) -> dict:
    return {
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": result.rejected,
    }


def snapshot(organization) -> list[tuple]:
    return [
        (
            c.phone_e164,
            c.name,
            c.email,
            sorted(t.name for t in c.tags.all()),
            sorted(g.name for g in c.groups.all()),
            c.custom_fields,
            c.source,
        )
        for c in Contact.objects.filter(organization=organization).prefetch_related("tags", "groups").order_by("id")
    ]


@pytest.fixture(autouse=True, params=["sequential", "parallel"])
def cleaning(request, monkeypatch):
    """Every test runs twice: rows cleaned in this process, and in a forked one (as large files are)."""
    monkeypatch.setattr(row_process, "PARALLEL_ROWS", 0 if request.param == "parallel" else 10**9)
    return request.param


@pytest.fixture
def plan_field(organization):
    return CustomFieldFactory(
        organization=organization, key="plan", field_type=CustomFieldType.CHOICE, choices=["free", "pro", "enterprise"]
    )


# -- Mapping -------------------------------------------------------------------------------------------------


def test_auto_mapping_recognizes_common_names_custom_fields_and_ignores_the_rest(organization, plan_field):
    CustomFieldFactory(organization=organization, key="CITY")
    header = [
        "line", "MSISDN", "Full Name", "E-mail", "labels", "cf:plan", "city", "created_at", "Favourite color", "mobile",
        "error",
    ]  # fmt: skip

    assert auto_mapping(organization, header) == {
        "line": "",  # error reports re-import after fixing
        "MSISDN": "phone",
        "Full Name": "full_name",
        "E-mail": "email",
        "labels": "tags",
        "cf:plan": "cf:plan",
        "city": "cf:CITY",
        "created_at": "",
        "Favourite color": "",
        "mobile": "",  # the phone is already taken by MSISDN
        "error": "",
    }


def test_explicit_mapping_overrides_the_automatic_one(organization):
    data = "Identifier,Nick,Cell\n+12124567890,jj,+12124567891\n"

    result, _report = run(organization, data, mapping={"Nick": "alias", "Cell": "phone", "Identifier": "ignore"})

    assert result.mapping == {"Identifier": "", "Nick": "alias", "Cell": "phone"}
    assert counts(result) == {"rows": 1, "created": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    contact = Contact.objects.get(organization=organization)
    assert (contact.phone_e164, contact.alias) == ("+12124567891", "jj")


@pytest.mark.parametrize(
    ("mapping", "error", "message"),
    [
        ({"Nope": "name"}, ValidationFailed, "The file has no column 'Nope'"),
        (
            {"Nick": "favourite_colour"},
            ValidationFailed,
            "Unknown field 'favourite_colour' for column 'Nick'; expected one of name, full_name, phone, email, "
            "country, description, address, alias, contact_key, is_favorite, source, branch, team, assigned_user, "
            "tags, groups, note, cf:<custom field key> or ignore",
        ),
        ({"Nick": "name", "phone": "name"}, ValidationFailed, "Several columns are mapped to name"),
        (
            {"Nick": "cf:shoe_size"},
            UnknownReference,
            "Unknown custom field: shoe_size. Define it first (admin, Custom fields).",
        ),
    ],
)
def test_bad_mapping_rejects_the_file_before_writing(organization, mapping, error, message):
    with pytest.raises(error) as caught:
        run(organization, "phone,Nick\n+12124567890,jj\n", mapping=mapping)

    assert caught.value.field == "mapping"
    assert caught.value.message == message
    assert not Contact.objects.exists()


def test_update_mode_needs_a_column_for_the_match_field(organization):
    with pytest.raises(ValidationFailed) as caught:
        run(organization, "name\nJuan\n", mode="update")

    assert caught.value.message == "No column is mapped to phone, which update mode matches contacts on"


# -- Modes ---------------------------------------------------------------------------------------------------


def test_create_mode_creates_contacts_with_every_mapped_field(organization, plan_field):
    branch = BranchFactory(organization=organization, name="Riyadh")
    team = TeamFactory(organization=organization, name="Support")
    agent = UserFactory(email="agent@acme.test")
    MembershipFactory(user=agent, organization=organization)
    ContactGroupFactory(organization=organization, name="Customers")
    data = (
        "phone,name,full_name,email,alias,contact_key,country,address,description,note,is_favorite,source,"
        "tags,groups,branch,team,assigned_user,cf:plan\n"
        "+1 (212) 456-7890,Juan,Juan Pérez,juan@example.com,juan,K-1,Mexico,Calle 1,Met at fair,Call back,yes,"
        "whatsapp,VIP|Lead,Customers,Riyadh,Support,AGENT@acme.test,pro\n"
    )

    result, report = run(organization, data, mode="create")

    assert counts(result) == {"rows": 1, "created": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    assert report == ""
    contact = Contact.objects.get(organization=organization)
    assert contact.phone_e164 == "+12124567890"
    assert contact.phone_valid is True
    assert (contact.name, contact.full_name, contact.email) == ("Juan", "Juan Pérez", "juan@example.com")
    assert (contact.alias, contact.contact_key, contact.country) == ("juan", "K-1", "Mexico")
    assert (contact.address, contact.description, contact.note) == ("Calle 1", "Met at fair", "Call back")
    assert contact.is_favorite is True
    assert contact.source == "whatsapp"
    assert sorted(contact.tags.values_list("name", flat=True)) == ["Lead", "VIP"]
    assert list(contact.groups.values_list("name", flat=True)) == ["Customers"]
    assert (contact.branch, contact.team, contact.assigned_user) == (branch, team, agent)
    assert contact.custom_fields == {"plan": "pro"}
    assert contact.custom_field_order == ["plan"]


def test_create_mode_rejects_rows_whose_contact_exists(organization):
    ContactFactory(organization=organization, phone="+12124567890", name="Old")

    result, report = run(organization, "phone,name\n2124567890,New\n+12124567891,Other\n", mode="create")

    assert counts(result) == {"rows": 2, "created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert report == (
        "line,phone,name,error_column,error\n2,2124567890,New,phone,A contact with this phone already exists\n"
    )
    assert sorted(Contact.objects.values_list("name", flat=True)) == ["Old", "Other"]


def test_imported_contacts_default_to_source_import(organization):
    run(organization, "phone\n+12124567890\n")

    assert Contact.objects.get().source == "import"


def test_update_mode_updates_existing_contacts_and_rejects_unknown_ones(organization):
    existing = ContactFactory(organization=organization, phone="+12124567890", name="Old", email="old@example.com")
    existing.tags.add(TagFactory(organization=organization, name="Keep"))

    result, report = run(
        organization, "phone,name,tags\n+12124567890,New,VIP\n+12124567891,Nobody,\n,No phone,\n", mode="update"
    )

    assert counts(result) == {"rows": 3, "created": 0, "updated": 1, "unchanged": 0, "rejected": 2}
    assert report == (
        "line,phone,name,tags,error_column,error\n"
        "3,+12124567891,Nobody,,phone,No contact with this phone: +12124567891\n"
        "4,,No phone,,phone,phone is required to match an existing contact\n"
    )
    existing.refresh_from_db()
    # Empty cells keep values; tags are added to the ones the contact had.
    assert (existing.name, existing.email) == ("New", "old@example.com")
    assert sorted(existing.tags.values_list("name", flat=True)) == ["Keep", "VIP"]
    assert Contact.objects.count() == 1


def test_upsert_mode_creates_and_updates(organization, plan_field):
    ContactFactory(organization=organization, phone="+12124567890", name="Old", custom_fields={"plan": "free"})

    result, _ = run(organization, "phone,name,cf:plan\n+12124567890,Juan,pro\n+12124567891,Mary,\n")

    assert counts(result) == {"rows": 2, "created": 1, "updated": 1, "unchanged": 0, "rejected": 0}
    assert snapshot(organization) == [
        ("+12124567890", "Juan", Contact.objects.get(phone="+12124567890").email, [], [], {"plan": "pro"}, "api"),
        ("+12124567891", "Mary", "", [], [], {}, "import"),
    ]


@pytest.mark.parametrize(
    ("match_on", "column", "stored", "given"),
    [
        ("email", "email", {"email": "juan@example.com"}, "juan@example.com"),
        ("alias", "alias", {"alias": "juanito"}, "juanito"),
        ("contact_key", "contact_key", {"contact_key": "K-42"}, "K-42"),
    ],
)
def test_upsert_matches_on_the_chosen_field(organization, match_on, column, stored, given):
    existing = ContactFactory(organization=organization, name="Old", phone=None, **stored)

    result, _ = run(organization, f"{column},name\n{given},New\n", match_on=match_on)

    assert counts(result) == {"rows": 1, "created": 0, "updated": 1, "unchanged": 0, "rejected": 0}
    existing.refresh_from_db()
    assert existing.name == "New"


def test_unchanged_rows_are_counted_and_not_written(organization):
    contact = ContactFactory(organization=organization, phone="+12124567890", name="Same")
    before = contact.updated_at

    result, _ = run(organization, "phone,name\n+12124567890,Same\n")

    assert counts(result) == {"rows": 1, "created": 0, "updated": 0, "unchanged": 1, "rejected": 0}
    contact.refresh_from_db()
    assert contact.updated_at == before


def test_a_unique_value_owned_by_another_contact_is_a_conflict(organization):
    ContactFactory(organization=organization, phone="+12124567890", alias="taken")

    result, report = run(organization, "phone,alias\n+12124567899,taken\n")

    assert counts(result) == {"rows": 1, "created": 0, "updated": 0, "unchanged": 0, "rejected": 1}
    assert (
        report
        == "line,phone,alias,error_column,error\n2,+12124567899,taken,alias,A contact with this alias already exists\n"
    )


# -- Dry run, error report, duplicates -----------------------------------------------------------------------


def test_dry_run_reports_the_outcome_and_writes_nothing(organization):
    ContactFactory(organization=organization, phone="+12124567890", name="Old")
    before = snapshot(organization)

    result, report = run(
        organization, "phone,name,tags,groups\n+12124567890,New,Fresh,Newcomers\n+12124567891,Mary,Fresh,\nbad,X,,\n",
        dry_run=True, create_missing=True,
    )  # fmt: skip

    assert counts(result) == {"rows": 3, "created": 1, "updated": 1, "unchanged": 0, "rejected": 1}
    assert (result.dry_run, result.created_tags, result.created_groups) == (True, ["Fresh"], ["Newcomers"])
    assert report == "line,phone,name,tags,groups,error_column,error\n4,bad,X,,,phone,'bad' is not a phone number\n"
    assert snapshot(organization) == before
    assert not Tag.objects.exists()
    assert not ContactGroup.objects.exists()


def test_error_report_gives_line_values_column_and_reason_for_every_rejected_row(organization):
    CustomFieldFactory(organization=organization, key="age", field_type=CustomFieldType.NUMBER)
    CustomFieldFactory(organization=organization, key="birthday", field_type=CustomFieldType.DATE)
    CustomFieldFactory(
        organization=organization, key="plan", field_type=CustomFieldType.CHOICE, choices=["free", "pro"]
    )

    result, report = run(organization, (FIXTURES / "messy.csv").read_bytes())

    assert counts(result) == {"rows": 8, "created": 1, "updated": 0, "unchanged": 0, "rejected": 7}
    assert report == (
        "line,phone,name,email,cf:age,cf:birthday,cf:plan,tags,error_column,error\n"
        "3,not a phone,Bad phone,,,,,,phone,'not a phone' is not a phone number\n"
        "4,+12124567891,Bad email,nope@,,,,,email,'nope@' is not a valid email address\n"
        "5,+12124567892,Bad number,,forty,,,,cf:age,age must be a number\n"
        "6,+12124567893,Bad date,,,03/02/1990,,,cf:birthday,birthday must be a date in YYYY-MM-DD format\n"
        '7,+12124567894,Bad choice,,,,gold,,cf:plan,"plan must be one of: free, pro"\n'
        "8,+12124567890,Duplicate,,,,,,phone,Duplicate of line 2: the same phone appears twice\n"
        "9,+12124567895,Too many,,,,,,,The row has 8 values but the header has 7 columns\n"
    )
    contact = Contact.objects.get(organization=organization)
    assert (contact.name, contact.custom_fields) == ("Good", {"age": 42, "birthday": "1990-02-03", "plan": "pro"})


def test_line_numbers_count_physical_lines_of_multiline_values(organization):
    data = 'phone,description\n+12124567890,"two\nlines"\nbad,x\n'

    _result, report = run(organization, data)

    assert report == "line,phone,description,error_column,error\n4,bad,x,phone,'bad' is not a phone number\n"
    assert Contact.objects.get().description == "two\nlines"


def test_duplicates_inside_the_file_are_reported_not_inserted_twice(organization):
    data = "phone,alias,name\n+1 212 456 7890,a,First\n(212) 456-7890,b,Same phone\n+12124567891,a,Same alias\n"

    result, report = run(organization, data)

    assert counts(result) == {"rows": 3, "created": 1, "updated": 0, "unchanged": 0, "rejected": 2}
    assert report == (
        "line,phone,alias,name,error_column,error\n"
        "3,(212) 456-7890,b,Same phone,phone,Duplicate of line 2: the same phone appears twice\n"
        "4,+12124567891,a,Same alias,alias,Duplicate of line 2: the same alias appears twice\n"
    )
    assert list(Contact.objects.values_list("name", flat=True)) == ["First"]


def test_blank_lines_are_skipped(organization):
    result, _ = run(organization, "phone,name\n\n+12124567890,A\n,\n")

    assert counts(result) == {"rows": 1, "created": 1, "updated": 0, "unchanged": 0, "rejected": 0}


# -- Files: dialects and encodings ---------------------------------------------------------------------------


def test_contract_style_file_with_every_feature(organization, plan_field):
    ContactGroupFactory(organization=organization, name="Customers")

    result, report = run(organization, (FIXTURES / "contacts.csv").read_bytes())

    assert report == ""
    assert result.mapping == {
        "Phone": "phone",
        "Full Name": "full_name",
        "E-mail": "email",
        "Tags": "tags",
        "Groups": "groups",
        "cf:plan": "cf:plan",
        "Notes": "note",
    }
    assert counts(result) == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    assert [(c[0], c[3], c[4], c[5]) for c in snapshot(organization)] == [
        ("+12124567890", ["Lead", "VIP"], ["Customers"], {"plan": "pro"}),
        ("+19174560123", ["Lead"], [], {"plan": "free"}),
        ("+447911123456", [], [], {"plan": "enterprise"}),
    ]


def test_semicolon_file_with_utf8_bom(organization):
    result, report = run(organization, (FIXTURES / "semicolon_bom.csv").read_bytes())

    assert report == ""
    assert result.mapping == {"msisdn": "phone", "name": "name", "email": "email"}
    assert [(c[0], c[1], c[2]) for c in snapshot(organization)] == [
        ("+447911123456", "John", "john@example.com"),
        ("+966501234567", "Ahmed", "ahmed@example.com"),
    ]


def test_tab_separated_utf16_file_with_bom(organization):
    data = "phone\tname\n+12124567890\tRenée\n".encode("utf-16")

    _result, report = run(organization, data)

    assert report == ""
    assert Contact.objects.get().name == "Renée"


def test_a_file_that_is_not_utf8_is_rejected_with_a_clear_message(organization):
    with pytest.raises(ValidationFailed) as caught:
        run(organization, (FIXTURES / "cp1252.csv").read_bytes())

    assert caught.value.field == "file"
    assert caught.value.message == (
        "Line 2: the file is not valid utf-8 (byte b'\\xe9'). "
        "Save it as UTF-8, or name its encoding (for example cp1252 or latin-1)."
    )
    assert not Contact.objects.exists()


def test_a_named_legacy_encoding_is_read(organization):
    result, _ = run(organization, (FIXTURES / "cp1252.csv").read_bytes(), encoding="cp1252")

    assert result.created == 1
    assert Contact.objects.get().name == "Renée"


@pytest.mark.parametrize(
    ("data", "options", "message"),
    [
        (b"", {}, "The file is empty; a header row is required"),
        (b"\n+12124567890\n", {}, "The first line must be a header row naming the columns"),
        (b"phone,name,phone\n", {}, "The header row names these columns twice: phone"),
        (b"phone,\n", {}, "Column 2 of the header row has no name"),
        (b"phone\x00,name\n", {}, None),
        (b"phone\n", {"encoding": "klingon"}, "Unknown encoding 'klingon'"),
    ],
)
def test_unusable_files_are_rejected_before_writing(organization, data, options, message):
    with pytest.raises(ValidationFailed) as caught:
        run(organization, data, **options)

    expected = message or (
        "The file contains NUL characters: it is not a text CSV file (or it is UTF-16 without a byte-order mark; "
        "name its encoding)."
    )
    assert caught.value.message == expected


def test_a_file_that_turns_out_not_to_be_csv_stops_with_its_line_and_keeps_the_rows_before(organization):
    rows = "".join(f"+1212456{index:04d},Contact {index}\n" for index in range(2500))
    data = f"phone,name\n{rows}+12124569999,{'x' * 200_000}\n"

    with pytest.raises(ValidationFailed) as caught:
        run(organization, data, batch_size=1000)

    assert caught.value.message == "Line 2502: the file is not valid CSV (field larger than field limit (131072))"
    assert Contact.objects.filter(organization=organization).count() == 2000


def test_a_failed_batch_stops_the_row_process(organization, monkeypatch):
    import multiprocessing

    def fail(self, batch):
        raise RuntimeError("database went away")

    monkeypatch.setattr(imports.ContactImporter, "_write_batch", fail)
    rows = "".join(f"+1212456{index:04d}\n" for index in range(3000))

    with pytest.raises(RuntimeError, match="database went away"):
        run(organization, f"phone\n{rows}", batch_size=100)

    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("cleaning", ["parallel"], indirect=True)
def test_where_no_row_process_can_start_rows_are_cleaned_in_process(organization, monkeypatch):
    """multiprocessing refuses children to a daemon process (some worker pools run tasks in one)."""
    import multiprocessing

    monkeypatch.setitem(multiprocessing.current_process()._config, "daemon", True)
    started = []
    monkeypatch.setattr(row_process, "_receive", lambda *args: started.append(args))

    result, report = run(organization, "phone,name\n+12124567890,Juan\nnope,Bad\n")

    assert counts(result) == {"rows": 2, "created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert report.startswith("line,phone,name,error_column,error\n3,nope,Bad,phone,")
    assert started == []
    assert Contact.objects.get(organization=organization).name == "Juan"


# -- Validation like the API ---------------------------------------------------------------------------------


def test_national_numbers_use_the_organization_default_region(organization, other_organization):
    run(organization, "phone\n(212) 456-7890\n")
    run(other_organization, "phone\n07911 123456\n")

    assert Contact.objects.get(organization=organization).phone_e164 == "+12124567890"
    assert Contact.objects.get(organization=other_organization).phone_e164 == "+447911123456"


def test_missing_tags_and_groups_are_rejected_when_they_must_exist(organization):
    TagFactory(organization=organization, name="VIP")

    result, report = run(
        organization, "phone,tags,groups\n+12124567890,vip,\n+12124567891,Unknown,\n+12124567892,,Nope\n",
        create_missing=False,
    )  # fmt: skip

    assert counts(result) == {"rows": 3, "created": 1, "updated": 0, "unchanged": 0, "rejected": 2}
    assert report == (
        "line,phone,tags,groups,error_column,error\n"
        "3,+12124567891,Unknown,,tags,Unknown tag: Unknown\n"
        "4,+12124567892,,Nope,groups,Unknown group: Nope\n"
    )
    assert list(Tag.objects.values_list("name", flat=True)) == ["VIP"]


def test_names_of_another_organization_are_never_matched(organization, other_organization):
    TagFactory(organization=other_organization, name="VIP")
    ContactGroupFactory(organization=other_organization, name="Leads")
    BranchFactory(organization=other_organization, name="London")
    theirs = ContactFactory(organization=other_organization, phone="+12124567890", name="Theirs")

    result, report = run(organization, "phone,name,tags,groups,branch\n+12124567890,Ours,VIP,Leads,London\n")

    assert report == (
        "line,phone,name,tags,groups,branch,error_column,error\n"
        "2,+12124567890,Ours,VIP,Leads,London,branch,Unknown branch: London\n"
    )
    result, report = run(organization, "phone,name,tags\n+12124567890,Ours,VIP\n", create_missing=True)
    assert counts(result) == {"rows": 1, "created": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    ours = Contact.objects.get(organization=organization)
    assert ours.tags.get().organization == organization
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
    assert Tag.objects.filter(name="VIP").count() == 2


def test_unknown_assigned_user_and_team_are_row_errors(organization):
    stranger = UserFactory(email="stranger@acme.test")  # not a member

    _result, report = run(
        organization, f"phone,assigned_user,team\n+12124567890,{stranger.email},\n+12124567891,,Ghosts\n"
    )

    assert report == (
        "line,phone,assigned_user,team,error_column,error\n"
        "2,+12124567890,stranger@acme.test,,assigned_user,Unknown user: stranger@acme.test\n"
        "3,+12124567891,,Ghosts,team,Unknown team: Ghosts\n"
    )


def test_custom_field_values_are_typed_like_the_api(organization):
    CustomFieldFactory(organization=organization, key="age", field_type=CustomFieldType.NUMBER)
    CustomFieldFactory(organization=organization, key="vip", field_type=CustomFieldType.BOOLEAN)
    CustomFieldFactory(
        organization=organization, key="interests", field_type=CustomFieldType.MULTICHOICE, choices=["sms", "email"]
    )

    _result, report = run(
        organization,
        'phone,age,vip,interests\n+12124567890,42,yes,sms|email\n+12124567891,1.5,no,"[""sms""]"\n+12124567892,,maybe,\n',
    )

    assert report == (
        "line,phone,age,vip,interests,error_column,error\n4,+12124567892,,maybe,,vip,vip must be true or false\n"
    )
    assert [c[5] for c in snapshot(organization)] == [
        {"age": 42, "vip": True, "interests": ["sms", "email"]},
        {"age": 1.5, "vip": False, "interests": ["sms"]},
    ]


# -- Query budget --------------------------------------------------------------------------------------------


def _file(rows: int, start: int = 0) -> str:
    lines = ["phone,name,tags,groups,cf:plan"]
    lines += [f"+1212{5550000 + start + i},Name {i},t{i % 7}|Common,g{i % 3},pro" for i in range(rows)]
    return "\n".join(lines) + "\n"


# Per batch of 1000 rows: existing contacts, unique values, tags, groups, links, the writes and a savepoint.
# SQLite allows 999 parameters per statement, so its inserts of 1000 rows take ~30 statements.
PER_BATCH = {"postgresql": 16, "sqlite": 120}
CONSTANT = 10


@pytest.mark.parametrize("rows", [10, 1500, 2500])
def test_import_query_count_grows_with_batches_not_rows(organization, plan_field, django_assert_max_num_queries, rows):
    run(organization, _file(100, start=10_000))  # some contacts to update, tags and groups to reuse
    budget = math.ceil(rows / 1000) * PER_BATCH[connection.vendor] + CONSTANT

    with django_assert_max_num_queries(budget):
        result, report = run(organization, _file(rows, start=9_950))

    assert report == ""
    assert result.created + result.updated == rows


def test_a_conflict_the_checks_missed_rejects_only_the_colliding_row(organization, monkeypatch):
    """A concurrent writer can take a unique value between the check and the insert: the database constraint
    still decides, and the batch is redone row by row so the other rows are kept."""
    from contacts.services.imports.matching import BatchMatcher

    ContactFactory(organization=organization, phone="+12124567890", alias="taken")
    monkeypatch.setattr(BatchMatcher, "_check_unique_values", lambda self, batch: batch)

    result, report = run(organization, "phone,alias,tags\n+12124567891,free,VIP\n+12124567892,taken,VIP\n")

    assert counts(result) == {"rows": 2, "created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert report == (
        "line,phone,alias,tags,error_column,error\n3,+12124567892,taken,VIP,alias,A contact with this alias already exists\n"
    )
    created = Contact.objects.get(alias="free")
    assert list(created.tags.values_list("name", flat=True)) == ["VIP"]
    assert Contact.objects.count() == 2
