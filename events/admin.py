"""The "Change history" admin: every change event of the staff member's organizations, read-only.

Filters by type, surface and actor kind; the search box takes a contact's uuid (also a deleted contact's, whose
tombstone stays here). Nothing can be added, changed or deleted: services write events, with the change itself.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from contacts.admin.history import actor_label, change_rows, surface_label
from contacts.admin.paginator import EstimatedCountPaginator
from contacts.admin.scoping import OrganizationScopedAdmin
from contacts.models import Contact
from events.models import ContactEvent


@admin.register(ContactEvent)
class ContactEventAdmin(OrganizationScopedAdmin):
    list_display = ("occurred_at", "type", "contact_uuid", "actor", "surface_name", "changed_fields")
    list_filter = ("type", "surface", "actor_kind")
    search_fields = ("contact_uuid",)
    search_help_text = "A contact's id (uuid), also of a deleted contact."
    ordering = ("-id",)
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    fields = (
        "occurred_at",
        "type",
        "contact",
        "actor",
        "surface_name",
        "request_id",
        "changes_table",
        "uuid",
    )
    readonly_fields = fields

    # --- read-only: services write events -----------------------------------------------------------------
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        return {}

    # --- search: a uuid, matched exactly (on the index), not a substring scan --------------------------------
    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            contact_uuid = uuid.UUID(term)
        except ValueError:
            return queryset.none(), False
        return queryset.filter(contact_uuid=contact_uuid), False

    # --- columns ------------------------------------------------------------------------------------------------
    @admin.display(description="actor")
    def actor(self, event: ContactEvent) -> str:
        return actor_label(event)

    @admin.display(description="surface", ordering="surface")
    def surface_name(self, event: ContactEvent) -> str:
        return surface_label(event)

    @admin.display(description="changed fields")
    def changed_fields(self, event: ContactEvent) -> str:
        return ", ".join(str(field) for field in (event.changes or {}))

    @admin.display(description="contact")
    def contact(self, event: ContactEvent) -> str:
        contact = Contact.objects.filter(organization_id=event.organization_id, uuid=event.contact_uuid).first()
        if contact is None:
            return format_html("{} (deleted)", event.contact_uuid)
        url = reverse("admin:contacts_contact_change", args=[contact.pk])
        return format_html('<a href="{}">{}</a> ({})', url, str(contact), event.contact_uuid)

    @admin.display(description="changes")
    def changes_table(self, event: ContactEvent) -> str:
        rows = change_rows(event.changes)
        if not rows:
            return "—"
        body = format_html_join(
            "", "<tr><th scope='row'>{}</th><td>{}</td><td>{}</td></tr>", ((r.field, r.before, r.after) for r in rows)
        )
        return format_html("<table><tr><th>Field</th><th>Before</th><th>After</th></tr>{}</table>", body)
