"""Bulk actions on selected contacts. Each asks for its target on an intermediate page, then calls a service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from contacts.admin.scoping import scope_choices, single_organization
from contacts.errors import ContactsError
from contacts.models import ContactGroup, Tag, Team
from contacts.services import bulk


class _TargetForm(forms.Form):
    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField):
                scoped = scope_choices(request, field.queryset.model, field.queryset)
                if scoped is not None:
                    field.queryset = scoped
            del name


class TagForm(_TargetForm):
    tag = forms.ModelChoiceField(queryset=Tag.objects.order_by("name"))


class GroupForm(_TargetForm):
    group = forms.ModelChoiceField(queryset=ContactGroup.objects.order_by("name"))


class AssignForm(_TargetForm):
    from django.contrib.auth import get_user_model as _get_user_model

    assigned_user = forms.ModelChoiceField(
        queryset=_get_user_model().objects.filter(is_active=True).order_by("username"), required=False
    )
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("assigned_user") and not cleaned.get("team"):
            raise forms.ValidationError("Choose a user, a team or both.")
        return cleaned


def _intermediate(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    form_class: type[_TargetForm],
    title: str,
    apply,
) -> HttpResponse | None:
    if "apply" in request.POST:
        form = form_class(request.POST, request=request)
        if form.is_valid():
            try:
                count = apply(list(queryset), form.cleaned_data)
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


@admin.action(description="Add a tag to selected contacts", permissions=["change"])
def add_tag(modeladmin, request, queryset):
    return _intermediate(
        modeladmin, request, queryset, TagForm, "Add tag", lambda contacts, data: bulk.add_tag(contacts, data["tag"])
    )


@admin.action(description="Remove a tag from selected contacts", permissions=["change"])
def remove_tag(modeladmin, request, queryset):
    return _intermediate(
        modeladmin,
        request,
        queryset,
        TagForm,
        "Remove tag",
        lambda contacts, data: bulk.remove_tag(contacts, data["tag"]),
    )


@admin.action(description="Add selected contacts to a group", permissions=["change"])
def add_to_group(modeladmin, request, queryset):
    return _intermediate(
        modeladmin,
        request,
        queryset,
        GroupForm,
        "Add to group",
        lambda contacts, data: bulk.add_to_group(contacts, data["group"]),
    )


@admin.action(description="Assign selected contacts to a user or team", permissions=["change"])
def assign(modeladmin, request, queryset):
    return _intermediate(
        modeladmin,
        request,
        queryset,
        AssignForm,
        "Assign",
        lambda contacts, data: bulk.assign_contacts(contacts, user=data.get("assigned_user"), team=data.get("team")),
    )


@admin.action(description="Mark selected contacts as favorite", permissions=["change"])
def mark_favorite(modeladmin, request, queryset):
    count = bulk.set_favorite(queryset, True)
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
