from __future__ import annotations

from rest_framework.response import Response

from contacts.api.base import DialectAPIView
from contacts.api.errors import ApiError, DialectError


def render_fake_error(error: ApiError, view: DialectAPIView) -> Response:
    return Response({"fault": {"kind": error.kind, "text": error.message}}, status=error.status)


class FakeTeapot(DialectError):
    """An error the fake vendor words itself."""

    status = 418

    def response(self, view: DialectAPIView) -> Response:
        return Response({"teapot": view.request.path}, status=self.status)
