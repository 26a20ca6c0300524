"""Admin for contacts and their per-organization vocabularies (tags, groups, custom fields)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import _boolean_icon
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join

from contacts.admin import actions
from contacts.admin.forms import CUSTOM_FIELD_PREFIX, ContactAdminForm, custom_field_form_field
from contacts.admin.history import contact_history_view
from contacts.admin.paginator import EstimatedCountPaginator
from contacts.admin.scoping import (
    OrganizationScopedAdmin,
    organization_ids,
    scoped_related_filter,
    single_organization,
)
from contacts.admin.vocabulary_writes import ServiceWrittenAdmin
from contacts.errors import ContactsError, NotFound
from contacts.models import (
    Branch,
    ChannelIdentity,
    Contact,
    ContactGroup,
    CustomField,
    Tag,
    Team,
)
from contacts.selectors import search_contacts
from contacts.services.contact_fields import SEARCH_FIELDS
from contacts.services.contacts import create_contact, delete_contact, update_contact
from contacts.services.phones import format_international
from contacts.services.uncommitted_files import removing_uncommitted_files
from contacts.services.vocabularies import (
    create_custom_field,
    create_group,
    create_tag,
    delete_custom_field,
    delete_group,
    delete_tag,
    update_custom_field,
    update_group,
    update_tag,
)


class _ServiceRefused(Exception):
    """A contact service refused the form's input; nothing was written."""

    def __init__(self, error: ContactsError) -> None:
        super().__init__(error.message)
        self.error = error


class ChannelIdentityInline(admin.TabularInline):
    model = ChannelIdentity
    extra = 0
    fields = ("channel", "external_id", "details", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Contact)
class ContactAdmin(OrganizationScopedAdmin):
    form = ContactAdminForm
    list_display = (
        "avatar_thumbnail",
        "display_name",
        "phone_international",
        "email",
        "tag_list",
        "group_list",
        "branch",
        "assigned_user",
        "source",
        "created_at",
    )
    list_display_links = ("avatar_thumbnail", "display_name")
    list_select_related = ("branch", "assigned_user", "organization")
    search_fields = SEARCH_FIELDS
    autocomplete_fields = ("tags", "groups", "branch", "team", "assigned_user")
    readonly_fields = ("uuid", "avatar_preview", "phone_validity", "attributes_table", "created_at", "updated_at")
    date_hierarchy = None
    ordering = ("-created_at", "-id")
    show_full_result_count = False
    # Facet counts would run one COUNT per filter choice over the whole organization: too slow at scale.
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    inlines = [ChannelIdentityInline]
    actions = [
        actions.add_tag,
        actions.remove_tag,
        actions.add_to_group,
        actions.assign,
        actions.mark_favorite,
        actions.export_csv,
        "delete_selected",
    ]

    base_fieldsets = [
        ("Identity", {"fields": ["organization", "uuid", "name", "full_name", "alias", "contact_key", "is_favorite"]}),
        (
            "Channels",
            {"fields": ["phone", "phone_validity", "email", "source", "avatar", "avatar_preview", "avatar_url"]},
        ),
        ("Details", {"fields": ["country", "address", "description", "note", "bot_status"]}),
        ("Organization", {"fields": ["branch", "team", "assigned_user", "groups", "tags"]}),
    ]

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None) -> HttpResponse:
        # The contact's change events (every surface's), not Django's log of admin actions.
        return contact_history_view(self, request, object_id, extra_context)

    def get_list_filter(self, request: HttpRequest):
        filters = [
            scoped_related_filter("tags", "tag", Tag),
            scoped_related_filter("groups", "group", ContactGroup),
            scoped_related_filter("branch", "branch", Branch),
            scoped_related_filter("team", "team", Team),
            scoped_related_filter("assigned_user", "assigned user", get_user_model(), "username"),
            "source",
            "is_favorite",
            "phone_valid",
            ("created_at", admin.DateFieldListFilter),
        ]
        if request.user.is_superuser:
            filters.insert(0, "organization")
        return filters

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("tags", queryset=Tag.objects.only("id", "name")),
                Prefetch("groups", queryset=ContactGroup.objects.only("id", "name")),
            )
        )

    # --- form ---------------------------------------------------------------------------------------------
    def _form_organization(self, request: HttpRequest, obj: Contact | None):
        if obj is not None:
            return obj.organization
        return single_organization(request)

    def get_fieldsets(self, request: HttpRequest, obj: Contact | None = None):
        fieldsets = [(name, {"fields": list(options["fields"])}) for name, options in self.base_fieldsets]
        organization = self._form_organization(request, obj)
        if organization is not None:
            definitions = CustomField.objects.filter(organization=organization).order_by("key")
            names = [CUSTOM_FIELD_PREFIX + str(pk) for pk in definitions.values_list("pk", flat=True)]
            if names:
                fieldsets.append(("Custom fields", {"fields": names}))
        if obj is not None and obj.attributes:
            fieldsets.append(("Attribute sets", {"fields": ["attributes_table"], "classes": ["collapse"]}))
        fieldsets.append(("Metadata", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}))
        if obj is None:
            # Nothing to show before the contact exists: no uuid yet, no verdict on a phone not yet typed, no
            # current avatar.
            fieldsets[0][1]["fields"].remove("uuid")
            fieldsets[1][1]["fields"].remove("phone_validity")
            fieldsets[1][1]["fields"].remove("avatar_preview")
        hidden = set(self.get_exclude(request, obj) or [])
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Contact | None = None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # A contact stays in its organization: no service moves one, with its tags, groups and custom fields.
            fields.append("organization")
        return fields

    def get_form(self, request: HttpRequest, obj: Contact | None = None, change: bool = False, **kwargs: Any):
        organization = self._form_organization(request, obj)
        definitions = list(CustomField.objects.filter(organization=organization)) if organization else []
        attrs: dict[str, Any] = {CUSTOM_FIELD_PREFIX + str(d.pk): custom_field_form_field(d) for d in definitions}
        attrs["custom_field_definitions"] = definitions
        attrs["form_organization"] = organization
        attrs["service_errors"] = getattr(request, "_contact_service_errors", ())
        kwargs["form"] = type("ContactAdminForm", (ContactAdminForm,), attrs)
        return super().get_form(request, obj, change, **kwargs)

    # --- saving: the form collects the input, the contact services validate and write it -------------------
    # Django's admin runs form.is_valid → save_form → (inlines valid?) → save_model → save_related, in the
    # transaction changeform_view opens. Here save_form builds nothing, save_model makes the one service call,
    # save_related leaves tags and groups to the service, and a refusal shows the form again with its message.

    def get_urls(self):
        urls = super().get_urls()
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        for pattern in urls:
            if pattern.name in (f"{prefix}_add", f"{prefix}_change"):
                # Out of ATOMIC_REQUESTS: changeform_view opens the save's transaction itself, and the avatar scope
                # must be outside the outermost one.
                transaction.non_atomic_requests(pattern.callback)
        return urls

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return super().changeform_view(request, object_id, form_url, extra_context)
        # Storage is not transactional: an avatar written by a save that then rolls back is deleted here.
        with removing_uncommitted_files():
            return super().changeform_view(request, object_id, form_url, extra_context)

    def _changeform_view(self, request, object_id, form_url, extra_context):
        try:
            return super()._changeform_view(request, object_id, form_url, extra_context)
        except _ServiceRefused as refused:
            # Nothing was written, nothing logged. Django's own path for an invalid form shows the input again,
            # now with the service's message on the field it names (the form adds it in clean()).
            request._contact_service_errors = (refused.error,)
            for _, uploads in request.FILES.lists():
                for upload in uploads:
                    upload.seek(0)  # read again from the start, as on the first pass
            return super()._changeform_view(request, object_id, form_url, extra_context)

    def save_form(self, request: HttpRequest, form, change: bool) -> Contact:
        # Not form.save(commit=False): the service builds the contact from form.cleaned_data.
        return form.instance

    def save_model(self, request: HttpRequest, obj: Contact, form, change: bool) -> None:
        try:
            if change:
                self.check_organization(request, obj)
                arguments = form.service_arguments(changed_only=True)
                saved = update_contact(obj, actor=request.user, custom_fields_mode="patch", **arguments)
            else:
                if form.cleaned_data.get("organization") is not None:
                    obj.organization = form.cleaned_data["organization"]
                self.check_organization(request, obj)
                arguments = form.service_arguments(changed_only=False)
                saved = create_contact(organization=obj.organization, actor=request.user, **arguments)
        except ContactsError as error:
            raise _ServiceRefused(error) from error
        # Django goes on with `obj` (inlines, the history entry, the redirect): make it the contact as saved.
        obj.pk = saved.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # No form.save_m2m(): the service set tags and groups, checked against the organization, in its lock order.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, ChannelIdentity):
                instance.organization_id = form.instance.organization_id
            instance.save()
        for instance in formset.deleted_objects:
            instance.delete()
        formset.save_m2m()

    # --- changelist columns ---------------------------------------------------------------------------------
    @admin.display(description="")
    def avatar_thumbnail(self, contact: Contact) -> str:
        url = contact.avatar.url if contact.avatar else contact.avatar_url
        if not url:
            initial = (str(contact) or "?")[:1].upper()
            return format_html('<span class="crm-avatar crm-avatar-initial">{}</span>', initial)
        return format_html('<img class="crm-avatar" src="{}" alt="" width="32" height="32" loading="lazy">', url)

    @admin.display(description="name", ordering="name")
    def display_name(self, contact: Contact) -> str:
        return contact.name or contact.full_name or "(no name)"

    @admin.display(description="phone", ordering="phone")
    def phone_international(self, contact: Contact) -> str:
        return format_international(contact.phone_e164) if contact.phone else ""

    @admin.display(description="tags")
    def tag_list(self, contact: Contact) -> str:
        return format_html_join(" ", '<span class="crm-chip">{}</span>', ((t.name,) for t in contact.tags.all()))

    @admin.display(description="groups")
    def group_list(self, contact: Contact) -> str:
        return ", ".join(group.name for group in contact.groups.all())

    @admin.display(description="phone valid")
    def phone_validity(self, contact: Contact) -> str:
        if not contact.phone:
            return "—"  # no phone, no verdict (the stored flag would say "not valid")
        return _boolean_icon(contact.phone_valid)

    @admin.display(description="current avatar")
    def avatar_preview(self, contact: Contact) -> str:
        url = contact.avatar.url if contact.avatar else contact.avatar_url
        if not url:
            return "—"
        return format_html('<img class="crm-avatar-preview" src="{}" alt="avatar">', url)

    @admin.display(description="attribute sets")
    def attributes_table(self, contact: Contact) -> str:
        rows = []
        for set_name, items in (contact.attributes or {}).items():
            for item in items if isinstance(items, list) else [items]:
                for name, value in item.items() if isinstance(item, dict) else []:
                    rows.append((set_name, name, value))
        if not rows:
            return "—"
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html("<table><tr><th>Set</th><th>Attribute</th><th>Value</th></tr>{}</table>", body)

    # --- search: words in name/email/alias/key, or a phone typed in any common format ---------------------------
    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        if not search_term.strip():
            return queryset, False
        return search_contacts(queryset, search_term, regions=self._regions(request)), False

    def _regions(self, request: HttpRequest) -> list[str]:
        from contacts.models import Organization

        if request.user.is_superuser:
            return list(Organization.objects.values_list("default_region", flat=True).distinct()[:20]) or ["US"]
        return list(
            Organization.objects.filter(pk__in=organization_ids(request))
            .values_list("default_region", flat=True)
            .distinct()
        )

    # --- deletes go through the service (avatar files are removed too) ---------------------------------------
    def delete_model(self, request: HttpRequest, obj: Contact) -> None:
        with suppress(NotFound):  # deleted by someone else meanwhile: what was asked for is done
            delete_contact(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # Ascending id: the lock order of every write path.
        for contact in queryset.select_related(None).only("id", "avatar", "organization_id").order_by("pk"):
            with suppress(NotFound):
                delete_contact(contact, actor=request.user)


class ContactCountAdmin(ServiceWrittenAdmin):
    """Tags and groups: listed by name, each with how many contacts it holds (their `contacts` relation)."""

    search_fields = ("name",)
    ordering = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(contact_count=Count("contacts"))

    @admin.display(description="contacts", ordering="contact_count")
    def contact_count(self, obj: Tag | ContactGroup) -> int:
        return obj.contact_count


@admin.register(Tag)
class TagAdmin(ContactCountAdmin):
    list_display = ("name", "contact_count", "created_at")
    create_service = staticmethod(create_tag)
    update_service = staticmethod(update_tag)
    delete_service = staticmethod(delete_tag)


@admin.register(ContactGroup)
class ContactGroupAdmin(ContactCountAdmin):
    list_display = ("name", "id", "description", "contact_count", "created_at")
    create_service = staticmethod(create_group)
    update_service = staticmethod(update_group)
    delete_service = staticmethod(delete_group)
    service_fields = ("name", "description")


@admin.register(CustomField)
class CustomFieldAdmin(ServiceWrittenAdmin):
    list_display = ("key", "label", "field_type", "choice_list", "created_at")
    list_filter = ("field_type",)
    search_fields = ("key", "label")
    permission_group = "settings"
    create_service = staticmethod(create_custom_field)
    update_service = staticmethod(update_custom_field)
    delete_service = staticmethod(delete_custom_field)
    service_fields = ("key", "field_type", "label", "choices")
    fixed_fields = ("key", "field_type")
    error_fields = {"type": "field_type"}

    @admin.display(description="choices")
    def choice_list(self, field: CustomField) -> str:
        return ", ".join(map(str, field.choices or []))
