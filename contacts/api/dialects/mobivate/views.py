"""Mobivate Bulk SMS address book endpoints, mounted under /mobivate (docs/dialects/mobivate.md)."""

from __future__ import annotations

from django.db.models import F
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api import openapi_dialects
from contacts.api.dialects.mobivate.serializers import (
    SORT_FIELDS,
    MobivateContactCreateSerializer,
    MobivateContactListQuerySerializer,
    MobivateContactSerializer,
    MobivateContactUpdateSerializer,
)
from contacts.api.json_only import JsonOnlyAPIView
from contacts.api.negotiation import AlwaysJSONNegotiation
from contacts.api.scopes import LIST_SCOPES
from contacts.errors import NotFound as ContactNotFound
from contacts.errors import ValidationFailed
from contacts.models import Scope
from contacts.selectors import find_contact, organization_contacts
from contacts.services import contacts as contact_services


class MobivateAPIView(JsonOnlyAPIView):
    """Bearer API key, JSON only, the "mobivate" rate, and every error in Mobivate's body."""

    content_negotiation_class = AlwaysJSONNegotiation


class MobivateContactCreateMixin:
    """Create: `{"alias","msisdn","meta"}` → 200 `{"success":true,"record":{...}}` (Mobivate answers 200, not 201)."""

    def create_contact(self, request: Request) -> Response:
        serializer = MobivateContactCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact = contact_services.create_contact(
            organization=self.organization, actor=request.user, **serializer.validated_data
        )
        return Response({"success": True, "record": MobivateContactSerializer(contact).data})


class MobivateContactListView(MobivateContactCreateMixin, MobivateAPIView):
    """`GET /addressbook/contacts` (read:Contacts) and `POST /addressbook/contacts` (create:Contacts)."""

    required_scopes = LIST_SCOPES

    @openapi_dialects.mobivate_list
    def get(self, request: Request) -> Response:
        query = MobivateContactListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        column = F(SORT_FIELDS[params["sortField"]])
        descending = params["sortDir"] == "DESC"
        # Contacts created elsewhere may have no alias or phone: they sort last either way; id breaks ties
        # so pages never overlap or skip.
        ordering = [
            column.desc(nulls_last=True) if descending else column.asc(nulls_last=True),
            "-id" if descending else "id",
        ]
        contacts = organization_contacts(self.organization)
        total = contacts.count()
        offset, limit = params["offset"], params["limit"]
        page = list(contacts.order_by(*ordering)[offset : offset + limit]) if offset < total else []
        return Response(
            {
                "success": True,
                "records": MobivateContactSerializer(page, many=True).data,
                "offset": offset,
                "limit": limit,
                "total": total,
            }
        )

    @openapi_dialects.mobivate_create("mobivate_addressbook_contact_create")
    def post(self, request: Request) -> Response:
        return self.create_contact(request)


class MobivateContactCreateView(MobivateContactCreateMixin, MobivateAPIView):
    """`POST /contacts` (create:Contacts): the path the contract's curl example uses."""

    required_scopes = {"POST": Scope.CONTACTS_CREATE}

    @openapi_dialects.mobivate_create("mobivate_contact_create")
    def post(self, request: Request) -> Response:
        return self.create_contact(request)


class MobivateContactDetailView(MobivateAPIView):
    """`POST /addressbook/contacts/{contact_id}` (update:Contacts; the id is the record's uuid) and
    `DELETE /addressbook/contacts/{msisdn}` (delete:Contacts): one path, two kinds of reference."""

    required_scopes = {"POST": Scope.CONTACTS_UPDATE, "DELETE": Scope.CONTACTS_DELETE}

    @openapi_dialects.mobivate_update
    def post(self, request: Request, reference: str) -> Response:
        contact = find_contact(organization=self.organization, uuid=reference)
        if contact is None:
            raise _unknown_contact_on_update()
        serializer = MobivateContactUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            contact = contact_services.update_contact(contact, actor=request.user, **serializer.validated_data)
        except ContactNotFound:
            # Deleted by a concurrent request since the lookup: the same answer as any unknown contact.
            raise _unknown_contact_on_update() from None
        return Response({"success": True, "record": MobivateContactSerializer(contact).data})

    @openapi_dialects.mobivate_delete
    def delete(self, request: Request, reference: str) -> Response:
        # The msisdn is read the way create reads it, so the digits a client created a contact with find it.
        contact = find_contact(
            organization=self.organization, phone=reference, not_found=ContactNotFound("msisdn", "Contact not found")
        )
        contact_services.delete_contact(contact, actor=request.user)
        return Response({"success": True})


def _unknown_contact_on_update() -> ValidationFailed:
    # Mobivate documents a 400, not a 404, for an unknown contact on update (docs/dialects/mobivate.md).
    return ValidationFailed("contact_id", "Contact not found")
