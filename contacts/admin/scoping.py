"""Organization scoping for every ModelAdmin: staff who are not superusers see, choose and save only rows of
the organizations they are members of. Superusers see everything, with an organization filter."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from contacts.models import Membership, Organization
from contacts.services.organizations import organizations_of

User = get_user_model()

# What each membership role may do in the admin, per model group.
ROLE_PERMISSIONS = {
    Membership.Role.OWNER: {"contacts": "vacd", "settings": "vacd", "credentials": "vacd"},
    Membership.Role.ADMIN: {"contacts": "vacd", "settings": "vacd", "credentials": "vacd"},
    Membership.Role.AGENT: {"contacts": "vacd", "settings": "v", "credentials": ""},
}


def member_roles(request: HttpRequest) -> set[str]:
    user = request.user
    cached = getattr(user, "_crm_roles", None)
    if cached is None:
        cached = set(Membership.objects.filter(user=user).values_list("role", flat=True))
        user._crm_roles = cached
    return cached


def organization_ids(request: HttpRequest) -> list[int]:
    return organizations_of(request.user)


def single_organization(request: HttpRequest) -> Organization | None:
    ids = organization_ids(request)
    if len(ids) == 1:
        return Organization.objects.filter(pk=ids[0]).first()
    return None


def scope_queryset(request: HttpRequest, queryset: QuerySet, path: str = "organization") -> QuerySet:
    if request.user.is_superuser:
        return queryset
    return queryset.filter(**{f"{path}__in": organization_ids(request)})


def scope_choices(request: HttpRequest, model: type[Model], queryset: QuerySet | None = None) -> QuerySet | None:
    """The rows of `model` a staff member may pick in a form, or None when `model` is not tenant-owned."""
    queryset = queryset if queryset is not None else model._default_manager.all()
    if request.user.is_superuser:
        return queryset
    if model is Organization:
        return queryset.filter(pk__in=organization_ids(request))
    if model is User:
        return queryset.filter(memberships__organization__in=organization_ids(request)).distinct()
    if any(field.name == "organization" for field in model._meta.get_fields()):
        return queryset.filter(organization__in=organization_ids(request))
    return None


class OrganizationScopedAdmin(admin.ModelAdmin):
    """Base for tenant-owned models. `permission_group` picks the row of ROLE_PERMISSIONS that applies."""

    organization_path = "organization"
    permission_group = "contacts"
    list_per_page = 50

    # --- visibility -------------------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope_queryset(request, super().get_queryset(request), self.organization_path)

    def get_list_filter(self, request: HttpRequest):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser and self.organization_path == "organization":
            filters.insert(0, "organization")
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scoped = scope_choices(request, db_field.related_model, kwargs.get("queryset"))
        if scoped is not None:
            kwargs["queryset"] = scoped
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        scoped = scope_choices(request, db_field.related_model, kwargs.get("queryset"))
        if scoped is not None:
            kwargs["queryset"] = scoped
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_exclude(self, request: HttpRequest, obj: Any = None):
        exclude = list(super().get_exclude(request, obj) or [])
        # A staff member of exactly one organization never has to (or gets to) pick it.
        if not request.user.is_superuser and single_organization(request) and self.organization_path == "organization":
            exclude.append("organization")
        return exclude

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        fieldsets = super().get_fieldsets(request, obj)
        hidden = set(self.get_exclude(request, obj) or [])
        if not hidden:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in fieldsets
        ]

    def save_model(self, request: HttpRequest, obj: Any, form, change: bool) -> None:
        self.check_organization(request, obj)
        super().save_model(request, obj, form, change)

    def check_organization(self, request: HttpRequest, obj: Any) -> None:
        """Before `obj` is saved: staff who are not superusers save only in their organizations, and a staff
        member of one organization saves in it without choosing it. Raises PermissionDenied otherwise."""
        if self.organization_path != "organization" or request.user.is_superuser:
            return
        if not getattr(obj, "organization_id", None):
            organization = single_organization(request)
            if organization is None:
                raise PermissionDenied("Choose an organization")
            obj.organization = organization
        if obj.organization_id not in organization_ids(request):
            raise PermissionDenied("Not your organization")

    # --- permissions from membership roles ---------------------------------------------------------------
    def _allowed(self, request: HttpRequest, letter: str, obj: Any = None) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if user.is_superuser:
            return True
        if not any(letter in ROLE_PERMISSIONS[role][self.permission_group] for role in member_roles(request)):
            return False
        if obj is not None:
            return self.get_queryset(request).filter(pk=obj.pk).exists()
        return True

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request, "v")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, "v", obj)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return self._allowed(request, "a")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, "c", obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, "d", obj)


def scoped_related_filter(field_name: str, title: str, model: type[Model], label_attr: str = "name"):
    """A list filter over `model` rows that lists only the staff member's organizations' rows (Django's
    RelatedFieldListFilter would list every organization's, and RelatedOnlyFieldListFilter scans the table)."""

    tenant_owned = any(field.name == "organization" for field in model._meta.get_fields())

    class ScopedRelatedFilter(admin.SimpleListFilter):
        parameter_name = f"{field_name}__id__exact"

        def __init__(self, request, params, model_, model_admin):
            self.title = title
            super().__init__(request, params, model_, model_admin)

        def lookups(self, request, model_admin):
            queryset = scope_choices(request, model)
            if queryset is None:
                queryset = model._default_manager.all()
            if request.user.is_superuser and tenant_owned:
                # A superuser sees every organization's rows: two "VIP" tags must say whose each is.
                rows = queryset.select_related("organization").order_by(label_attr, "organization__name")[:200]
                return [(str(row.pk), f"{getattr(row, label_attr)} ({row.organization.name})") for row in rows]
            return [(str(row.pk), str(getattr(row, label_attr))) for row in queryset[:200]]

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(**{f"{field_name}__id": self.value()})
            return queryset

    ScopedRelatedFilter.__name__ = f"{field_name.title()}Filter"
    return ScopedRelatedFilter
