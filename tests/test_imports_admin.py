"""The admin's "Import contacts" pages: upload, column mapping, job progress and the error report download."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import contacts.admin.imports  # noqa: F401 - registers ImportJobAdmin until contacts/admin/__init__ imports it
from contacts.models import Contact, CustomFieldType, ImportJob, Membership
from tests.factories import CustomFieldFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

CSV = b"Mobile,Full Name,Plan,Shoe size\n+12124567890,Juan,pro,42\nbad,Nobody,free,40\n+12124567891,Mary,gold,38\n"


def upload(client, data: bytes = CSV, **fields):
    form = {"mode": "upsert", "match_on": "phone", "create_missing": "on", "encoding": "", **fields}
    return client.post(
        reverse("admin:contacts_importjob_upload"),
        {**form, "file": SimpleUploadedFile("people.csv", data, content_type="text/csv")},
    )


def test_changelist_links_to_the_import_page(staff_client):
    response = staff_client.get(reverse("admin:contacts_importjob_changelist"))

    assert response.status_code == 200
    assert reverse("admin:contacts_importjob_upload") in response.content.decode()


def test_upload_shows_the_mapping_step_with_the_automatic_mapping_and_sample_values(staff_client, organization):
    CustomFieldFactory(organization=organization, key="plan", field_type=CustomFieldType.TEXT)

    response = upload(staff_client)

    assert response.status_code == 200
    assert response.templates[0].name == "admin/contacts/importjob/mapping.html"
    form = response.context["form"]
    assert [form[f"column_{i}"].value() for i in range(4)] == ["phone", "full_name", "cf:plan", ""]
    assert [values for _, values in response.context["columns"]] == [
        ["+12124567890", "bad", "+12124567891"],
        ["Juan", "Nobody", "Mary"],
        ["pro", "free", "gold"],
        ["42", "40", "38"],
    ]
    assert not ImportJob.objects.exists()


def test_the_whole_flow_runs_the_job_and_offers_the_error_report(
    staff_client, organization, staff, django_capture_on_commit_callbacks
):
    CustomFieldFactory(
        organization=organization, key="plan", field_type=CustomFieldType.CHOICE, choices=["free", "pro"]
    )
    mapping_page = upload(staff_client)
    token = mapping_page.context["form"]["token"].value()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:contacts_importjob_map"),
            {
                "token": token,
                "mode": "upsert",
                "match_on": "phone",
                "create_missing": "on",
                "column_0": "phone",
                "column_1": "name",  # overrides the automatic full_name
                "column_2": "cf:plan",
                "column_3": "",
            },
        )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:contacts_importjob_change", args=[job.pk])
    assert (job.status, job.organization, job.created_by, job.original_name) == (
        "completed",
        organization,
        staff,
        "people.csv",
    )
    assert (job.mapping, job.mode, job.match_on) == (
        {"Mobile": "phone", "Full Name": "name", "Plan": "cf:plan", "Shoe size": ""},
        "upsert",
        "phone",
    )
    assert (job.total_rows, job.processed_rows, job.created_count, job.rejected_count) == (3, 3, 1, 2)
    assert job.message == "3 rows: 1 were created, 0 updated, 0 unchanged, 2 rejected."
    assert list(Contact.objects.values_list("name", "custom_fields")) == [("Juan", {"plan": "pro"})]

    page = staff_client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "1 created, 0 updated, 0 unchanged," in text
    assert "2 rejected." in text
    assert 'http-equiv="refresh"' not in text  # finished: no more polling
    report_url = reverse("admin:contacts_importjob_errors", args=[job.pk])
    assert report_url in text

    report = staff_client.get(report_url)
    assert report.status_code == 200
    assert report["Content-Disposition"] == f'attachment; filename="import-{job.pk}-errors.csv"'
    assert b"".join(report.streaming_content).decode() == (
        "line,Mobile,Full Name,Plan,Shoe size,error_column,error\n"
        "3,bad,Nobody,free,40,Mobile,'bad' is not a phone number\n"
        '4,+12124567891,Mary,gold,38,Plan,"plan must be one of: free, pro"\n'
    )


def test_an_unfinished_job_page_refreshes_itself(staff_client, organization):
    job = ImportJob.objects.create(organization=organization, file="imports/x.csv", total_rows=10, processed_rows=5)

    page = staff_client.get(reverse("admin:contacts_importjob_change", args=[job.pk]))

    text = page.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in text
    assert re.search(r"50% — 5 of about 10 rows", text)


def test_a_file_in_another_encoding_is_refused_on_the_upload_page(staff_client):
    response = upload(staff_client, "phone,name\n+12124567890,Renée\n".encode("cp1252"))

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "file": [
            "Line 2: the file is not valid utf-8 (byte b'\\xe9'). Save it as UTF-8, or name its encoding "
            "(for example cp1252 or latin-1)."
        ]
    }
    assert not ImportJob.objects.exists()


def test_a_mapping_that_cannot_work_is_shown_again_with_the_reason(staff_client, django_capture_on_commit_callbacks):
    token = upload(staff_client).context["form"]["token"].value()

    response = staff_client.post(
        reverse("admin:contacts_importjob_map"),
        {"token": token, "mode": "update", "match_on": "email", "column_0": "phone", "column_1": "name"},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "No column is mapped to email, which update mode matches contacts on"
    ]
    assert not ImportJob.objects.exists()


def test_a_tampered_upload_token_is_refused(staff_client):
    response = staff_client.post(reverse("admin:contacts_importjob_map"), {"token": "forged"}, follow=True)

    assert response.redirect_chain == [(reverse("admin:contacts_importjob_upload"), 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "The upload expired or is invalid; upload the file again."
    ]


def test_staff_of_another_organization_see_neither_the_job_nor_its_report(client, organization, other_organization):
    job = ImportJob.objects.create(organization=organization, file="imports/x.csv", status="completed")
    job.error_report.save("errors.csv", SimpleUploadedFile("errors.csv", b"line,error\n"), save=True)
    outsider = UserFactory(username="outsider", is_staff=True)
    MembershipFactory(user=outsider, organization=other_organization, role=Membership.Role.ADMIN)
    client.force_login(outsider)

    assert client.get(reverse("admin:contacts_importjob_errors", args=[job.pk])).status_code == 404
    page = client.get(reverse("admin:contacts_importjob_change", args=[job.pk]))
    assert page.status_code == 302  # the admin's "does not exist" redirect to the index
