"""Callbell's error body: `{"error": {"code": C, "message": M, "details": {field: message}}}`.

Callbell documents only its status codes, so the body and the codes are this project's choice
(see docs/dialects/callbell.md, "Errors").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.response import Response

from contacts.api.dialects.callbell.serializers import ERROR_FIELD_NAMES
from contacts.api.errors import ApiError, ErrorKind

if TYPE_CHECKING:
    from contacts.api.base import DialectAPIView

# ApiError.kind → the `code` a Callbell client sees.
CALLBELL_ERROR_CODES: dict[ErrorKind, str] = {
    ErrorKind.UNAUTHENTICATED: "unauthorized",
    ErrorKind.FORBIDDEN: "forbidden",
    ErrorKind.VALIDATION: "validation_error",
    ErrorKind.MALFORMED: "invalid_json",
    ErrorKind.UNKNOWN_REFERENCE: "unknown_reference",
    ErrorKind.NOT_FOUND: "not_found",
    ErrorKind.CONFLICT: "conflict",
    ErrorKind.METHOD_NOT_ALLOWED: "method_not_allowed",
    ErrorKind.UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    ErrorKind.NOT_ACCEPTABLE: "not_acceptable",
    ErrorKind.TOO_LARGE: "payload_too_large",
    ErrorKind.THROTTLED: "rate_limited",
    ErrorKind.INTERNAL: "internal_error",
    ErrorKind.UNAVAILABLE: "service_unavailable",
}

# The services name canonical fields; Callbell clients know them by the parameter they sent (the serializers'
# `source=` says which).
CALLBELL_FIELD_NAMES = ERROR_FIELD_NAMES


def render_callbell_error(error: ApiError, view: DialectAPIView | None = None) -> Response:
    details = error.details or ({error.field: error.message} if error.field else {})
    details = {_callbell_field(field): message for field, message in details.items()}
    message = error.message
    if error.kind == ErrorKind.CONFLICT and error.field == "phone":
        message = "A contact with this identifier already exists"
        details = {"identifier": message}
    body = {
        "error": {
            "code": CALLBELL_ERROR_CODES.get(error.kind, "error"),
            "message": message,
            "details": details,
        }
    }
    return Response(body, status=error.status)


def _callbell_field(field: str) -> str:
    head, dot, rest = field.partition(".")
    return CALLBELL_FIELD_NAMES.get(head, head) + dot + rest
