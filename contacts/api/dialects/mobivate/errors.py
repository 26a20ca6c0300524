"""Mobivate's error body: `{"success":false,"error":{"name":N,"statusCode":S,"message":M}}`.

Every failure a Mobivate request can meet arrives here as a neutral `ApiError` and leaves in this shape, with the
status codes Mobivate documents (200, 400, 401, 402, 403, 429, 500) plus the HTTP ones it is silent about.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

from rest_framework.response import Response

from contacts.api.errors import ApiError, ErrorKind
from contacts.models import Scope

if TYPE_CHECKING:
    from contacts.api.base import DialectAPIView

# Mobivate has no 409 or 422: a duplicate or an unknown reference is a bad request like any other.
_STATUS_OVERRIDES = {409: 400, 422: 400}

ERROR_NAMES = {
    400: "ValidationError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    413: "PayloadTooLargeError",
    415: "UnsupportedMediaTypeError",
    429: "TooManyRequestsError",
    500: "InternalServerError",
}

# How the services name a contact's fields, and how a Mobivate client knows them.
_FIELD_LABELS = {"phone": "Msisdn", "alias": "Alias", "custom_fields": "Meta"}


def error_name(status: int) -> str:
    """The documented name, or one built the same way from the HTTP reason phrase (503 → ServiceUnavailableError)."""
    if status in ERROR_NAMES:
        return ERROR_NAMES[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "Error"
    return "".join(word.capitalize() for word in phrase.replace("-", " ").split()) + "Error"


def error_message(error: ApiError) -> str:
    """A message in Mobivate's style ("Alias is required", "Msisdn is invalid", "Alias already exists")."""
    if error.kind == ErrorKind.UNAVAILABLE:
        return "Service temporarily unavailable, retry later"
    if error.status >= 500:
        # Never leak internals; the exception itself is logged by describe_exception.
        return "Internal server error"
    if error.kind == ErrorKind.CONFLICT:
        label = _FIELD_LABELS.get(error.field or "")
        return f"{label} already exists" if label else "Contact already exists"
    if error.kind == ErrorKind.FORBIDDEN and error.code:
        return f"Your API key does not have the {_scope_label(error.code)} permission"
    if error.kind == ErrorKind.MALFORMED:
        return "Request body is not valid JSON"
    if error.kind == ErrorKind.THROTTLED and error.retry_after:
        return f"Too many requests, retry after {error.retry_after} seconds"
    if error.kind in (ErrorKind.VALIDATION, ErrorKind.UNKNOWN_REFERENCE) and error.field:
        return _validation_message(error.field, error.message)
    return error.message or "Request failed"


def render_mobivate_error(error: ApiError, view: DialectAPIView | None = None) -> Response:
    status = _STATUS_OVERRIDES.get(error.status, error.status)
    body = {
        "success": False,
        "error": {"name": error_name(status), "statusCode": status, "message": error_message(error)},
    }
    return Response(body, status=status)


def _validation_message(field: str, message: str) -> str:
    if field == "phone":
        # Whatever normalize_phone disliked, the client only needs to know which value to fix.
        return "Msisdn is invalid"
    if field.startswith("custom_fields."):
        return f"Meta {message}"
    return message


def _scope_label(value: str) -> str:
    try:
        return Scope(value).label
    except ValueError:
        return value
