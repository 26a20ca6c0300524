"""The behaviour every dialect inherits from DialectAPIView, checked on a minimal dialect."""

import json

import pytest
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from contacts.api.auth import HeaderApiKeyAuthentication
from contacts.api.base import DialectAPIView
from contacts.api.errors import ApiError
from contacts.models import Scope

pytestmark = pytest.mark.django_db


class EchoView(DialectAPIView):
    authentication_classes = [HeaderApiKeyAuthentication]
    parser_classes = [JSONParser]
    required_scopes = {"POST": Scope.CONTACTS_CREATE}

    def post(self, request):
        return Response({"echo": request.data})

    def render_error(self, error: ApiError) -> Response:
        return Response({"status": error.status, "kind": error.kind, "message": error.message}, status=error.status)


def call(body: bytes, secret: str, **extra):
    request = APIRequestFactory().generic(
        "POST", "/echo", body, content_type="application/json", HTTP_X_API_KEY=secret, **extra
    )
    response = EchoView.as_view()(request)
    response.render()
    return response.status_code, json.loads(response.content)


def test_valid_request_passes(api_key):
    _, secret = api_key
    assert call(b'{"a": 1}', secret) == (200, {"echo": {"a": 1}})


def test_deeply_nested_json_is_a_400_not_a_500(api_key):
    _, secret = api_key
    body = b"[" * 100_000 + b"]" * 100_000
    assert call(body, secret) == (
        400,
        {
            "status": 400,
            "kind": "malformed",
            "message": "Malformed request body: The request body is nested too deeply",
        },
    )


def test_body_over_the_limit_is_a_413(api_key, settings):
    _, secret = api_key
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"a": "x" * 2000}).encode()
    assert call(body, secret) == (413, {"status": 413, "kind": "too_large", "message": "The request body is too large"})


def test_missing_scope_is_a_403(organization):
    from tests.factories import make_api_key

    _, secret = make_api_key(organization, scopes=["contacts:read"])
    assert call(b"{}", secret) == (
        403,
        {"status": 403, "kind": "forbidden", "message": "Missing permission contacts:create"},
    )


def test_missing_key_is_a_401():
    request = APIRequestFactory().post("/echo", {}, format="json")
    response = EchoView.as_view()(request)
    response.render()
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "ApiKey"
