"""`/api/v1/contacts`: list (filters, keyset pages), create; `/api/v1/contacts/{id}`: retrieve, patch, delete."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api import openapi_native as doc
from contacts.api.native.base import NativeAPIView
from contacts.api.native.custom_field_filters import custom_field_parameters, filter_custom_fields
from contacts.api.native.filters import ContactFilter
from contacts.api.native.pagination import next_link, ordering_of, paginate
from contacts.api.native.serializers import ContactWriteSerializer, render_contact
from contacts.api.scopes import NATIVE_CONTACT_LIST_SCOPES, NATIVE_CONTACT_SCOPES, READ_SCOPES
from contacts.errors import NotFound, ValidationFailed
from contacts.models import Contact, ContactSource, Organization
from contacts.selectors import find_contact, organization_contacts
from contacts.selectors.sync import sync_watermark
from contacts.services.contacts import create_contact, delete_contact, update_contact

PAGING_PARAMETERS = {"cursor", "limit", "ordering"}


def contact_not_found() -> NotFound:
    # A new exception each time: a raised one carries its traceback, which a shared instance would accumulate.
    return NotFound(None, "Contact not found")


def native_contacts(organization: Organization) -> QuerySet[Contact]:
    """The organization's contacts with everything `render_contact` reads, in three queries for any page."""
    return (
        Contact.objects.filter(organization=organization)
        .select_related("branch", "team", "assigned_user")
        .prefetch_related("tags", "groups")
    )


def next_updated_since(cleaned: dict[str, Any], watermark: dt.datetime | None) -> str:
    """Where the next incremental sync starts: the walk's watermark, never before where this walk started (a client
    that keeps passing it on never goes back) and never past `updated_before` (what it excluded is still unread)."""
    since = max(stamp for stamp in (cleaned.get("updated_since"), cleaned.get("updated_after")) if stamp is not None)
    if watermark is not None and cleaned.get("updated_before") is not None:
        watermark = min(watermark, cleaned["updated_before"])
    token = since if watermark is None else max(since, watermark)
    return token.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def filter_errors(filterset: ContactFilter) -> ValidationError:
    errors = {
        name: [ErrorDetail(message, code=error.code or "invalid") for error in found for message in error.messages]
        for name, found in filterset.form.errors.as_data().items()
    }
    return ValidationError(errors)


CONTACT_ID = OpenApiParameter("contact_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The contact's id.")
NOT_FOUND = {(404, doc.PROBLEM): doc.problem("No such contact in the key's organization.")}


def _filter_parameters() -> list[OpenApiParameter]:
    """The list's query parameters, from `ContactFilter` itself."""
    kinds = {"team": OpenApiTypes.UUID, "is_favorite": bool, "phone_valid": bool}
    parameters = [
        OpenApiParameter(
            name,
            OpenApiTypes.DATETIME if "_after" in name or "_before" in name or "since" in name else kinds.get(name, str),
            enum=[value for value, _ in ContactSource.choices] if name == "source" else None,
            description=str(getattr(f, "extra", {}).get("help_text") or ""),
        )
        for name, f in ContactFilter.base_filters.items()
    ]
    return [
        *parameters,
        *doc.PAGING,
        OpenApiParameter("ordering", str, enum=["created_at", "-created_at", "updated_at", "-updated_at"]),
        OpenApiParameter(
            "custom_fields.{key}",
            str,
            description="A custom field's value by its key (`custom_fields.size=12`); number and date fields also "
            "take `custom_fields.{key}.gte`, `.gt`, `.lte`, `.lt`.",
        ),
    ]


class ContactListView(NativeAPIView):
    required_scopes = NATIVE_CONTACT_LIST_SCOPES

    @extend_schema(
        operation_id="v1_contacts_list",
        summary="List contacts",
        parameters=_filter_parameters(),
        responses={
            200: doc.ContactPageSchema,
            **doc.LIST_PROBLEMS,
            (422, doc.PROBLEM): doc.problem("A `custom_fields.KEY` filter names no custom field of the organization."),
            **doc.COMMON_PROBLEMS,
        },
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        filterset = ContactFilter(params, queryset=native_contacts(self.organization), request=request)
        by_value = custom_field_parameters(params)
        unknown = [
            name
            for name in params
            if name not in filterset.filters and name not in PAGING_PARAMETERS and name not in by_value
        ]
        if unknown:
            raise ValidationError(
                {
                    name: [ErrorDetail(f"{name} is not a parameter of this list.", code="unknown_parameter")]
                    for name in unknown
                }
            )
        if not filterset.is_valid():
            raise filter_errors(filterset)
        # An incremental sync reads in the order rows change, so rows changed while it runs come on later pages.
        ordering = ordering_of(request, "updated_at" if "updated_since" in params else "-created_at")
        contacts = filter_custom_fields(filterset.qs, self.organization, {name: params[name] for name in by_value})
        syncing = filterset.form.cleaned_data.get("updated_since") is not None
        searching = bool((filterset.form.cleaned_data.get("q") or "").strip())
        page = paginate(
            contacts,
            request,
            ordering,
            sync_watermark if syncing else None,
            search_scope=Contact.objects.filter(organization=self.organization) if searching else None,
        )
        last_of_sync = syncing and page.next_cursor is None
        return Response(
            {
                "results": [render_contact(contact) for contact in page.rows],
                "next_cursor": page.next_cursor,
                "next": next_link(request, page),
                "next_updated_since": next_updated_since(filterset.form.cleaned_data, page.watermark)
                if last_of_sync
                else None,
            }
        )

    @extend_schema(
        operation_id="v1_contacts_create",
        summary="Create a contact",
        parameters=[doc.IDEMPOTENCY_KEY],
        request=ContactWriteSerializer,
        responses={
            201: OpenApiResponse(doc.ContactSchema, description="Created; `Location` is its URL."),
            **doc.WRITE_PROBLEMS,
            **doc.COMMON_PROBLEMS,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = ContactWriteSerializer(data=self.json_object())
        serializer.is_valid(raise_exception=True)
        contact = create_contact(
            organization=self.organization,
            actor=self.actor,
            create_missing_tags=False,
            create_missing_groups=False,
            **serializer.service_kwargs(),
        )
        created = native_contacts(self.organization).get(pk=contact.pk)
        response = Response(render_contact(created), status=201)
        response["Location"] = f"{request.path.rstrip('/')}/{created.uuid}"
        return response


class ContactDetailView(NativeAPIView):
    required_scopes = NATIVE_CONTACT_SCOPES

    def get_contact(self, raw: str, queryset: QuerySet[Contact] | None = None) -> Contact:
        """The organization's contact with this uuid; another organization's is as absent as one never created."""
        return find_contact(organization=self.organization, uuid=raw, queryset=queryset, not_found=contact_not_found())

    @extend_schema(
        operation_id="v1_contacts_retrieve",
        summary="Retrieve a contact",
        parameters=[CONTACT_ID],
        responses={200: doc.ContactSchema, **NOT_FOUND, **doc.COMMON_PROBLEMS},
    )
    def get(self, request: Request, contact_id: str) -> Response:
        return Response(render_contact(self.get_contact(contact_id, native_contacts(self.organization))))

    @extend_schema(
        operation_id="v1_contacts_update",
        summary="Change a contact",
        parameters=[CONTACT_ID, doc.IDEMPOTENCY_KEY],
        request=ContactWriteSerializer(partial=True),
        responses={200: doc.ContactSchema, **doc.WRITE_PROBLEMS, **NOT_FOUND, **doc.COMMON_PROBLEMS},
    )
    def patch(self, request: Request, contact_id: str) -> Response:
        body: dict[str, Any] = self.json_object()
        contact = self.get_contact(contact_id)
        serializer = ContactWriteSerializer(data=body, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            update_contact(
                contact,
                actor=self.actor,
                custom_fields_mode="patch",
                create_missing_tags=False,
                create_missing_groups=False,
                **serializer.service_kwargs(),
            )
        except NotFound:
            raise contact_not_found() from None  # deleted meanwhile: as if it never existed
        return Response(render_contact(native_contacts(self.organization).get(pk=contact.pk)))

    @extend_schema(
        operation_id="v1_contacts_delete",
        summary="Delete a contact",
        parameters=[CONTACT_ID, doc.IDEMPOTENCY_KEY],
        responses={204: OpenApiResponse(description="Deleted."), **NOT_FOUND, **doc.COMMON_PROBLEMS},
    )
    def delete(self, request: Request, contact_id: str) -> Response:
        try:
            delete_contact(self.get_contact(contact_id), actor=self.actor)
        except NotFound:
            raise contact_not_found() from None  # a concurrent delete won
        return Response(status=204)


LOOKUP_FIELDS = ("phone", "email", "alias", "contact_key")


class ContactLookupView(NativeAPIView):
    """`GET /contacts/lookup?phone=...` (or `email`, `alias`, `contact_key`): the contact with that value (a phone in
    any format; an email in any case, the oldest contact when several share it), found by the shared selector."""

    required_scopes = READ_SCOPES

    @extend_schema(
        operation_id="v1_contacts_lookup",
        summary="Find a contact by phone, email, alias or contact key",
        parameters=[
            OpenApiParameter(name, str, description=f"Exactly one of {', '.join(LOOKUP_FIELDS)}.")
            for name in LOOKUP_FIELDS
        ],
        responses={
            200: doc.ContactSchema,
            (400, doc.PROBLEM): doc.problem("Not exactly one lookup parameter, or an empty or unreadable value."),
            **NOT_FOUND,
            **doc.COMMON_PROBLEMS,
        },
    )
    def get(self, request: Request) -> Response:
        given = {name: value for name, value in request.query_params.items()}
        if len(given) != 1 or next(iter(given)) not in LOOKUP_FIELDS:
            raise ValidationFailed(None, f"Give exactly one of: {', '.join(LOOKUP_FIELDS)}")
        field, value = next(iter(given.items()))
        value = value.strip()
        if not value:
            raise ValidationFailed(field, f"{field} must not be empty")
        contacts = native_contacts(self.organization)
        if field in ("phone", "email"):
            return Response(
                render_contact(
                    find_contact(
                        organization=self.organization,
                        queryset=contacts,
                        not_found=contact_not_found(),
                        refuse_unreadable_as="phone",
                        **{field: value},
                    )
                )
            )
        # Alias and contact key are unique in an organization: at most one contact has the value.
        contact = organization_contacts(self.organization, contacts).filter(**{field: value}).first()
        if contact is None:
            raise contact_not_found()
        return Response(render_contact(contact))
