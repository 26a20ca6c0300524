"""Admin for webhooks, scoped to the staff member's organizations: endpoints (the secret shown once, a "send test
event" button, rotation) and the delivery log with every attempt (status code, response excerpt, latency) and a
redeliver action. Writes go through webhooks/services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from contacts.admin.scoping import OrganizationScopedAdmin, single_organization
from events.models import EventType
from webhooks import runner
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services.create_endpoint import create_endpoint
from webhooks.services.redeliver import redeliver
from webhooks.services.rotate_secret import rotate_secret
from webhooks.services.send_test_event import send_test_event
from webhooks.services.update_endpoint import update_endpoint
from webhooks.ssrf import UnsafeWebhookUrl, check_url

EDITABLE = ("url", "description", "event_types", "enabled")


class EndpointForm(forms.ModelForm):
    url = forms.CharField(label="URL", max_length=2000, widget=forms.URLInput(attrs={"size": 80}))
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None checked: every type.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["organization", *EDITABLE]

    def clean_url(self) -> str:
        try:
            return check_url(self.cleaned_data["url"])
        except UnsafeWebhookUrl as exc:
            raise forms.ValidationError(exc.message, code=str(exc.code)) from None


def _secret_page(admin_: admin.ModelAdmin, request: HttpRequest, endpoint: WebhookEndpoint, secret: str, **extra):
    context = {
        **admin_.admin_site.each_context(request),
        "opts": WebhookEndpoint._meta,
        "title": "Webhook signing secret",
        "endpoint": endpoint,
        "secret": secret,
        **extra,
    }
    # Rendered in answer to the POST (no redirect, no message storage): the secret is stored nowhere in clear.
    response = TemplateResponse(request, "admin/webhooks/secret.html", context)
    response["Cache-Control"] = "no-store"
    return response


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(OrganizationScopedAdmin):
    permission_group = "settings"
    form = EndpointForm
    list_display = ("url", "enabled", "types", "failing_since", "disabled_reason", "created_at")
    list_filter = ("enabled",)
    search_fields = ("url", "description")
    readonly_fields = ("disabled_at", "disabled_reason", "failing_since", "created_at", "updated_at")
    fields = ("organization", *EDITABLE, *readonly_fields)
    actions = ["send_test_events", "rotate_secrets"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        # An endpoint stays in the organization it was made in (its secret and log belong there).
        return (*self.readonly_fields, "organization") if obj is not None else self.readonly_fields

    @admin.display(description="event types")
    def types(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.event_types) or "all"

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: forms.ModelForm, change: bool) -> None:
        self.check_organization(request, obj)
        data = {name: form.cleaned_data[name] for name in EDITABLE if name in form.cleaned_data}
        if change:
            update_endpoint(WebhookEndpoint.objects.get(pk=obj.pk), actor=request.user, **data)
            obj.refresh_from_db()
            return
        organization = obj.organization if obj.organization_id else single_organization(request)
        created, secret = create_endpoint(organization=organization, actor=request.user, **data)
        obj.pk = created.pk
        obj.__dict__.update({k: v for k, v in created.__dict__.items() if not k.startswith("_")})
        request._crm_new_secret = secret

    def response_add(self, request: HttpRequest, obj: WebhookEndpoint, post_url_continue: str | None = None):
        secret = getattr(request, "_crm_new_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return _secret_page(self, request, obj, secret)

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/send-test/",
                self.admin_site.admin_view(self.send_test_view),
                name="webhooks_webhookendpoint_send_test",
            )
        ]
        return own + super().get_urls()

    def send_test_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        endpoint = get_object_or_404(self.get_queryset(request), pk=object_id)
        if request.method != "POST" or not self.has_change_permission(request, endpoint):
            return HttpResponseRedirect(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))
        self._send_tests(request, [endpoint])
        return HttpResponseRedirect(
            reverse("admin:webhooks_webhookdelivery_changelist") + f"?endpoint__id__exact={endpoint.pk}"
        )

    def _send_tests(self, request: HttpRequest, endpoints: Any) -> None:
        count = 0
        for endpoint in endpoints:
            send_test_event(endpoint, actor=request.user)
            count += 1
        runner.kick()
        self.message_user(
            request, f"Test event queued for {count} endpoint(s); see the delivery log.", messages.SUCCESS
        )

    @admin.action(description="Send a test event", permissions=["change"])
    def send_test_events(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._send_tests(request, queryset)

    @admin.action(description="Rotate the signing secret (the old one stays valid 24 h)", permissions=["change"])
    def rotate_secrets(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Rotate one endpoint at a time: its new secret is shown once.", messages.ERROR)
            return None
        endpoint = queryset.get()
        secret = rotate_secret(endpoint, actor=request.user)
        valid_until = endpoint.secrets.exclude(expires_at=None).values_list("expires_at", flat=True).first()
        return _secret_page(self, request, endpoint, secret, previous_valid_until=valid_until)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("attempted_at", "status_code", "succeeded", "latency_ms", "response_excerpt", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Whoever may see the delivery (by membership role, not Django's model permissions) sees its attempts.
        return self.admin_site._registry[WebhookDelivery].has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OrganizationScopedAdmin):
    permission_group = "settings"
    list_display = (
        "created_at",
        "endpoint",
        "event_type",
        "status",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event_type")
    list_select_related = ("endpoint",)
    fields = (
        "endpoint",
        "message_id",
        "event_type",
        "contact_uuid",
        "status",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    )
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["redeliver_selected"]

    @admin.display(description="webhook-id")
    def message_id(self, obj: WebhookDelivery) -> str:
        return obj.message_id

    def get_list_filter(self, request: HttpRequest):
        return [*super().get_list_filter(request), "endpoint"] if request.user.is_superuser else self.list_filter

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # The endpoint's change page links its log as ?endpoint__id__exact=; the queryset is already scoped.
        return lookup == "endpoint__id__exact" or super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Redeliver the selected deliveries now", permissions=["change"])
    def redeliver_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = redeliver(queryset, actor=request.user)
        runner.kick()
        self.message_user(request, f"Queued {count} delivery(ies) to be sent again.", messages.SUCCESS)
