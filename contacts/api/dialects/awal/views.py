"""Awal's contact endpoints under `/awal/`: HMAC-signed, form-data bodies, Awal's envelopes and errors."""

from __future__ import annotations

import math
import uuid

from django.db.models import OuterRef, QuerySet, Subquery
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api import openapi_dialects
from contacts.api.base import DialectAPIView
from contacts.api.dialects.awal.errors import AwalError
from contacts.api.dialects.awal.serializers import (
    FIRST_GROUP_ATTRIBUTE,
    AwalContactFormSerializer,
    AwalContactListQuerySerializer,
    AwalContactSerializer,
    AwalSenderQuerySerializer,
)
from contacts.api.dialects.awal.throttling import AwalRateThrottle, uncounted_rate_limit_headers
from contacts.errors import NotFound
from contacts.models import Contact, Scope, SenderNumber
from contacts.selectors import PhoneMatch, find_contact, organization_contacts, search_contacts
from contacts.services.contacts import create_contact, delete_contact, update_contact


class AwalAPIView(DialectAPIView):
    """Signed requests, form-data bodies, JSON responses; every error in Awal's body with a request id."""

    parser_classes = [MultiPartParser, FormParser]
    renderer_classes = [JSONRenderer]
    throttle_classes = [AwalRateThrottle]
    # DRF's OPTIONS answer is its own metadata shape; Awal documents no OPTIONS, so it is a 405.
    metadata_class = None
    required_scopes = {
        "GET": Scope.CONTACTS_READ,
        "HEAD": Scope.CONTACTS_READ,
        "POST": Scope.CONTACTS_CREATE,
        "PATCH": Scope.CONTACTS_UPDATE,
        "DELETE": Scope.CONTACTS_DELETE,
    }
    request_id = ""

    @property
    def allowed_methods(self) -> list[str]:
        # OPTIONS is answered with a 405 (see metadata_class), so the Allow header must not offer it.
        return [method for method in super().allowed_methods if method != "OPTIONS"]

    def dispatch(self, request, *args, **kwargs):
        self.request_id = f"req_{uuid.uuid4().hex}"
        self._throttles: list = []
        return super().dispatch(request, *args, **kwargs)

    def get_throttles(self) -> list:
        self._throttles = super().get_throttles()
        return self._throttles

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        counted = [t for t in self._throttles if getattr(t, "counted", False)]
        headers = counted[0].rate_limit_headers() if counted else uncounted_rate_limit_headers(self.throttle_scope)
        for name, value in headers.items():
            response[name] = value
        response["X-Request-ID"] = self.request_id
        return response

    # Shared by the endpoints.

    def check_sender_number(self, *, required: bool) -> None:
        """`phone_number_id`, when given, must name one of the organization's sender numbers, else 404 (docs/dialects/awal.md)."""
        query = AwalSenderQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        phone_number_id = query.validated_data.get("phone_number_id")
        if not phone_number_id:
            if required:
                raise AwalError(
                    422,
                    "validation_failed",
                    "The phone_number_id query parameter is required",
                    {"phone_number_id": "This query parameter is required"},
                )
            return
        if not SenderNumber.objects.filter(organization=self.organization, external_id=phone_number_id).exists():
            raise NotFound("phone_number_id", f"Unknown phone_number_id: {phone_number_id}")

    def contacts(self) -> QuerySet[Contact]:
        first_group = (
            Contact.groups.through.objects.filter(contact_id=OuterRef("pk")).order_by("id").values("contactgroup_id")
        )
        # The one group the serializer shows, from a subquery: no query a contact.
        return organization_contacts(self.organization).annotate(**{FIRST_GROUP_ATTRIBUTE: Subquery(first_group[:1])})

    def get_contact(self, contact_id: int) -> Contact:
        return find_contact(
            organization=self.organization,
            pk=contact_id,
            queryset=self.contacts(),
            not_found=NotFound("id", f"Contact {contact_id} not found"),
        )

    def envelope(self, message: str, data=None, *, status: int = 200, **extra) -> Response:
        body = {"status": True, "message": message}
        if data is not None:
            body["data"] = data
        body.update(extra)
        return Response(body, status=status)

    def render_contact(self, contact: Contact) -> dict:
        return AwalContactSerializer(contact, context={"request": self.request}).data


class AwalContactListView(AwalAPIView):
    """`GET /contacts` (search, pagination) and `POST /contacts?phone_number_id=` (create)."""

    @openapi_dialects.awal_list
    def get(self, request: Request) -> Response:
        query = AwalContactListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        self.check_sender_number(required=False)
        # Awal's search: the whole term in the name, full name or email, or its digits in the phone.
        contacts = search_contacts(
            self.contacts().order_by("-created_at", "-id"),
            params.get("search", ""),
            fields=("name", "full_name", "email"),
            every_word=False,
            phone=PhoneMatch.DIGITS,
        )
        page, per_page = params["page"], params["per_page"]
        total = contacts.count()
        rows = contacts[(page - 1) * per_page : page * per_page] if total else []
        return self.envelope(
            "Contacts retrieved successfully",
            [self.render_contact(contact) for contact in rows],
            meta={
                "current_page": page,
                "per_page": per_page,
                "total": total,
                "last_page": max(1, math.ceil(total / per_page)),
            },
        )

    @openapi_dialects.awal_create
    def post(self, request: Request) -> Response:
        self.check_sender_number(required=True)
        form = AwalContactFormSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        arguments = form.service_arguments()
        contact = create_contact(organization=self.organization, actor=request.user, **arguments)
        groups = arguments.get("groups") or []
        setattr(contact, FIRST_GROUP_ATTRIBUTE, groups[0] if groups else None)
        return self.envelope("Contact created successfully", self.render_contact(contact), status=201)


class AwalContactDetailView(AwalAPIView):
    """`GET`, `PATCH` (form-data, partial) and `DELETE /contacts/{id}`."""

    @openapi_dialects.awal_retrieve
    def get(self, request: Request, contact_id: int) -> Response:
        self.check_sender_number(required=False)
        return self.envelope("Contact retrieved successfully", self.render_contact(self.get_contact(contact_id)))

    @openapi_dialects.awal_update
    def patch(self, request: Request, contact_id: int) -> Response:
        self.check_sender_number(required=False)
        contact = self.get_contact(contact_id)
        form = AwalContactFormSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        arguments = form.service_arguments()
        try:
            updated = update_contact(contact, actor=request.user, **arguments)
        except NotFound:
            # Deleted by a concurrent request since the read above: the same answer as any unknown id.
            raise NotFound("id", f"Contact {contact_id} not found") from None
        if "groups" in arguments:
            groups = arguments["groups"]
            setattr(updated, FIRST_GROUP_ATTRIBUTE, groups[0] if groups else None)
        else:
            setattr(updated, FIRST_GROUP_ATTRIBUTE, getattr(contact, FIRST_GROUP_ATTRIBUTE))
        return self.envelope("Contact updated successfully", self.render_contact(updated))

    @openapi_dialects.awal_delete
    def delete(self, request: Request, contact_id: int) -> Response:
        self.check_sender_number(required=False)
        try:
            delete_contact(self.get_contact(contact_id), actor=request.user)
        except NotFound:
            raise NotFound("id", f"Contact {contact_id} not found") from None  # a concurrent delete won
        return self.envelope("Contact deleted successfully")
