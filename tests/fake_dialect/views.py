from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api.base import DialectAPIView
from contacts.api.errors import ApiError, DialectError
from contacts.models import Scope


def render_fake_error(error: ApiError, view: DialectAPIView) -> Response:
    return Response({"fault": {"kind": error.kind, "text": error.message}}, status=error.status)


class FakeTeapot(DialectError):
    """An error the fake vendor words itself."""

    status = 418

    def response(self, view: DialectAPIView) -> Response:
        return Response({"teapot": view.request.path}, status=self.status)


class FakeContactsView(DialectAPIView):
    required_scopes = {"GET": Scope.CONTACTS_READ, "POST": Scope.CONTACTS_CREATE}

    def get(self, request: Request) -> Response:
        return Response({"organization": self.organization.slug})

    def post(self, request: Request) -> Response:
        raise FakeTeapot
