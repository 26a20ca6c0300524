"""Callbell's contact API (`/callbell/v1/contacts...`) over `contacts.services`."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.db.models import QuerySet
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api import openapi_dialects
from contacts.api.base import DialectAPIView
from contacts.api.dialects.callbell.serializers import (
    CallbellContactCreateSerializer,
    CallbellContactSerializer,
    CallbellContactUpdateSerializer,
)
from contacts.api.scopes import DETAIL_SCOPES, LIST_SCOPES, READ_SCOPES
from contacts.errors import NotFound, ValidationFailed
from contacts.models import Contact, ContactSource, Organization, Tag
from contacts.selectors import contacts_with_every_tag, find_contact, organization_contacts
from contacts.services.contacts import create_contact, delete_contact, update_contact

PAGE_SIZE = 25
MAX_PAGE = 999_999_999
# Each tag is one EXISTS clause; SQLite refuses expressions past a depth of 1000.
MAX_TAG_FILTERS = 50


def callbell_contacts(organization: Organization) -> QuerySet[Contact]:
    """The organization's contacts with everything the Contact object renders loaded in two queries."""
    return (
        organization_contacts(organization)
        .select_related("assigned_user", "team")
        .prefetch_related("tags")
        .order_by("-created_at", "-id")
    )


class CallbellAPIView(DialectAPIView):
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    # OPTIONS answers 405 like any other method Callbell does not document.
    metadata_class = None

    def render_contact(self, contact: Contact, *, tags: list[Tag] | None = None) -> dict[str, Any]:
        return CallbellContactSerializer(contact, context={"request": self.request, "tags": tags}).data

    def json_object(self) -> dict[str, Any]:
        data = self.request.data
        if not isinstance(data, dict):
            raise ValidationFailed(None, "The request body must be a JSON object")
        return data

    def get_contact(self, raw_uuid: str, *, for_rendering: bool = True) -> Contact:
        """The organization's contact with this uuid (32 hex digits or dashed); any other is a 404."""
        return find_contact(
            organization=self.organization,
            uuid=raw_uuid,
            queryset=callbell_contacts(self.organization) if for_rendering else None,
            not_found=NotFound(None, "Contact not found"),
        )


class CallbellContactListView(CallbellAPIView):
    """`GET /v1/contacts` (25 a page, filters combine) and `POST /v1/contacts`."""

    required_scopes = LIST_SCOPES

    @openapi_dialects.callbell_list
    def get(self, request: Request) -> Response:
        contacts = callbell_contacts(self.organization)
        params = request.query_params
        page = _page(params.get("page"))
        if params.get("source"):
            source = params["source"].strip().lower()
            if source not in ContactSource.values:
                raise ValidationFailed(
                    "source", f"Unknown source {params['source']!r}; expected one of {', '.join(ContactSource.values)}"
                )
            contacts = contacts.filter(source=source)
        if params.get("team_uuid"):
            contacts = contacts.filter(team__uuid=_uuid_param("team_uuid", params["team_uuid"]))
        tag_names = [
            name for name in dict.fromkeys(p.strip().lower() for p in params.get("tags", "").split(",")) if name
        ]
        if len(tag_names) > MAX_TAG_FILTERS:
            raise ValidationFailed("tags", f"tags accepts at most {MAX_TAG_FILTERS} tags")
        # Every tag listed must be on the contact.
        contacts = contacts_with_every_tag(organization=self.organization, names=tag_names, queryset=contacts)
        start = (page - 1) * PAGE_SIZE
        page_of_contacts = contacts[start : start + PAGE_SIZE]
        return Response({"contacts": [self.render_contact(contact) for contact in page_of_contacts]})

    @openapi_dialects.callbell_create
    def post(self, request: Request) -> Response:
        serializer = CallbellContactCreateSerializer(data=self.json_object())
        serializer.is_valid(raise_exception=True)
        arguments = serializer.service_kwargs(self.organization)
        contact = create_contact(**arguments)
        return Response({"contact": [self.render_contact(contact, tags=arguments.get("tags", []))]})


class CallbellContactDetailView(CallbellAPIView):
    """`GET`, `PATCH` and `DELETE /v1/contacts/{uuid}`."""

    required_scopes = DETAIL_SCOPES

    @openapi_dialects.callbell_retrieve
    def get(self, request: Request, contact_uuid: str) -> Response:
        return Response({"contact": [self.render_contact(self.get_contact(contact_uuid))]})

    @openapi_dialects.callbell_update
    def patch(self, request: Request, contact_uuid: str) -> Response:
        contact = self.get_contact(contact_uuid, for_rendering=False)
        serializer = CallbellContactUpdateSerializer(data=self.json_object())
        serializer.is_valid(raise_exception=True)
        try:
            update_contact(contact, **serializer.service_kwargs(self.organization))
        except NotFound:
            raise NotFound(None, "Contact not found") from None  # deleted meanwhile: as if it never existed
        updated = callbell_contacts(self.organization).get(pk=contact.pk)
        return Response({"contact": [self.render_contact(updated)]})

    @openapi_dialects.callbell_delete
    def delete(self, request: Request, contact_uuid: str) -> Response:
        try:
            delete_contact(self.get_contact(contact_uuid, for_rendering=False))
        except NotFound:
            raise NotFound(None, "Contact not found") from None  # a concurrent delete won
        return Response({"status": "contact was destroyed"})


class CallbellContactByPhoneView(CallbellAPIView):
    """`GET /v1/contacts/phone/{number}`: the number is read by the same policy as `identifier` on create."""

    required_scopes = READ_SCOPES

    @openapi_dialects.callbell_by_phone
    def get(self, request: Request, number: str) -> Response:
        if request.query_params.get("channel_uuid"):
            # Accepted for compatibility; this project has no channels to narrow the lookup by.
            _uuid_param("channel_uuid", request.query_params["channel_uuid"])
        contact = find_contact(
            organization=self.organization,
            phone=number,
            queryset=callbell_contacts(self.organization),
            not_found=NotFound(None, "Contact not found"),
            refuse_unreadable_as="number",
        )
        return Response({"contact": self.render_contact(contact)})


def _page(raw: str | None) -> int:
    if raw is None or raw.strip() == "":
        return 1
    text = raw.strip()
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) < 1:
        raise ValidationFailed("page", f"page must be an integer between 1 and {MAX_PAGE}")
    return int(text)


def _uuid_param(name: str, raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        raise ValidationFailed(name, f"{name} must be a UUID") from None
