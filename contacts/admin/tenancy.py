"""Admin for organizations, memberships, teams, branches and sender numbers."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from contacts.admin.scoping import OrganizationScopedAdmin, organization_ids
from contacts.admin.vocabulary_writes import ServiceWrittenAdmin
from contacts.models import Branch, Membership, Organization, SenderNumber, Team
from contacts.services import vocabularies


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "public_id", "default_region", "created_at")
    search_fields = ("name", "slug", "public_id")
    readonly_fields = ("public_id", "created_at")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=organization_ids(request))

    # Only superusers create or delete tenants; members may view theirs (and owners edit its settings).
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        return request.user.is_staff and (obj is None or obj.pk in organization_ids(request))

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        if obj is None or obj.pk not in organization_ids(request):
            return False
        return Membership.objects.filter(
            user=request.user, organization=obj, role__in=[Membership.Role.OWNER, Membership.Role.ADMIN]
        ).exists()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(OrganizationScopedAdmin):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__email")
    autocomplete_fields = ("user",)
    list_select_related = ("user", "organization")
    permission_group = "settings"


@admin.register(Team)
class TeamAdmin(ServiceWrittenAdmin):
    list_display = ("name", "uuid", "created_at")
    search_fields = ("name",)
    readonly_fields = ("uuid",)
    filter_horizontal = ("members",)
    permission_group = "settings"
    create_service = staticmethod(vocabularies.create_team)
    update_service = staticmethod(vocabularies.update_team)
    delete_service = staticmethod(vocabularies.delete_team)


@admin.register(Branch)
class BranchAdmin(ServiceWrittenAdmin):
    list_display = ("name", "id", "created_at")
    search_fields = ("name",)
    permission_group = "settings"
    create_service = staticmethod(vocabularies.create_branch)
    update_service = staticmethod(vocabularies.update_branch)
    delete_service = staticmethod(vocabularies.delete_branch)


@admin.register(SenderNumber)
class SenderNumberAdmin(ServiceWrittenAdmin):
    list_display = ("phone", "external_id", "label", "created_at")
    search_fields = ("phone", "external_id", "label")
    permission_group = "settings"
    create_service = staticmethod(vocabularies.create_sender_number)
    update_service = staticmethod(vocabularies.update_sender_number)
    delete_service = staticmethod(vocabularies.delete_sender_number)
    service_fields = ("phone", "external_id", "label")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class ScopedUserAdmin(UserAdmin):
    """Staff may look up (for assignment) the users of their own organizations; only superusers edit users."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(memberships__organization__in=organization_ids(request)).distinct()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        # Needed by the assigned-user autocomplete; the queryset keeps it to co-members.
        return (
            request.user.is_staff
            and bool(organization_ids(request))
            and (obj is None or self.get_queryset(request).filter(pk=obj.pk).exists())
        )

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser
