"""Admin for contact imports: upload a CSV file, map its columns, follow the job and download rejected rows.

The flow is two pages before a job exists: "Import contacts" (file and options) stores the upload under a
signed token, "Map columns" shows the file's columns with sample values and the automatic mapping; confirming
creates the ImportJob and hands it to a Celery worker (without a broker, to a thread of this process, so the
request answers at once). The job's page shows progress (it refreshes itself until the job finishes), the counts
and the error report.

The uploaded file and the error report are private (contacts/storage.py): the only way to them is this admin's
download views, which answer 404 to anyone who is not staff of the job's organization (or a superuser).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.core.files.base import File
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_safe

from contacts.admin.scoping import OrganizationScopedAdmin, organization_ids
from contacts.errors import ValidationFailed
from contacts.models import CustomField, Organization
from contacts.models.imports import PROGRESS_FIELDS, ImportJob, ImportMatchField, ImportMode
from contacts.services.file_kinds import refuse_non_csv
from contacts.services.import_files import (
    delete_import_jobs,
    discard_staged_upload,
    open_staged_upload,
    stage_upload,
    staged_upload_exists,
)
from contacts.services.import_runs import recover_dead_jobs
from contacts.services.imports import IMPORT_FIELDS, create_import_job, preview
from contacts.tasks import enqueue_import_job

UPLOAD_SALT = "contacts.admin.imports.upload"
UPLOAD_MAX_AGE = 6 * 3600


class ImportUploadForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none())
    file = forms.FileField(help_text="CSV with a header row; comma, semicolon or tab separated.")
    mode = forms.ChoiceField(choices=ImportMode.choices, initial=ImportMode.UPSERT)
    match_on = forms.ChoiceField(
        choices=ImportMatchField.choices, initial=ImportMatchField.PHONE, label="Match existing contacts on"
    )
    create_missing = forms.BooleanField(
        required=False, initial=True, label="Create tags and groups that do not exist yet (else reject the row)"
    )
    dry_run = forms.BooleanField(required=False, label="Dry run: report what would happen, write nothing")
    encoding = forms.CharField(
        required=False, max_length=40, help_text="Leave empty for UTF-8 (with or without BOM). E.g. cp1252."
    )

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.only_organization = organizations.first() if organizations.count() == 1 else None
        if self.only_organization is not None:
            # A member of one organization never picks it.
            self.fields["organization"].required = False
            self.fields["organization"].widget = forms.HiddenInput()

    def clean_organization(self) -> Organization:
        organization = self.cleaned_data.get("organization") or self.only_organization
        if organization is None:
            raise forms.ValidationError("Choose an organization.")
        return organization


class ImportMappingForm(forms.Form):
    """One choice per column of the file, plus the upload's options carried along."""

    token = forms.CharField(widget=forms.HiddenInput())
    mode = forms.ChoiceField(choices=ImportMode.choices)
    match_on = forms.ChoiceField(choices=ImportMatchField.choices, label="Match existing contacts on")
    create_missing = forms.BooleanField(required=False, label="Create missing tags and groups")
    dry_run = forms.BooleanField(required=False, label="Dry run")

    def __init__(self, *args: Any, header: list[str], targets: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header = header
        for index, column in enumerate(header):
            self.fields[f"column_{index}"] = forms.ChoiceField(choices=targets, required=False, label=column)

    def mapping(self) -> dict[str, str]:
        return {column: self.cleaned_data.get(f"column_{index}") or "" for index, column in enumerate(self.header)}


@admin.register(ImportJob)
class ImportJobAdmin(OrganizationScopedAdmin):
    list_display = ("id", "original_name", "organization", "mode", "status_badge", "progress", "counts", "created_by")
    list_display_links = ("id", "original_name")
    list_filter = ("status", "mode", "dry_run")
    list_select_related = ("organization", "created_by")
    date_hierarchy = "created_at"
    change_form_template = "admin/contacts/importjob/change_form.html"
    change_list_template = "admin/contacts/importjob/change_list.html"
    readonly_fields = (
        "organization",
        "original_name",
        "mode",
        "match_on",
        "dry_run",
        "create_missing",
        "mapping",
        "options",
        "status",
        *PROGRESS_FIELDS,
        "message",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "runner",
        "heartbeat_at",
    )
    fields = readonly_fields

    # Jobs are created by the upload and mapping pages, never edited.
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def can_import(self, request: HttpRequest) -> bool:
        return self._allowed(request, "a")

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        # Not one request-long transaction: the job row must be committed before a worker or thread can run it.
        return [
            path("import/", transaction.non_atomic_requests(view(self.upload_view)), name="contacts_importjob_upload"),
            path(
                "import/map/", transaction.non_atomic_requests(view(self.mapping_view)), name="contacts_importjob_map"
            ),
            # Not wrapped in admin_view, whose login redirect would answer anonymous visitors differently from
            # other organizations' staff: both get the 404 of a file that does not exist.
            path("<int:pk>/file/", require_safe(self.source_file_view), name="contacts_importjob_file"),
            path("<int:pk>/errors/", require_safe(self.error_report_view), name="contacts_importjob_errors"),
            *super().get_urls(),
        ]

    # --- list columns -------------------------------------------------------------------------------------

    @admin.display(description="Status", ordering="status")
    def status_badge(self, job: ImportJob) -> str:
        label = job.get_status_display()
        return f"{label} (dry run)" if job.dry_run else label

    @admin.display(description="Progress")
    def progress(self, job: ImportJob) -> str:
        return format_html("{}% ({} rows)", job.progress_percent, job.processed_rows)

    @admin.display(description="Created / updated / unchanged / rejected")
    def counts(self, job: ImportJob) -> str:
        return f"{job.created_count} / {job.updated_count} / {job.unchanged_count} / {job.rejected_count}"

    # --- pages --------------------------------------------------------------------------------------------

    # A job whose process died would show "running" for ever: the pages that show jobs mark those failed first
    # (besides `manage.py recover_import_jobs` at start). Cheap: only unfinished jobs with a runner are looked at.
    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        recover_dead_jobs(self.get_queryset(request))
        extra_context = {**(extra_context or {}), "can_import": self.can_import(request)}
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if str(object_id).isdigit():
            recover_dead_jobs(self.get_queryset(request).filter(pk=object_id))
        job = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "job": job,
            "retention_days": settings.IMPORT_FILE_RETENTION_DAYS,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _organizations(self, request: HttpRequest) -> Any:
        if request.user.is_superuser:
            return Organization.objects.all()
        return Organization.objects.filter(pk__in=organization_ids(request))

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.can_import(request):
            raise admin.sites.PermissionDenied
        organizations = self._organizations(request)
        form = ImportUploadForm(request.POST or None, request.FILES or None, organizations=organizations)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            organization = data["organization"]
            upload = data["file"]
            try:
                refuse_non_csv(upload)
                source, mapping, sample = preview(organization, upload, encoding=data["encoding"] or None)
            except ValidationFailed as exc:
                form.add_error("file" if exc.field == "file" else "encoding", exc.message)
            else:
                upload.seek(0)
                stored = stage_upload(upload)
                token = signing.dumps(
                    {
                        "path": stored,
                        "name": upload.name,
                        "organization": organization.pk,
                        "encoding": source.encoding,
                        "delimiter": source.delimiter,
                    },
                    salt=UPLOAD_SALT,
                )
                initial = {
                    "token": token,
                    "mode": data["mode"],
                    "match_on": data["match_on"],
                    "create_missing": data["create_missing"],
                    "dry_run": data["dry_run"],
                    **{f"column_{index}": mapping[column] for index, column in enumerate(source.header)},
                }
                mapping_form = ImportMappingForm(
                    initial=initial, header=source.header, targets=self._targets(organization)
                )
                return self._render_mapping(request, mapping_form, organization, upload.name, sample)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import contacts",
            "form": form,
            "fields": IMPORT_FIELDS,
        }
        return TemplateResponse(request, "admin/contacts/importjob/upload.html", context)

    def mapping_view(self, request: HttpRequest) -> HttpResponse:
        if not self.can_import(request) or request.method != "POST":
            raise admin.sites.PermissionDenied
        try:
            upload = signing.loads(request.POST.get("token", ""), salt=UPLOAD_SALT, max_age=UPLOAD_MAX_AGE)
        except signing.BadSignature:
            messages.error(request, "The upload expired or is invalid; upload the file again.")
            return HttpResponseRedirect(reverse("admin:contacts_importjob_upload"))
        organization = get_object_or_404(self._organizations(request), pk=upload["organization"])
        if not staged_upload_exists(upload["path"]):
            messages.error(request, "The uploaded file is gone; upload it again.")
            return HttpResponseRedirect(reverse("admin:contacts_importjob_upload"))
        with open_staged_upload(upload["path"]) as stored:
            source, _, sample = preview(
                organization, stored, encoding=upload["encoding"], delimiter=upload["delimiter"]
            )
        form = ImportMappingForm(request.POST, header=source.header, targets=self._targets(organization))
        if form.is_valid():
            data = form.cleaned_data
            try:
                with open_staged_upload(upload["path"]) as stored:
                    job = create_import_job(
                        organization=organization,
                        file=File(stored, name=upload["name"]),
                        mapping=form.mapping(),
                        mode=data["mode"],
                        match_on=data["match_on"],
                        dry_run=data["dry_run"],
                        create_missing=data["create_missing"],
                        encoding=upload["encoding"],
                        delimiter=upload["delimiter"],
                        actor=request.user,
                    )
            except ValidationFailed as exc:
                form.add_error(None, exc.message)
            else:
                discard_staged_upload(upload["path"])
                enqueue_import_job(job)
                messages.success(request, f"Import {job.pk} started.")
                return HttpResponseRedirect(reverse("admin:contacts_importjob_change", args=[job.pk]))
        return self._render_mapping(request, form, organization, upload["name"], sample)

    def _render_mapping(
        self, request: HttpRequest, form: ImportMappingForm, organization: Organization, name: str, sample: list
    ) -> HttpResponse:
        columns = [
            (form[f"column_{index}"], [row[index] if index < len(row) else "" for row in sample])
            for index in range(len(form.header))
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Map columns",
            "form": form,
            "columns": columns,
            "organization": organization,
            "file_name": name,
        }
        return TemplateResponse(request, "admin/contacts/importjob/mapping.html", context)

    @staticmethod
    def _targets(organization: Organization) -> list[tuple[str, Any]]:
        keys = CustomField.objects.filter(organization=organization).values_list("key", flat=True)
        return [
            ("", "— ignore —"),
            ("Contact fields", [(name, name.replace("_", " ")) for name in IMPORT_FIELDS]),
            ("Custom fields", [(f"cf:{key}", key) for key in keys]),
        ]

    # --- deleting: the job's files go with it -------------------------------------------------------------

    def delete_model(self, request: HttpRequest, obj: ImportJob) -> None:
        delete_import_jobs(ImportJob.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        delete_import_jobs(queryset)

    # --- downloads ----------------------------------------------------------------------------------------

    def source_file_view(self, request: HttpRequest, pk: int) -> FileResponse:
        job = self._downloadable_job(request, pk)
        return _attachment(job.file, _download_name(job.original_name, f"import-{job.pk}.csv"), "text/csv")

    def error_report_view(self, request: HttpRequest, pk: int) -> FileResponse:
        job = self._downloadable_job(request, pk)
        return _attachment(job.error_report, f"import-{job.pk}-errors.csv", "text/csv; charset=utf-8")

    def _downloadable_job(self, request: HttpRequest, pk: int) -> ImportJob:
        """The job, if the requester may view it; else 404, the same for a job that exists in another
        organization as for one that does not exist, and for anonymous visitors."""
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            raise Http404("No such file")
        job = self.get_queryset(request).filter(pk=pk).first()
        if job is None or not self.has_view_permission(request, job):
            raise Http404("No such file")
        return job


def _attachment(stored: FieldFile, filename: str, content_type: str) -> FileResponse:
    if not stored:
        raise Http404("No such file")
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404("No such file") from None
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    # Personal data: not kept by browsers or proxies, and never rendered as anything but a download.
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _download_name(original_name: str, fallback: str) -> str:
    # The client chose this name: control characters would break the header (line breaks) or the user's shell.
    name = "".join(char for char in original_name if unicodedata.category(char)[0] != "C").strip()
    return name or fallback
