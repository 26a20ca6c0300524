"""Admin for API credentials. A secret is shown once, on the page that answers the save that created it;
afterwards only its prefix (or client id) is visible."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import capfirst

from contacts.admin.scoping import OrganizationScopedAdmin, single_organization
from contacts.models import ApiKey, HmacClient, OAuthClient, Scope
from contacts.services import credentials

SCOPE_CHOICES = [(scope.value, f"{scope.label}  ({scope.value})") for scope in Scope]


# When and by whom a credential was made and last used: shown on every kind's change page, never edited.
_AUDIT_FIELDS = ("last_used_at", "created_by", "created_at")


def _change_fields(identifier: str) -> tuple[str, ...]:
    """A credential's change page; every kind shows the same fields but for what identifies it."""
    return ("organization", "name", identifier, "scopes", "expires_at", "revoked_at", *_AUDIT_FIELDS)


def _readonly_on_change(identifier: str) -> tuple[str, ...]:
    return (identifier, "last_used_at", "created_at", "created_by", "revoked_at")


class CredentialAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[scope.value for scope in Scope],
        help_text="Mobivate names these permissions create:Contacts, read:Contacts, update:Contacts, delete:Contacts.",
    )


class CredentialAdmin(OrganizationScopedAdmin):
    """Shared behaviour: creation through the service, the one-time secret page, revocation."""

    permission_group = "credentials"
    actions = ["revoke_selected"]
    list_filter = ()
    secret_label = "Secret"

    # Agents have no access to credentials. The admin hides these pages from them; a bookmarked or typed URL
    # answers 403 with the admin's own page and the reason, instead of the bare "403 Forbidden".
    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return self._unless_denied(super().changelist_view, request, extra_context=extra_context)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        return self._unless_denied(super().add_view, request, form_url, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        return self._unless_denied(super().change_view, request, object_id, form_url, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        return self._unless_denied(super().delete_view, request, object_id, extra_context)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        return self._unless_denied(super().history_view, request, object_id, extra_context)

    def _unless_denied(self, view: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied:
            context = {
                **self.admin_site.each_context(request),
                "title": f"{capfirst(self.model._meta.verbose_name_plural)} are not available to your role",
                "message": (
                    "API keys, HMAC clients and OAuth clients are managed by your organization's owners and "
                    "admins. Ask one of them if an integration needs a credential."
                ),
            }
            return TemplateResponse(request, "admin/contacts/permission_denied.html", context, status=403)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        if obj is None:
            return ()
        return self.readonly_on_change

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = type(
                "AddForm",
                (CredentialAddForm,),
                {"Meta": type("Meta", (), {"model": self.model, "fields": self.add_fields})},
            )
            kwargs["fields"] = [f for f in self.add_fields if f not in (self.get_exclude(request, obj) or [])]
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        if obj is None:
            hidden = set(self.get_exclude(request, obj) or [])
            return [(None, {"fields": [f for f in self.add_fields if f not in hidden]})]
        return super().get_fieldsets(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        organization = form.cleaned_data.get("organization") or single_organization(request)
        created, secret = self.create_credential(request, organization, form.cleaned_data)
        obj.pk = created.pk
        obj.__dict__.update({k: v for k, v in created.__dict__.items() if not k.startswith("_")})
        request._crm_new_secret = secret

    def create_credential(self, request: HttpRequest, organization: Any, data: dict) -> tuple[Any, str]:
        raise NotImplementedError

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: str | None = None) -> HttpResponse:
        secret = getattr(request, "_crm_new_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        # Rendered directly (no redirect, no message storage) so the secret is never persisted anywhere.
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{self.model._meta.verbose_name.capitalize()} created",
            "credential": obj,
            "secret": secret,
            "secret_label": self.secret_label,
            "identifier_label": self.identifier_label,
            "identifier": self.identifier(obj),
        }
        response = TemplateResponse(request, "admin/contacts/credential_secret.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke selected credentials")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for credential in queryset.filter(revoked_at__isnull=True):
            credentials.revoke(credential)
            count += 1
        self.message_user(request, f"Revoked {count} credential(s).", messages.SUCCESS)

    @admin.display(description="status")
    def status(self, obj: Any) -> str:
        if obj.revoked_at:
            return "revoked"
        if obj.expires_at and obj.expires_at <= timezone.now():
            return "expired"
        return "active"


@admin.register(ApiKey)
class ApiKeyAdmin(CredentialAdmin):
    list_display = ("name", "prefix", "scope_labels", "status", "last_used_at", "expires_at", "created_at")
    search_fields = ("name", "prefix")
    add_fields = ["organization", "name", "scopes", "expires_at"]
    readonly_on_change = _readonly_on_change("prefix")
    fields = _change_fields("prefix")
    secret_label = "API key"
    identifier_label = "Prefix"

    def identifier(self, obj: ApiKey) -> str:
        return obj.prefix

    @admin.display(description="permissions")
    def scope_labels(self, obj: ApiKey) -> str:
        return ", ".join(Scope(value).label for value in obj.scopes if value in Scope.values)

    def create_credential(self, request, organization, data):
        return credentials.create_api_key(
            organization=organization,
            name=data["name"],
            scopes=data["scopes"],
            expires_at=data.get("expires_at"),
            actor=request.user,
        )


class ClientCredentialAdmin(CredentialAdmin):
    """HMAC and OAuth clients: identified by a client id, created by the service's `create_client`."""

    list_display = ("name", "client_id", "status", "last_used_at", "created_at")
    search_fields = ("name", "client_id")
    add_fields = ["organization", "name", "scopes", "expires_at"]
    readonly_on_change = _readonly_on_change("client_id")
    fields = _change_fields("client_id")

    def identifier(self, obj: HmacClient | OAuthClient) -> str:
        return obj.client_id

    def create_credential(self, request, organization, data):
        return credentials.create_client(
            self.model,
            organization=organization,
            name=data["name"],
            scopes=data["scopes"],
            expires_at=data.get("expires_at"),
            actor=request.user,
        )


@admin.register(HmacClient)
class HmacClientAdmin(ClientCredentialAdmin):
    secret_label = "Signing secret"
    identifier_label = "X-Client-ID"


@admin.register(OAuthClient)
class OAuthClientAdmin(ClientCredentialAdmin):
    secret_label = "Client secret"
    identifier_label = "client_id"
