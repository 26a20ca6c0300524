"""The admin's vocabulary pages (tags, groups, custom fields, branches, teams, sender numbers) write through the
vocabulary services, as every other surface does: a rename or delete there moves the affected contacts'
`updated_at` (the native API's incremental sync must return them) and records their change events, in the lock
order of every write path. A service's refusal is shown on the form's field, with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse

from contacts.admin.scoping import OrganizationScopedAdmin
from contacts.errors import ContactsError
from contacts.services.vocabulary_deletes import delete_entries


class _ServiceRefused(Exception):
    """A vocabulary service refused the form's input; nothing was written."""

    def __init__(self, error: ContactsError) -> None:
        super().__init__(error.message)
        self.error = error


class ServiceWrittenAdmin(OrganizationScopedAdmin):
    """Saves with `create_service`/`update_service`, deletes with `delete_service` (one call per row).

    `service_fields` are the form fields the create service takes as keyword arguments; the update service takes
    the same less `fixed_fields`, which are read-only once the row exists (stored values were checked against
    them). `error_fields` maps a service's name for an input to the form field's, where they differ.
    """

    create_service: Callable[..., Model]
    update_service: Callable[..., Model]
    delete_service: Callable[..., None]
    service_fields: tuple[str, ...] = ("name",)
    fixed_fields: tuple[str, ...] = ()
    error_fields: dict[str, str] = {}

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # No service moves a row to another organization (its contacts' links would cross tenants).
            fields.extend(["organization", *self.fixed_fields])
        return fields

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any):
        form_class = super().get_form(request, obj, change, **kwargs)
        errors: tuple[ContactsError, ...] = getattr(request, "_vocabulary_service_errors", ())
        if not errors:
            return form_class
        error_fields = self.error_fields

        class RefusedForm(form_class):  # type: ignore[misc, valid-type]
            def clean(self) -> dict[str, Any]:
                cleaned = super().clean()
                for error in errors:
                    field = error_fields.get(error.field or "", error.field)
                    self.add_error(field if field in self.fields else None, error.message)
                return cleaned

        RefusedForm.__name__ = form_class.__name__
        return RefusedForm

    def _changeform_view(self, request, object_id, form_url, extra_context) -> HttpResponse:
        try:
            return super()._changeform_view(request, object_id, form_url, extra_context)
        except _ServiceRefused as refused:
            # The service wrote nothing (its savepoint rolled back) and nothing was logged: Django's path for an
            # invalid form shows the input again, with the service's message on the field it names.
            request._vocabulary_service_errors = (refused.error,)
            return super()._changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        self.check_organization(request, obj)
        data = form.cleaned_data
        try:
            if change:
                changed = [f for f in self.service_fields if f not in self.fixed_fields and f in form.changed_data]
                saved = self.update_service(obj, actor=request.user, **{f: data[f] for f in changed})
            else:
                values = {f: data[f] for f in self.service_fields if f in data}
                saved = self.create_service(organization=obj.organization, actor=request.user, **values)
        except ContactsError as error:
            raise _ServiceRefused(error) from error
        # Django goes on with `obj` (many-to-many fields, the history entry, the redirect): make it the row saved.
        obj.pk = saved.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        self.delete_service(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # One service call per row, so "delete selected" updates and reports the contacts as a single delete does;
        # their contacts locked together first (the lock order).
        delete_entries(queryset, self.delete_service, actor=request.user)
