"""Every management command says what is wrong in one line: which argument, and what it accepts.

Run from a shell, an argument error is one `CommandError:` line on standard error and exit status 1 (not
argparse's usage block and status 2); bad input changes nothing.
"""

from __future__ import annotations

import importlib
import io
import os
import subprocess
import sys
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from contacts.management.commands._base import CrmCommand
from contacts.models import ApiKey, Contact, HmacClient, OAuthClient, Organization
from contacts.services import credentials
from tests.factories import ContactFactory, ContactGroupFactory, TagFactory

ROOT = Path(__file__).resolve().parent.parent
SOURCES = "whatsapp, sms, email, facebook, instagram, telegram, line, push, api, import, manual"

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def error_of(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return str(caught.value)


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(b"phone,name\n+12124567890,Juan\n+12124567891,Mary\n")
    return path


# -- export_contacts ------------------------------------------------------------------------------------------


def test_export_a_date_that_does_not_exist_is_an_error_not_a_traceback(organization):
    assert error_of("export_contacts", "--org", "acme", "--created-since", "2026-13-01") == (
        "--created-since expects YYYY-MM-DD or an ISO 8601 datetime, got '2026-13-01' (month must be in 1..12)"
    )
    assert error_of("export_contacts", "--org", "acme", "--updated-since", "2026-02-30T10:00:00") == (
        "--updated-since expects YYYY-MM-DD or an ISO 8601 datetime, got '2026-02-30T10:00:00' "
        "(day is out of range for month)"
    )


def test_export_an_unknown_source_is_refused_with_the_sources(organization):
    assert error_of("export_contacts", "--org", "acme", "--source", "fax") == (
        f"--source: 'fax' is not a contact source; use one of: {SOURCES}"
    )


def test_export_a_source_in_capitals_is_that_source(organization):
    ContactFactory(organization=organization, name="Texted", source="sms", phone="+12124567890")
    ContactFactory(organization=organization, name="Called", source="api", phone="+12124567891")

    output = run("export_contacts", "--organization", "acme", "--source", "SMS")

    assert [line.split(",")[2] for line in output.splitlines()[1:]] == ["Texted"]


def test_export_names_the_tag_or_group_the_organization_does_not_have(organization):
    TagFactory(organization=organization, name="VIP")
    TagFactory(organization=organization, name="Lead")
    ContactGroupFactory(organization=organization, name="Customers")

    assert error_of("export_contacts", "--org", "acme", "--tag", "vip", "--tag", "VIPP") == (
        "--tag: acme has no tag named 'VIPP'; its tags: Lead, VIP"
    )
    assert error_of("export_contacts", "--org", "acme", "--group", "customers") == (
        "--group: acme has no group named 'customers' (names are exact); its groups: Customers"
    )


def test_export_to_a_folder_that_does_not_exist(organization, tmp_path):
    target = tmp_path / "missing" / "out.csv"

    assert error_of("export_contacts", "--org", "acme", "-o", str(target)) == (
        f"-o/--output: cannot write {target}: No such file or directory"
    )


def test_an_unknown_organization_lists_the_slugs_there_are(organization, other_organization):
    assert (
        error_of("export_contacts", "--org", "acm") == "No organization with slug 'acm' (--org); existing: acme, globex"
    )


def test_an_unknown_organization_when_there_is_none(db):
    assert error_of("export_contacts", "--org", "acme") == (
        "No organization with slug 'acme': there are none yet (manage.py create_organization)"
    )


def test_a_missing_required_argument_and_an_unknown_option_are_one_line(organization):
    assert error_of("export_contacts") == "the following arguments are required: --org/--organization"
    assert error_of("export_contacts", "--org", "acme", "--colour", "red") == "unrecognized arguments: --colour red"


# -- import_contacts ------------------------------------------------------------------------------------------


def test_import_a_png_is_not_a_csv_file(organization, tmp_path):
    picture = tmp_path / "photo.png"
    Image.new("RGB", (8, 8), (10, 20, 30)).save(picture, "PNG")

    assert error_of("import_contacts", str(picture), "--org", "acme") == (
        f"{picture}: This is not a CSV file: it is a PNG image. "
        "Save the sheet as CSV (comma-separated values) and import that."
    )
    assert not Contact.objects.exists()


def test_import_an_excel_workbook_is_not_a_csv_file(organization, tmp_path):
    workbook = tmp_path / "contacts.xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    workbook.write_bytes(buffer.getvalue())

    assert error_of("import_contacts", str(workbook), "--org", "acme") == (
        f"{workbook}: This is not a CSV file: it is a zip archive (an Excel .xlsx or OpenDocument .ods spreadsheet "
        "is one). Save the sheet as CSV (comma-separated values) and import that."
    )


def test_import_a_cp1252_file_still_gets_the_encoding_hint(organization, tmp_path):
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes("phone,name\n+12124567890,José\n".encode("cp1252"))

    assert error_of("import_contacts", str(legacy), "--org", "acme") == (
        f"{legacy}: Line 2: the file is not valid utf-8 (byte b'\\xe9'). Save it as UTF-8, or name its encoding "
        "(for example cp1252 or latin-1)."
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "merge"], "--mode: 'merge' is not an import mode; use one of: create, update, upsert"),
        (
            ["--match", "name"],
            "--match: 'name' is not a field to match contacts on; use one of: phone, email, alias, contact_key",
        ),
        (["--batch-size", "0"], "--batch-size: expects a whole number from 1 to 100000, got '0'"),
        (["--batch-size", "lots"], "--batch-size: expects a whole number from 1 to 100000, got 'lots'"),
        (["--delimiter", ";;"], "--delimiter expects one character such as , ; | or \\t for tab, got ';;'"),
        (
            ["--encoding", "klingon"],
            "Unknown encoding 'klingon' (--encoding); use a Python codec name such as utf-8, cp1252, latin-1 or utf-16",
        ),
        (["--map", "name"], "--map expects COLUMN=FIELD, got 'name'"),
        (["--map", "Mobile=phone"], "The file has no column 'Mobile' (--map)"),
        (
            ["--map", "phone=ignore", "--mode", "update"],
            "No column is mapped to phone, which update mode matches contacts on (--map)",
        ),
    ],
)
def test_import_argument_errors_name_the_argument(organization, csv_file, args, message):
    assert error_of("import_contacts", str(csv_file), "--org", "acme", "--no-progress", *args) == message
    assert not Contact.objects.exists()


def test_import_an_error_report_that_cannot_be_written(organization, csv_file, tmp_path):
    target = tmp_path / "missing" / "errors.csv"

    assert error_of("import_contacts", str(csv_file), "--org", "acme", "--errors", str(target)) == (
        f"--errors: cannot write {target}: No such file or directory"
    )
    assert not Contact.objects.exists()


def test_import_accepts_both_spellings_of_the_organization(organization, csv_file):
    output = run("import_contacts", str(csv_file), "--organization", "acme", "--mode", "CREATE", "--no-progress")

    assert output == "2 rows: 2 were created, 0 updated, 0 unchanged, 0 rejected.\n"


class Terminal(StringIO):
    """Standard error as a terminal, where Django would colour what the command writes."""

    def isatty(self) -> bool:
        return True


def test_the_progress_bar_is_drawn_plainly_each_state_once_and_ends_with_one_line_break(organization, tmp_path):
    rows = "".join(f"+1212555{index:04d},Person {index}\n" for index in range(25))
    source = tmp_path / "people.csv"
    source.write_text("phone,name\n" + rows)
    err = Terminal()

    call_command(
        "import_contacts", str(source), "--org", "acme", "--batch-size", "10", stdout=StringIO(), stderr=err,
        force_color=True,
    )  # fmt: skip

    assert err.getvalue() == (
        "\r[############..................]  40% 10/25 rows"
        "\r[########################......]  80% 20/25 rows"
        "\r[##############################] 100% 25/25 rows\n"
    )


def test_the_progress_bar_ends_before_the_error_when_the_file_breaks_midway(organization, tmp_path):
    rows = "".join(f"+1212555{index:04d},Person {index}\n" for index in range(12))
    source = tmp_path / "broken.csv"
    source.write_text("phone,name\n" + rows + "+12125559999," + "x" * 200_000 + "\n")
    err = Terminal()

    with pytest.raises(CommandError) as caught:
        call_command(
            "import_contacts", str(source), "--org", "acme", "--batch-size", "5", "--no-color",
            stdout=StringIO(), stderr=err,
        )  # fmt: skip

    assert str(caught.value) == f"{source}: Line 14: the file is not valid CSV (field larger than field limit (131072))"
    assert err.getvalue() == (
        "\r[###########...................]  38% 5/13 rows\r[#######################.......]  76% 10/13 rows\n"
    )
    assert Contact.objects.count() == 10


# -- credentials and organizations ----------------------------------------------------------------------------


def test_create_hmac_client_prints_its_secret_once_and_it_signs(organization):
    output = run("create_hmac_client", "--org", "acme", "--name", "Awal sync", "--client-id", "awal-prod")

    lines = output.splitlines()
    secret = lines[3].removeprefix("  signing secret: ")
    assert lines == [
        "HMAC client 'Awal sync' created in organization 'Acme' "
        "(create:Contacts, read:Contacts, update:Contacts, delete:Contacts).",
        "  X-Client-ID:    awal-prod",
        "  X-Domain:       acme",
        f"  signing secret: {secret}",
        "Store the secret now: it is shown this once.",
    ]
    assert len(secret) == 43
    client, stored_secret = credentials.get_hmac_client("awal-prod")
    assert (client.organization, client.name, stored_secret) == (organization, "Awal sync", secret)


def test_create_hmac_client_with_a_random_id_and_some_scopes(organization):
    output = run("create_hmac_client", "--organization", "acme", "--name", "Reader", "--scopes", "read:Contacts")

    client = HmacClient.objects.get()
    assert client.client_id.startswith("hc_") and len(client.client_id) == 19
    assert client.scopes == ["contacts:read"]
    assert f"  X-Client-ID:    {client.client_id}\n" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "x", "--client-id", "taken"], "An HMAC client with client_id 'taken' already exists (--client-id)"),
        (
            ["--name", "x", "--client-id", "has space"],
            "--client-id: expects 1 to 64 letters, digits, '.', '_', '~' or '-', got 'has space'",
        ),
        (["--name", "  "], "--name: must not be empty"),
        (["--name", "x" * 201], "--name: is 201 characters long; at most 200 are allowed"),
        (
            ["--name", "x", "--scopes", "fly:Contacts"],
            "Unknown scope 'fly:Contacts'; expected one of create:Contacts, read:Contacts, update:Contacts, "
            "delete:Contacts, write:Contacts, write:Settings (--scopes)",
        ),
    ],
)
def test_create_hmac_client_refuses_bad_input(organization, args, message):
    credentials.create_hmac_client(organization=organization, name="First", client_id="taken")

    assert error_of("create_hmac_client", "--org", "acme", *args) == message
    assert HmacClient.objects.count() == 1


def test_create_oauth_client_accepts_org_and_names_its_bad_arguments(organization):
    run("create_oauth_client", "--org", "acme", "--client-id", "sfmc-1")
    assert OAuthClient.objects.get().client_id == "sfmc-1"

    assert error_of("create_oauth_client", "--org", "acme", "--client-id", "sfmc-1") == (
        "An OAuth client with client_id 'sfmc-1' already exists (--client-id)"
    )
    assert error_of("create_oauth_client", "--org", "acme", "--scope", "fly") == (
        "Unknown scope fly (--scope); use list_and_subscribers_read, list_and_subscribers_write or "
        "contacts:create, contacts:read, contacts:update, contacts:delete"
    )
    assert OAuthClient.objects.count() == 1


def test_create_api_key_accepts_organization_and_names_its_bad_arguments(organization):
    run("create_api_key", "--organization", "acme", "--name", "SMS")
    assert ApiKey.objects.get().name == "SMS"

    assert error_of("create_api_key", "--org", "acme", "--name", "x", "--expires-in-days", "soon") == (
        "--expires-in-days: expects a whole number, got 'soon'"
    )
    assert error_of("create_api_key", "--org", "acme", "--name", "x", "--expires-in-days", "-3") == (
        "--expires-in-days must be positive, at most 36500; got -3"
    )
    assert error_of("create_api_key", "--org", "acme", "--name", "x", "--scopes", ",") == (
        "--scopes: give at least one scope; known: create:Contacts (or contacts:create), read:Contacts (or "
        "contacts:read), update:Contacts (or contacts:update), delete:Contacts (or contacts:delete), write:Contacts "
        "(or contacts:write), write:Settings (or settings:write)"
    )
    assert error_of("create_api_key", "--org", "acme", "--name", "") == "--name: must not be empty"
    assert ApiKey.objects.count() == 1


def test_create_organization_names_its_bad_arguments(db):
    assert error_of("create_organization", "Acme", "--region", "XX") == (
        "'XX' is not an ISO 3166-1 region code (--region); use a two-letter code such as GB, US or SA"
    )
    assert error_of("create_organization", "Acme", "--slug", "!!!") == (
        "The slug must contain letters or digits (--slug)"
    )
    assert error_of("create_organization", "a" * 120) == (
        "NAME makes a slug of 120 characters, over 100: give a shorter --slug"
    )
    assert error_of("create_organization", "") == "name: must not be empty"
    assert not Organization.objects.exists()


def test_purge_import_files_names_a_days_value_that_is_not_a_number(db):
    assert error_of("purge_import_files", "--days", "week") == "--days: expects a whole number, got 'week'"


def test_purge_orphan_avatars_and_demo_name_their_bad_arguments(db):
    assert error_of("purge_orphan_avatars", "--older-than-minutes", "soon") == (
        "--older-than-minutes: expects a whole number, got 'soon'"
    )
    assert error_of("demo", "--public") == "unrecognized arguments: --public"


def test_every_command_reports_argument_errors_in_one_line():
    commands = sorted(
        path.stem
        for path in (ROOT / "contacts" / "management" / "commands").glob("*.py")
        if not path.stem.startswith("_")
    )
    plain = [
        name
        for name in commands
        if not issubclass(importlib.import_module(f"contacts.management.commands.{name}").Command, CrmCommand)
    ]

    assert len(commands) >= 10
    assert plain == []


# -- From a shell: one line on standard error, exit status 1 -----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["export_contacts", "--org", "acme", "--created-since", "2026-13-01"],
            "CommandError: --created-since expects YYYY-MM-DD or an ISO 8601 datetime, got '2026-13-01' "
            "(month must be in 1..12)",
        ),
        (
            ["export_contacts", "--org", "acme", "--source", "fax"],
            f"CommandError: --source: 'fax' is not a contact source; use one of: {SOURCES}",
        ),
        (
            ["import_contacts", "people.csv", "--org", "acme", "--mode", "merge"],
            "CommandError: --mode: 'merge' is not an import mode; use one of: create, update, upsert",
        ),
        (["create_hmac_client", "--org", "acme"], "CommandError: the following arguments are required: --name"),
        (["demo", "--colour", "red"], "CommandError: unrecognized arguments: --colour red"),
    ],
)
def test_from_a_shell_an_argument_error_is_one_line_and_exit_status_1(args, line):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.test_settings"}

    completed = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert (completed.returncode, completed.stderr, completed.stdout) == (1, line + "\n", "")
