"""Through what, and in which request, the current write happens: set once at the edge (a view, the middleware, an
import job, a command), read by the event writer deep inside the services without every caller passing it on.

Context variables, so a thread or an asyncio task sees only its own request's values."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from events.models import Surface

_surface: ContextVar[str | None] = ContextVar("event_surface", default=None)
_request_id: ContextVar[str] = ContextVar("event_request_id", default="")
# Who the request is authenticated as: the actor of a write whose caller passed none.
_actor: ContextVar[Any] = ContextVar("event_actor", default=None)


def current_surface() -> str:
    """The surface set for this context, or `system` when no edge set one (a shell, a test calling a service)."""
    return _surface.get() or Surface.SYSTEM


def current_request_id() -> str:
    return _request_id.get()


def current_actor() -> Any:
    return _actor.get()


def set_actor(actor: Any) -> None:
    """Name the request's authenticated caller (inside the middleware's `event_context`, like `set_surface`)."""
    _actor.set(actor)


def surface_is_set() -> bool:
    return _surface.get() is not None


def set_surface(surface: str) -> None:
    """Name the surface for the rest of this context. A view calls it from inside the middleware's
    `event_context`, which restores the previous value when the request ends."""
    _surface.set(surface)


@contextmanager
def event_context(*, surface: str | None = None, request_id: str | None = None) -> Iterator[None]:
    """Within the block, events name `surface` and `request_id` (None: keep the outer value)."""
    # Always a token of our own, so what code inside the block set with `set_surface` ends with it too.
    surface_token = _surface.set(surface if surface is not None else _surface.get())
    request_token = _request_id.set(request_id if request_id is not None else _request_id.get())
    actor_token = _actor.set(_actor.get())
    try:
        yield
    finally:
        _surface.reset(surface_token)
        _request_id.reset(request_token)
        _actor.reset(actor_token)
