"""Awal's error body: `{"error": code, "message": M, "details": {field: message}, "request_id": "req_..."}`,
and the 429 body `{"error": "Rate limit exceeded", "message": M}` (docs/dialects/awal.md, "Errors")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.response import Response

from contacts.api.dialects.awal.serializers import ERROR_FIELD_NAMES
from contacts.api.errors import ApiError, DialectError, ErrorKind, RequestCode
from contacts.errors import ErrorCode

if TYPE_CHECKING:
    from contacts.api.base import DialectAPIView

# The WWW-Authenticate of every Awal 401.
CHALLENGE = 'HMAC-SHA256 realm="awal"'

# `ApiError.kind` (the neutral classification) → Awal's status and error code. Validation is 422 as in
# Awal's contact error table; a malformed phone keeps the documented 400 `invalid_phone_number`.
_VALIDATION_FAILED = (422, "validation_failed")
_KINDS: dict[ErrorKind, tuple[int, str]] = {
    ErrorKind.VALIDATION: _VALIDATION_FAILED,
    ErrorKind.UNKNOWN_REFERENCE: _VALIDATION_FAILED,
    ErrorKind.MALFORMED: (400, "malformed_request"),
    ErrorKind.NOT_FOUND: (404, "resource_not_found"),
    ErrorKind.CONFLICT: (409, "resource_conflict"),
    ErrorKind.TOO_LARGE: (413, "payload_too_large"),
    ErrorKind.UNAUTHENTICATED: (401, "authentication_failed"),
    ErrorKind.FORBIDDEN: (403, "permission_denied"),
    ErrorKind.METHOD_NOT_ALLOWED: (405, "method_not_allowed"),
    ErrorKind.NOT_ACCEPTABLE: (406, "not_acceptable"),
    ErrorKind.UNSUPPORTED_MEDIA_TYPE: (415, "unsupported_media_type"),
    ErrorKind.INTERNAL: (500, "internal_error"),
    ErrorKind.UNAVAILABLE: (503, "service_unavailable"),
}


class AwalError(DialectError):
    """An error the Awal layer itself detects (headers, signature) with its exact status and code."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}

    def response(self, view: DialectAPIView) -> Response:
        response = Response(error_body(self.code, self.message, self.details, request_id(view)), status=self.status)
        if self.status == 401:
            response["WWW-Authenticate"] = CHALLENGE
        return response


def authentication_failed(message: str) -> AwalError:
    return AwalError(401, "authentication_failed", message)


def awal_status_and_code(error: ApiError) -> tuple[int, str]:
    if error.code == ErrorCode.INVALID_PHONE_NUMBER:
        return 400, "invalid_phone_number"
    return _KINDS.get(error.kind, (error.status, "request_failed"))


def render_awal_error(error: ApiError, view: DialectAPIView) -> Response:
    if error.status == 429:
        return Response(rate_limited_body(error.retry_after or 1), status=429)
    status, code = awal_status_and_code(error)
    message = error.message
    if error.code == RequestCode.SUSPICIOUS_REQUEST:
        # Too many form fields or files: Awal's bodies are forms, so it is the body that is malformed.
        message = f"Malformed request body: {message}"
    details = error.details or ({error.field: error.message} if error.field else {})
    details = {ERROR_FIELD_NAMES.get(field, field): text for field, text in details.items()}
    return Response(error_body(code, message, details, request_id(view)), status=status)


def request_id(view: DialectAPIView) -> str:
    # Set by AwalAPIView.dispatch for every request, so an answer and the log can be matched.
    return getattr(view, "request_id", "")


def error_body(code: str, message: str, details: dict[str, str], request_id: str) -> dict[str, Any]:
    return {"error": code, "message": message, "details": details, "request_id": request_id}


def rate_limited_body(retry_after: int) -> dict[str, str]:
    unit = "second" if retry_after == 1 else "seconds"
    return {"error": "Rate limit exceeded", "message": f"Too many requests. Retry in {retry_after} {unit}."}
