from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api.base import DialectAPIView
from contacts.models import Scope
from tests.fake_dialect.errors import FakeTeapot


class FakeAPIView(DialectAPIView):
    """What every fake endpoint shares, and what its catch-all builds on: nothing beyond the declaration."""


class FakeContactsView(FakeAPIView):
    required_scopes = {"GET": Scope.CONTACTS_READ, "POST": Scope.CONTACTS_CREATE}

    def get(self, request: Request) -> Response:
        return Response({"organization": self.organization.slug})

    def post(self, request: Request) -> Response:
        raise FakeTeapot
