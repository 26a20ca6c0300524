"""`/api/v1/contacts/{id}/history` (one contact's events, oldest first) and `/api/v1/events` (the organization's,
in the order they were written), both in keyset pages by event id.

A deleted contact's history still answers by its uuid (its tombstone event says it was deleted); a uuid the
organization never recorded an event for, and that names none of its contacts, is a 404.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from contacts.api import openapi_native as doc
from contacts.api.native.base import NativeAPIView
from contacts.api.native.contacts import CONTACT_ID, NOT_FOUND, contact_not_found
from contacts.api.native.pagination import limit_of
from contacts.api.scopes import READ_SCOPES
from contacts.errors import ValidationFailed
from contacts.models import Contact
from contacts.selectors.sync import sync_watermark
from events.models import ActorKind, ContactEvent, EventType, Surface
from events.selectors import EventPage, contact_history, event_position, has_history, organization_events

HISTORY_PARAMETERS = {"cursor", "limit"}
EVENTS_PARAMETERS = {"cursor", "limit", "since", "type"}
BAD_CURSOR = "cursor is not a cursor this API returned"


def _stamp(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def render_event(event: ContactEvent) -> dict[str, Any]:
    """An event as the native API (and a webhook's payload) shows it."""
    return {
        "id": str(event.uuid),
        "type": event.type,
        "contact_id": str(event.contact_uuid),
        "actor": {"kind": event.actor_kind, "id": event.actor_id or None, "name": event.actor_name or None},
        "surface": event.surface,
        "changes": event.changes,
        "request_id": event.request_id or None,
        "occurred_at": _stamp(event.occurred_at),
    }


# --- cursors: the last event's id, opaque to clients -----------------------------------------------------------


def encode_cursor(event_id: int, watermark: dt.datetime | None = None) -> str:
    data: dict[str, Any] = {"e": event_id}
    if watermark is not None:
        data["w"] = _stamp(watermark)
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str | None) -> int | None:
    return decode_position(text)[0]


def decode_position(text: str | None) -> tuple[int | None, dt.datetime | None]:
    """The event id a cursor names and the watermark of the walk it belongs to (the feed's), if it carries one."""
    if text is None or not text.strip():
        return None, None
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        event_id = data["e"]
        watermark = dt.datetime.fromisoformat(data["w"]) if "w" in data else None
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError, AttributeError):
        raise ValidationFailed("cursor", BAD_CURSOR) from None
    if isinstance(event_id, bool) or not isinstance(event_id, int) or not 0 < event_id < 2**63:
        raise ValidationFailed("cursor", BAD_CURSOR)
    if watermark is not None and watermark.tzinfo is None:
        raise ValidationFailed("cursor", BAD_CURSOR)
    return event_id, watermark


def refuse_unknown_parameters(request: Request, known: set[str]) -> None:
    unknown = [name for name in request.query_params if name not in known]
    if unknown:
        raise ValidationError(
            {
                name: [ErrorDetail(f"{name} is not a parameter of this list.", code="unknown_parameter")]
                for name in unknown
            }
        )


def page_response(request: Request, page: EventPage, **extra: Any) -> Response:
    watermark = extra.pop("watermark", None)
    next_cursor = encode_cursor(page.next_cursor, watermark) if page.next_cursor is not None else None
    return Response(
        {
            "results": [render_event(event) for event in page.events],
            "next_cursor": next_cursor,
            "next": replace_query_param(request.build_absolute_uri(), "cursor", next_cursor) if next_cursor else None,
            **extra,
        }
    )


# --- OpenAPI bodies ----------------------------------------------------------------------------------------------


class ActorSchema(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ActorKind.values)
    id = serializers.CharField(allow_null=True, help_text="The user's or credential's id; null for the system.")
    name = serializers.CharField(allow_null=True, help_text="Its name when the change was made.")

    class Meta:
        ref_name = "EventActor"


class ChangeSchema(serializers.Serializer):
    before = serializers.JSONField(help_text="Any JSON value; null for none.")
    after = serializers.JSONField(help_text="Any JSON value; null for none.")

    class Meta:
        ref_name = "EventChange"


class EventSchema(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=EventType.values)
    contact_id = serializers.UUIDField()
    actor = ActorSchema()
    surface = serializers.ChoiceField(choices=Surface.choices, help_text="Through what the change came.")
    changes = serializers.DictField(
        child=ChangeSchema(), help_text="Each changed field's value before and after, as a contact renders it."
    )
    request_id = serializers.CharField(allow_null=True)
    occurred_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Event"


class EventPageSchema(serializers.Serializer):
    results = EventSchema(many=True)
    next_cursor = serializers.CharField(allow_null=True)
    next = serializers.URLField(allow_null=True)

    class Meta:
        ref_name = "EventPage"


class EventFeedPageSchema(EventPageSchema):
    next_since = serializers.DateTimeField(
        allow_null=True,
        help_text="On the walk's last page: the `since` the next read starts from, so that no event still "
        "committing while this walk read is missed (events at or after it come again: keep them by `id`).",
    )

    class Meta:
        ref_name = "EventFeedPage"


BAD_PARAMETERS = {(400, doc.PROBLEM): doc.problem("An unknown or invalid parameter, a bad cursor or `since`.")}


# --- views -------------------------------------------------------------------------------------------------------


class ContactHistoryView(NativeAPIView):
    required_scopes = READ_SCOPES

    @extend_schema(
        operation_id="v1_contacts_history",
        summary="A contact's change history",
        description="The contact's events, oldest first; also after the contact was deleted (its last event is "
        "the `contact.deleted` tombstone).",
        parameters=[CONTACT_ID, *doc.PAGING],
        responses={200: EventPageSchema, **BAD_PARAMETERS, **NOT_FOUND, **doc.COMMON_PROBLEMS},
    )
    def get(self, request: Request, contact_id: str) -> Response:
        refuse_unknown_parameters(request, HISTORY_PARAMETERS)
        cursor, limit = decode_cursor(request.query_params.get("cursor")), limit_of(request)
        contact_uuid = _uuid(contact_id)
        if contact_uuid is None:
            raise contact_not_found()
        page = contact_history(self.organization, contact_uuid, cursor=cursor, limit=limit)
        if not page.events and not self._known(contact_uuid):
            raise contact_not_found()
        return page_response(request, page)

    def _known(self, contact_uuid: uuid.UUID) -> bool:
        # A contact from before events were recorded has an empty history, not none.
        return (
            has_history(self.organization, contact_uuid)
            or Contact.objects.filter(organization=self.organization, uuid=contact_uuid).exists()
        )


class EventListView(NativeAPIView):
    required_scopes = READ_SCOPES

    @extend_schema(
        operation_id="v1_events_list",
        tags=["History"],
        summary="The organization's change events",
        description="Every contact's events in the order they were written. Follow `next_cursor` to the last "
        "page, then start the next read with `since` set to that page's `next_since`: an event still committing "
        "while the walk read (which can land behind a page already read) comes then. Events may come twice: keep "
        "them by `id`.",
        parameters=[
            OpenApiParameter(
                "since",
                str,
                description="An RFC 3339 time (events that occurred at or after it) or an event's `id` (the "
                "events written after it).",
            ),
            OpenApiParameter(
                "type",
                str,
                enum=EventType.values,
                many=True,
                explode=False,
                description="Only events of these types (comma-separated, or the parameter repeated).",
            ),
            *doc.PAGING,
        ],
        responses={200: EventFeedPageSchema, **BAD_PARAMETERS, **doc.COMMON_PROBLEMS},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        refuse_unknown_parameters(request, EVENTS_PARAMETERS)
        (cursor, watermark), limit = decode_position(params.get("cursor")), limit_of(request)
        since_time, since_event = self._since(params.get("since"))
        types = _types(params.getlist("type"))
        if cursor is None:
            # Taken before the walk's first read, as the contacts' sync watermark is (contacts/selectors/sync.py):
            # every event this walk cannot see will occur at or after it.
            watermark = sync_watermark()
        if since_event is not None:
            cursor = max(cursor or 0, since_event)
        page = organization_events(self.organization, cursor=cursor, since=since_time, types=types, limit=limit)
        next_since = None
        if page.next_cursor is None:
            bound = max(filter(None, (watermark, since_time)), default=None)
            next_since = _stamp(bound) if bound is not None else None
        return page_response(request, page, watermark=watermark, next_since=next_since)

    def _since(self, text: str | None) -> tuple[dt.datetime | None, int | None]:
        """`since` as a time, or as the position of the event it names."""
        if text is None or not text.strip():
            return None, None
        text = text.strip()
        event_uuid = _uuid(text)
        if event_uuid is not None:
            position = event_position(self.organization, event_uuid)
            if position is None:
                raise ValidationFailed("since", "since names no event of this organization")
            return None, position
        try:
            stamp = dt.datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            stamp = None
        if stamp is None or stamp.tzinfo is None or "T" not in text.upper():
            raise ValidationFailed(
                "since", "since must be an RFC 3339 time with its offset (2026-01-01T00:00:00Z) or an event id"
            )
        return stamp, None


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except (ValueError, AttributeError):
        return None


def _types(given: list[str]) -> list[str]:
    types = [name.strip() for value in given for name in value.split(",") if name.strip()]
    unknown = [name for name in types if name not in EventType.values]
    if unknown:
        raise ValidationFailed(
            "type", f"Unknown event type: {', '.join(unknown)} (one of {', '.join(EventType.values)})"
        )
    return types
