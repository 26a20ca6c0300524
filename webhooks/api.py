"""`/api/v1/webhooks`: list and create endpoints; `/api/v1/webhooks/{id}`: retrieve, patch, delete;
`/api/v1/webhooks/{id}/rotate-secret` and `/api/v1/webhooks/{id}/test`.

A URL deliveries may not go to (not http(s), unresolvable, or resolving to a loopback, private, link-local,
multicast, reserved or metadata address) is a 422 problem naming `url`. The secret is in the answer to the create
and to a rotation, and nowhere else.
"""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api import openapi_native as doc
from contacts.api.errors import ErrorKind
from contacts.api.native.base import NativeAPIView
from contacts.api.native.fields import ClosedSerializer, StrictBooleanField, StrictCharField
from contacts.api.native.pagination import next_link, paginate
from contacts.api.native.problems import NativeProblem
from contacts.api.scopes import SETTINGS_LIST_SCOPES, SETTINGS_SCOPES
from contacts.errors import NotFound
from contacts.models import Organization, Scope
from events.models import EventType
from webhooks.models import WebhookEndpoint
from webhooks.services.create_endpoint import create_endpoint
from webhooks.services.delete_endpoint import delete_endpoint
from webhooks.services.rotate_secret import rotate_secret
from webhooks.services.send_test_event import send_test_event
from webhooks.services.update_endpoint import update_endpoint
from webhooks.ssrf import UnsafeWebhookUrl

TAGS = ["Webhooks"]
EVENT_TYPES_HELP = f"Some of {', '.join(EventType.values)}; empty (or null) sends every type."


class UnsafeUrlProblem(NativeProblem):
    status = 422
    kind = ErrorKind.VALIDATION


def _stamp(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def render_endpoint(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": str(endpoint.uuid),
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "enabled": endpoint.enabled,
        "disabled_at": _stamp(endpoint.disabled_at),
        "disabled_reason": endpoint.disabled_reason or None,
        "failing_since": _stamp(endpoint.failing_since),
        "created_at": _stamp(endpoint.created_at),
        "updated_at": _stamp(endpoint.updated_at),
    }


class WebhookWriteSerializer(ClosedSerializer):
    read_only_names = frozenset({"id", "disabled_at", "disabled_reason", "failing_since", "created_at", "updated_at"})
    url = StrictCharField(allow_null=False, allow_blank=False)
    description = StrictCharField()
    # Checked by the service against the event types (a plain string here keeps one enum in the schema).
    event_types = serializers.ListField(
        child=StrictCharField(allow_null=False), required=False, allow_null=True, help_text=EVENT_TYPES_HELP
    )
    enabled = StrictBooleanField(required=False)


class WebhookSchema(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    description = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField(), help_text=EVENT_TYPES_HELP)
    enabled = serializers.BooleanField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = serializers.CharField(allow_null=True)
    failing_since = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Webhook"


class WebhookCreatedSchema(WebhookSchema):
    secret = serializers.CharField(help_text="`whsec_...`: shown in this answer only.")

    class Meta:
        ref_name = "WebhookCreated"


class SecretSchema(serializers.Serializer):
    secret = serializers.CharField()
    previous_valid_until = serializers.DateTimeField()

    class Meta:
        ref_name = "WebhookSecret"


class TestDeliverySchema(serializers.Serializer):
    delivery_id = serializers.UUIDField()
    webhook_id = serializers.CharField()

    class Meta:
        ref_name = "WebhookTestDelivery"


WebhookPageSchema = doc.page_schema("Webhook", WebhookSchema)
ENDPOINT_ID = OpenApiParameter("endpoint_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
UNSAFE_URL = {(422, doc.PROBLEM): doc.problem("The URL is one webhooks may not be sent to (`errors` names `url`).")}
NOT_FOUND = {(404, doc.PROBLEM): doc.problem("No such webhook endpoint in the key's organization.")}
WRITE = {**doc.COMMON_PROBLEMS, **doc.WRITE_PROBLEMS, **UNSAFE_URL}


def _validated(body: Any, *, partial: bool) -> dict[str, Any]:
    serializer = WebhookWriteSerializer(data=body, partial=partial)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    if not partial and "url" not in data:
        raise ValidationError({"url": [ErrorDetail("url is required.", code="required")]})
    return data


def _unsafe(exc: UnsafeWebhookUrl) -> UnsafeUrlProblem:
    return UnsafeUrlProblem("url", exc.message, str(exc.code))


def find_endpoint(organization: Organization, raw: str) -> WebhookEndpoint:
    try:
        key = uuid.UUID(raw)
    except ValueError:
        key = None
    found = WebhookEndpoint.objects.filter(organization=organization, uuid=key).first() if key else None
    if found is None:
        raise NotFound(None, "Webhook endpoint not found")
    return found


class WebhookListView(NativeAPIView):
    required_scopes = SETTINGS_LIST_SCOPES

    @extend_schema(
        operation_id="v1_webhooks_list",
        summary="List webhook endpoints",
        tags=TAGS,
        parameters=doc.PAGING,
        responses={200: WebhookPageSchema, **doc.COMMON_PROBLEMS, **doc.LIST_PROBLEMS},
    )
    def get(self, request: Request) -> Response:
        unknown = [name for name in request.query_params if name not in ("cursor", "limit")]
        if unknown:
            raise ValidationError(
                {n: [ErrorDetail(f"{n} is not a parameter of this list.", code="unknown_parameter")] for n in unknown}
            )
        page = paginate(WebhookEndpoint.objects.filter(organization=self.organization), request, "created_at")
        return Response(
            {
                "results": [render_endpoint(row) for row in page.rows],
                "next_cursor": page.next_cursor,
                "next": next_link(request, page),
            }
        )

    @extend_schema(
        operation_id="v1_webhooks_create",
        summary="Create a webhook endpoint (its secret is shown once)",
        tags=TAGS,
        parameters=[doc.IDEMPOTENCY_KEY],
        request=WebhookWriteSerializer,
        responses={201: WebhookCreatedSchema, **WRITE},
    )
    def post(self, request: Request) -> Response:
        data = _validated(self.json_object(), partial=False)
        try:
            endpoint, secret = create_endpoint(organization=self.organization, actor=self.actor, **data)
        except UnsafeWebhookUrl as exc:
            raise _unsafe(exc) from None
        response = Response({**render_endpoint(endpoint), "secret": secret}, status=201)
        response["Location"] = f"{request.path.rstrip('/')}/{endpoint.uuid}"
        response["Cache-Control"] = "no-store"
        return response


class WebhookDetailView(NativeAPIView):
    required_scopes = SETTINGS_SCOPES

    @extend_schema(
        operation_id="v1_webhooks_retrieve",
        summary="Retrieve a webhook endpoint",
        tags=TAGS,
        parameters=[ENDPOINT_ID],
        responses={200: WebhookSchema, **doc.COMMON_PROBLEMS, **NOT_FOUND},
    )
    def get(self, request: Request, endpoint_id: str) -> Response:
        return Response(render_endpoint(find_endpoint(self.organization, endpoint_id)))

    @extend_schema(
        operation_id="v1_webhooks_update",
        summary="Change a webhook endpoint",
        tags=TAGS,
        parameters=[ENDPOINT_ID, doc.IDEMPOTENCY_KEY],
        request=WebhookWriteSerializer,
        responses={200: WebhookSchema, **WRITE, **NOT_FOUND},
    )
    def patch(self, request: Request, endpoint_id: str) -> Response:
        body = self.json_object()
        endpoint = find_endpoint(self.organization, endpoint_id)
        data = _validated(body, partial=True)
        try:
            endpoint = update_endpoint(endpoint, actor=self.actor, **data)
        except UnsafeWebhookUrl as exc:
            raise _unsafe(exc) from None
        return Response(render_endpoint(endpoint))

    @extend_schema(
        operation_id="v1_webhooks_destroy",
        summary="Delete a webhook endpoint",
        tags=TAGS,
        parameters=[ENDPOINT_ID, doc.IDEMPOTENCY_KEY],
        responses={204: OpenApiResponse(description="Deleted."), **doc.COMMON_PROBLEMS, **NOT_FOUND},
    )
    def delete(self, request: Request, endpoint_id: str) -> Response:
        delete_endpoint(find_endpoint(self.organization, endpoint_id), actor=self.actor)
        return Response(status=204)


class RotateSecretView(NativeAPIView):
    required_scopes = {"POST": Scope.SETTINGS_WRITE}

    @extend_schema(
        operation_id="v1_webhooks_rotate_secret",
        summary="Rotate an endpoint's secret (the new one is shown once)",
        tags=TAGS,
        parameters=[ENDPOINT_ID, doc.IDEMPOTENCY_KEY],
        request=None,
        responses={
            200: OpenApiResponse(SecretSchema, description="The new secret; the previous one stays valid a while."),
            **doc.COMMON_PROBLEMS,
            **NOT_FOUND,
        },
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        endpoint = find_endpoint(self.organization, endpoint_id)
        secret = rotate_secret(endpoint, actor=self.actor)
        valid_until = endpoint.secrets.exclude(expires_at=None).values_list("expires_at", flat=True).first()
        response = Response({"secret": secret, "previous_valid_until": _stamp(valid_until)})
        response["Cache-Control"] = "no-store"
        return response


class TestEventView(NativeAPIView):
    required_scopes = {"POST": Scope.SETTINGS_WRITE}

    @extend_schema(
        operation_id="v1_webhooks_test",
        summary="Send a test event to an endpoint",
        tags=TAGS,
        parameters=[ENDPOINT_ID, doc.IDEMPOTENCY_KEY],
        request=None,
        responses={
            202: OpenApiResponse(TestDeliverySchema, description="The test event is queued for delivery."),
            **doc.COMMON_PROBLEMS,
            **NOT_FOUND,
        },
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        delivery = send_test_event(find_endpoint(self.organization, endpoint_id), actor=self.actor)
        return Response({"delivery_id": str(delivery.uuid), "webhook_id": delivery.message_id}, status=202)
