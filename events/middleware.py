"""Every request's events carry its request id: the caller's `X-Request-ID` when it is a usable one, a fresh id
otherwise. Admin requests name their surface here; API views name theirs (see `events.context.set_surface`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from events.context import event_context, set_surface
from events.models import Surface

MAX_REQUEST_ID = 100


def request_id_of(request: HttpRequest) -> str:
    """The client's X-Request-ID when it is at most 100 printable ASCII characters (it lands in logs and in
    webhooks), otherwise a new uuid4 hex."""
    given = request.headers.get("X-Request-ID", "")
    if given and len(given) <= MAX_REQUEST_ID and given.isascii() and given.isprintable():
        return given
    return uuid.uuid4().hex


class EventContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = request_id_of(request)
        # The block restores the outer surface and id afterwards, including what a view set inside it.
        with event_context(request_id=request.request_id):
            return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> None:
        match = getattr(request, "resolver_match", None)
        if match is not None and "admin" in match.namespaces:
            set_surface(Surface.ADMIN)
