"""The contact page's "History": the contact's change events, newest first, in pages of 50.

Each event says who (the actor's name and kind), through what (the surface), when, and what changed: one row per
field with its value before and after. The page is scoped like the rest of the admin: a contact outside the staff
member's organizations is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.utils.http import urlencode

from events.models import ActorKind, ContactEvent, EventType, Surface
from events.selectors import contact_history

PAGE_SIZE = 50
CURSOR_PARAMETER = "before"
EMPTY = "—"

ACTOR_KIND_LABELS = {
    ActorKind.USER: "user",
    ActorKind.API_KEY: "API key",
    ActorKind.HMAC_CLIENT: "HMAC client",
    ActorKind.OAUTH_CLIENT: "OAuth client",
    ActorKind.SYSTEM: "system",
}


@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class EventView:
    """An event as the history page and the events admin show it."""

    event: ContactEvent
    type_label: str
    actor: str
    surface: str
    rows: list[ChangeRow]


def readable(value: Any) -> str:
    """A stored before/after value as text a person reads: lists comma-separated, nothing as a dash."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(readable(item) for item in value)
    if isinstance(value, dict):
        # A reference renders as its name ({"id": 3, "name": "North"}); anything else as its pairs.
        if set(value) <= {"id", "name"} and "name" in value:
            return readable(value["name"])
        return "; ".join(f"{key}: {readable(item)}" for key, item in value.items())
    return str(value)


def actor_label(event: ContactEvent) -> str:
    kind = ACTOR_KIND_LABELS.get(event.actor_kind, event.actor_kind)
    if event.actor_name:
        return f"{event.actor_name} ({kind})"
    return kind


def surface_label(event: ContactEvent) -> str:
    try:
        return str(Surface(event.surface).label)
    except ValueError:
        return event.surface  # a surface added after this label list


def type_label(event: ContactEvent) -> str:
    try:
        return str(EventType(event.type).label)
    except ValueError:
        return event.type


def change_rows(changes: Any) -> list[ChangeRow]:
    if not isinstance(changes, dict):
        return []
    rows = []
    # By name: PostgreSQL's jsonb keeps no key order, and the page reads the same on every database.
    for field, change in sorted(changes.items()):
        change = change if isinstance(change, dict) else {"after": change}
        rows.append(ChangeRow(str(field), readable(change.get("before")), readable(change.get("after"))))
    return rows


def event_view(event: ContactEvent) -> EventView:
    return EventView(event, type_label(event), actor_label(event), surface_label(event), change_rows(event.changes))


def _cursor(request: HttpRequest) -> int | None:
    text = request.GET.get(CURSOR_PARAMETER, "")
    if text.isascii() and text.isdigit() and 0 < len(text) < 19:
        return int(text)
    return None  # no cursor, or not one this page wrote: the newest page


def contact_history_view(
    model_admin: Any, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
) -> TemplateResponse:
    """`ModelAdmin.history_view` for contacts: the contact's events instead of Django's admin log entries."""
    contact = model_admin.get_object(request, unquote(object_id))
    if contact is None:
        raise Http404("No such contact")
    if not model_admin.has_view_or_change_permission(request, contact):
        raise PermissionDenied
    cursor = _cursor(request)
    page = contact_history(contact.organization_id, contact.uuid, cursor=cursor, newest_first=True, limit=PAGE_SIZE)
    opts = model_admin.opts
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Change history: {contact}",
        "subtitle": None,
        "object": contact,
        "opts": opts,
        "module_name": str(opts.verbose_name_plural).capitalize(),
        "events": [event_view(event) for event in page.events],
        "is_first_page": cursor is None,
        "older_url": f"?{urlencode({CURSOR_PARAMETER: page.next_cursor})}" if page.next_cursor else None,
        "preserved_filters": model_admin.get_preserved_filters(request),
        **(extra_context or {}),
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/contacts/contact/object_history.html", context)
