"""Bulk actions on selected contacts. Each asks for its target on an intermediate page, then calls a service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from contacts.admin.scoping import scope_choices, single_organization
from contacts.errors import ContactsError
from contacts.models import ContactGroup, Tag, Team
from contacts.services import bulk


class _TargetForm(forms.Form):
    """The target of a bulk action; `arguments()` are the positional and keyword arguments of its service call
    after the contacts (by default the fields' values, in order)."""

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                scoped = scope_choices(request, field.queryset.model, field.queryset)
                if scoped is not None:
                    field.queryset = scoped

    def arguments(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return tuple(self.cleaned_data[name] for name in self.fields), {}


class TagForm(_TargetForm):
    tag = forms.ModelChoiceField(queryset=Tag.objects.order_by("name"))


class GroupForm(_TargetForm):
    group = forms.ModelChoiceField(queryset=ContactGroup.objects.order_by("name"))


class AssignForm(_TargetForm):
    assigned_user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"), required=False
    )
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("assigned_user") and not cleaned.get("team"):
            raise forms.ValidationError("Choose a user, a team or both.")
        return cleaned

    def arguments(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (), {"user": self.cleaned_data.get("assigned_user"), "team": self.cleaned_data.get("team")}


def _intermediate(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    form_class: type[_TargetForm],
    title: str,
    service: str,
) -> HttpResponse | None:
    if "apply" in request.POST:
        form = form_class(request.POST, request=request)
        if form.is_valid():
            try:
                # Looked up on `bulk` at each call, so a service patched in a test is the one called.
                args, kwargs = form.arguments()
                count = getattr(bulk, service)(list(queryset), *args, **kwargs, actor=request.user)
            except ContactsError as exc:
                modeladmin.message_user(request, exc.message, messages.ERROR)
                return None
            modeladmin.message_user(request, f"{title}: {count} contact(s) changed.", messages.SUCCESS)
            return None
    else:
        form = form_class(request=request)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset,
        "count": queryset.count(),
        "opts": modeladmin.model._meta,
        "action": request.POST.get("action"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/contacts/bulk_action.html", context)


def _targeted_action(name: str, description: str, form_class: type[_TargetForm], title: str, service: str):
    """An admin action that asks for its target on the intermediate page, then calls `bulk.<service>` with the
    form's arguments, as the staff user."""

    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return _intermediate(modeladmin, request, queryset, form_class, title, service)

    action.__name__ = action.__qualname__ = name
    return admin.action(description=description, permissions=["change"])(action)


add_tag = _targeted_action("add_tag", "Add a tag to selected contacts", TagForm, "Add tag", "add_tag")
remove_tag = _targeted_action("remove_tag", "Remove a tag from selected contacts", TagForm, "Remove tag", "remove_tag")
add_to_group = _targeted_action(
    "add_to_group", "Add selected contacts to a group", GroupForm, "Add to group", "add_to_group"
)
assign = _targeted_action(
    "assign", "Assign selected contacts to a user or team", AssignForm, "Assign", "assign_contacts"
)


@admin.action(description="Mark selected contacts as favorite", permissions=["change"])
def mark_favorite(modeladmin, request, queryset):
    count = bulk.set_favorite(queryset, True, actor=request.user)
    modeladmin.message_user(request, f"Marked {count} contact(s) as favorite.", messages.SUCCESS)


@admin.action(description="Export selected contacts as CSV", permissions=["view"])
def export_csv(modeladmin, request, queryset):
    from contacts.services.exports import stream_contacts_csv

    # Staff of one organization get its custom-field columns whatever the list holds (as `export_contacts`
    # writes them), even when the search or filters match nothing. Superusers may see several organizations.
    organization = None if request.user.is_superuser else single_organization(request)
    rows = stream_contacts_csv(queryset, organization=organization)
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contacts-{timezone.now():%Y%m%d-%H%M%S}.csv"'
    return response
