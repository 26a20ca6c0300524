"""The one catch-all view: every path under a dialect's mount that names no endpoint is a 404 in that dialect's
error body, whatever the method, before any authentication (routes are public, contacts are not)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.request import Request

from contacts.errors import NotFound

if TYPE_CHECKING:
    from contacts.api.registry import Dialect


def not_found_view(dialect: Dialect) -> Any:
    """The catch-all of `dialect`, built on its base view so an unknown path carries every header its other
    answers do (Awal's request id and rate-limit headers, the negotiated content type)."""

    class NotFoundView(dialect.base_view_class):
        authentication_classes: list = []
        permission_classes: list = []
        throttle_classes: list = []
        dialect_name = dialect.name

        def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
            # The shared checks first (a NUL in the path is still the dialect's 400), then the 404 for any method.
            super().initial(request, *args, **kwargs)
            raise NotFound(None, dialect.not_found_message.format(method=request.method, path=request.path))

        def finalize_response(self, request, response, *args, **kwargs):
            response = super().finalize_response(request, response, *args, **kwargs)
            # No method exists at an unknown path; an Allow header would suggest otherwise.
            if response.has_header("Allow"):
                del response["Allow"]
            return response

    # Named and placed as the dialect's own view, so the resolver, logs and tracebacks say whose 404 it is.
    NotFoundView.__name__ = NotFoundView.__qualname__ = f"{dialect.name.title()}NotFoundView"
    NotFoundView.__module__ = dialect.base_view_class.__module__
    return NotFoundView.as_view()
