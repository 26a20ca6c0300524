"""Contactship's contact endpoints under `/contactship/v1/contacts` (docs/dialects/contactship.md)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api import openapi_dialects
from contacts.api.base import DialectAPIView
from contacts.api.dialects.contactship.serializers import (
    ContactshipContactListQuerySerializer,
    ContactshipContactSerializer,
    ContactshipContactWriteSerializer,
    custom_field_types,
)
from contacts.api.negotiation import AlwaysJSONNegotiation
from contacts.api.scopes import DETAIL_SCOPES, LIST_SCOPES
from contacts.errors import NotFound
from contacts.models import Contact
from contacts.selectors import (
    SHOWN_FULL_NAME,
    PhoneMatch,
    find_contact,
    organization_contacts,
    search_contacts,
)
from contacts.services.contacts import create_contact, delete_contact, update_contact

IDENTIFIER_TYPES = ("id", "phone_number", "email")


class JSONOnlyContentNegotiation(AlwaysJSONNegotiation):
    """Contactship only speaks JSON: any `Accept` header gets JSON rather than a 406, and a body is parsed only
    when its content type is exactly the parser's (parameters such as charset aside)."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        for parser in parsers:
            if self.media_type_matches(parser.media_type, request.content_type):
                return parser
        return None

    @staticmethod
    def media_type_matches(expected: str, content_type: str) -> bool:
        return content_type.split(";")[0].strip().lower() == expected


class ContactshipAPIView(DialectAPIView):
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnlyContentNegotiation

    def render_contacts(self, contacts: list[Contact], field_types: dict[str, str] | None = None) -> list[dict]:
        organization = self.organization
        if field_types is None:
            field_types = custom_field_types(organization.pk, contacts)
        context = {"organization_public_id": organization.public_id, "field_types": field_types}
        return ContactshipContactSerializer(contacts, many=True, context=context).data

    def render_contact(self, contact: Contact, field_types: dict[str, str] | None = None) -> dict:
        return self.render_contacts([contact], field_types)[0]

    def contact_by_id(self, contact_id: str) -> Contact:
        """The key's organization's contact with this uuid; anything else, another tenant's included, is a 404."""
        return find_contact(organization=self.organization, uuid=contact_id, not_found=_not_found(contact_id))


def _validated(serializer_class: type, data: Any, **kwargs: Any) -> Any:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer


class ContactshipContactListView(ContactshipAPIView):
    """`POST /v1/contacts` creates; `GET /v1/contacts` lists with partial-match filters."""

    http_method_names = ["get", "post", "head"]
    required_scopes = LIST_SCOPES

    @openapi_dialects.contactship_create
    def post(self, request: Request) -> Response:
        serializer = _validated(ContactshipContactWriteSerializer, request.data)
        kwargs = serializer.service_kwargs()
        contact = create_contact(organization=self.organization, actor=request.auth, **kwargs)
        return Response(self.render_contact(contact, kwargs.get("custom_field_types") or {}), status=201)

    @openapi_dialects.contactship_list
    def get(self, request: Request) -> Response:
        query = _validated(ContactshipContactListQuerySerializer, request.query_params).validated_data
        offset, limit = query["offset"], query["limit"]
        contacts = list(self.filtered_contacts(query).order_by("-created_at", "-id")[offset : offset + limit])
        return Response(self.render_contacts(contacts))

    def filtered_contacts(self, query: dict) -> QuerySet[Contact]:
        contacts = organization_contacts(self.organization)
        # Each filter is a search of its own field, the whole value a substring; several filters must all match.
        # The rendered full_name falls back to `name` for contacts created elsewhere; the filter matches that.
        for name, fields in (("full_name", (SHOWN_FULL_NAME,)), ("email", ("email",))):
            if query.get(name):
                contacts = search_contacts(
                    contacts, query[name], fields=fields, every_word=False, phone=PhoneMatch.NONE
                )
        if query.get("phone_number"):
            contacts = search_contacts(contacts, query["phone_number"], fields=(), phone=PhoneMatch.AS_TYPED)
        return contacts


class ContactshipContactDetailView(ContactshipAPIView):
    """`GET /v1/contacts/{identifier}?identifierType=`, `PATCH /v1/contacts/{id}`, `DELETE /v1/contacts/{id}`."""

    http_method_names = ["get", "patch", "delete", "head"]
    required_scopes = DETAIL_SCOPES

    @openapi_dialects.contactship_retrieve
    def get(self, request: Request, identifier: str) -> Response:
        identifier_type = request.query_params.get("identifierType") or "id"
        if identifier_type not in IDENTIFIER_TYPES:
            raise ValidationError(
                {"identifierType": f"must be one of {', '.join(IDENTIFIER_TYPES)}, not {identifier_type!r}"}
            )
        if identifier_type == "id":
            contact = self.contact_by_id(identifier)
        else:
            contact = self.contact_by_identifier(identifier_type, identifier)
        return Response(self.render_contact(contact))

    def contact_by_identifier(self, identifier_type: str, identifier: str) -> Contact:
        missing = NotFound(identifier_type, f"Contact with {identifier_type} {identifier} not found")
        if identifier_type == "phone_number":
            # Text that is no phone number at all is a number no contact has: a 404, not a 400.
            return find_contact(organization=self.organization, phone=identifier, not_found=missing)
        # Emails are not unique: the first contact created with it answers.
        return find_contact(organization=self.organization, email=identifier, not_found=missing)

    @openapi_dialects.contactship_update
    def patch(self, request: Request, identifier: str) -> Response:
        contact = self.contact_by_id(identifier)
        serializer = _validated(ContactshipContactWriteSerializer, request.data, partial=True)
        kwargs = serializer.service_kwargs()
        try:
            contact = update_contact(contact, actor=request.auth, **kwargs)
        except NotFound:
            raise _not_found(identifier) from None  # deleted meanwhile: as if it never existed
        # When additional_data was given it replaced every custom field, so the request knows all their types.
        return Response(
            self.render_contact(contact, kwargs.get("custom_field_types") if "custom_fields" in kwargs else None)
        )

    @openapi_dialects.contactship_delete
    def delete(self, request: Request, identifier: str) -> Response:
        try:
            delete_contact(self.contact_by_id(identifier), actor=request.auth)
        except NotFound:
            raise _not_found(identifier) from None  # a concurrent delete won
        return Response(status=204)


def _not_found(contact_id: str) -> NotFound:
    return NotFound("id", f"Contact with id {contact_id} not found")
