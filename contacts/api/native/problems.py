"""Every error of the native API as an RFC 9457 problem (`application/problem+json`).

`{"type", "title", "status", "detail", "errors": [{"field", "code", "message"}]}`: `type` names the class of
problem (one per `ApiError.kind`), `detail` says what happened this time, and `errors` lists each input at fault
(empty when no input is). Field names are the API's own (`branch`, `custom_fields`, a query parameter's name).
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions as drf
from rest_framework.response import Response

from contacts.api.errors import ApiError, ErrorKind, describe_exception

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:crm:problem:"

# ApiError.kind → (type, title).
PROBLEMS = {
    ErrorKind.UNAUTHENTICATED: ("unauthenticated", "Authentication required"),
    ErrorKind.FORBIDDEN: ("forbidden", "Missing permission"),
    ErrorKind.VALIDATION: ("invalid-request", "The request is invalid"),
    ErrorKind.MALFORMED: ("malformed-request", "The request body is malformed"),
    ErrorKind.UNKNOWN_REFERENCE: ("unknown-reference", "The request refers to something that does not exist"),
    ErrorKind.NOT_FOUND: ("not-found", "Not found"),
    ErrorKind.CONFLICT: ("conflict", "A unique value is already taken"),
    ErrorKind.METHOD_NOT_ALLOWED: ("method-not-allowed", "Method not allowed"),
    ErrorKind.UNSUPPORTED_MEDIA_TYPE: ("unsupported-media-type", "Unsupported media type"),
    ErrorKind.NOT_ACCEPTABLE: ("not-acceptable", "Not acceptable"),
    ErrorKind.TOO_LARGE: ("too-large", "The request is too large"),
    ErrorKind.THROTTLED: ("rate-limited", "Too many requests"),
    ErrorKind.UNAVAILABLE: ("unavailable", "Service temporarily unavailable"),
    ErrorKind.INTERNAL: ("internal", "Internal server error"),
    ErrorKind.ERROR: ("error", "Request failed"),
    "idempotency_key_reused": ("idempotency-key-reused", "The Idempotency-Key belongs to another request"),
    "idempotency_key_in_use": ("idempotency-key-in-use", "A request with this Idempotency-Key is still running"),
}

# The code an `errors` entry carries when the error names none.
DEFAULT_CODES = {
    ErrorKind.VALIDATION: "invalid",
    ErrorKind.MALFORMED: "malformed",
    ErrorKind.UNKNOWN_REFERENCE: "unknown_reference",
    ErrorKind.CONFLICT: "already_exists",
    ErrorKind.TOO_LARGE: "too_large",
}


def problem_response(error: ApiError, errors: list[dict[str, Any]] | None = None) -> Response:
    kind, title = PROBLEMS.get(error.kind, PROBLEMS[ErrorKind.ERROR])
    if errors is None:
        errors = _errors(error)
    body = {
        "type": TYPE_PREFIX + kind,
        "title": title,
        "status": error.status,
        "detail": error.message,
        "errors": errors,
    }
    response = Response(body, status=error.status, content_type=PROBLEM_CONTENT_TYPE)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    if error.auth_header and error.status == 401:
        response["WWW-Authenticate"] = error.auth_header
    return response


class NativeProblem(Exception):
    """A refusal only this API makes (not a domain error): its status, kind and the field and code at fault."""

    status = 400
    kind = "validation"

    def __init__(self, field: str | None, message: str, code: str) -> None:
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


def exception_response(exc: BaseException) -> Response:
    """The problem for any exception a request raised."""
    if isinstance(exc, NativeProblem):
        error = ApiError(exc.status, exc.kind, exc.message, exc.field)
        return problem_response(error, [{"field": exc.field, "code": exc.code, "message": exc.message}])
    if isinstance(exc, drf.ValidationError):
        # DRF's own detail keeps each message's code, which `describe_exception` flattens away.
        errors = list(_drf_errors(exc.detail))
        first = errors[0] if errors else {"field": None, "message": "Invalid input"}
        return problem_response(ApiError(400, ErrorKind.VALIDATION, first["message"], first["field"]), errors)
    return problem_response(describe_exception(exc))


def _errors(error: ApiError) -> list[dict[str, Any]]:
    default = DEFAULT_CODES.get(error.kind)
    if default is None:
        return []
    details = error.details or {error.field: error.message}
    return [
        {
            "field": field,
            "code": (error.code or default) if field == error.field else default,
            "message": message,
        }
        for field, message in details.items()
    ]


def _drf_errors(detail: Any, prefix: str | None = None):
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key == "non_field_errors" else str(key)
            yield from _drf_errors(value, f"{prefix}.{name}" if prefix and name else (name or prefix))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            for item in detail:
                yield {"field": prefix, "code": getattr(item, "code", "invalid"), "message": str(item)}
        else:
            for index, item in enumerate(detail):
                if item:
                    yield from _drf_errors(item, f"{prefix}[{index}]" if prefix else f"[{index}]")
    else:
        yield {"field": prefix, "code": getattr(detail, "code", "invalid"), "message": str(detail)}
