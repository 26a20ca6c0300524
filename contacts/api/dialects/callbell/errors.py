"""Callbell's error body: `{"error": {"code": C, "message": M, "details": {field: message}}}`.

Callbell documents only its status codes, so the body and the codes are this project's choice
(see docs/dialects/callbell.md, "Errors").
"""

from __future__ import annotations

from rest_framework.response import Response

from contacts.api.errors import ApiError

# ApiError.kind → the `code` a Callbell client sees.
CALLBELL_ERROR_CODES = {
    "unauthenticated": "unauthorized",
    "forbidden": "forbidden",
    "validation": "validation_error",
    "malformed": "invalid_json",
    "unknown_reference": "unknown_reference",
    "not_found": "not_found",
    "conflict": "conflict",
    "method_not_allowed": "method_not_allowed",
    "unsupported_media_type": "unsupported_media_type",
    "not_acceptable": "not_acceptable",
    "too_large": "payload_too_large",
    "throttled": "rate_limited",
    "internal": "internal_error",
    "unavailable": "service_unavailable",
}

# The services name canonical fields; Callbell clients know them by the parameter they sent.
CALLBELL_FIELD_NAMES = {
    "phone": "identifier",
    "team": "team_uuid",
}


def callbell_error_response(error: ApiError) -> Response:
    details = error.details or ({error.field: error.message} if error.field else {})
    details = {_callbell_field(field): message for field, message in details.items()}
    message = error.message
    if error.kind == "conflict" and error.field == "phone":
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
