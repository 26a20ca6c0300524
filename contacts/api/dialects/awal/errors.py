"""Awal's error body: `{"error": code, "message": M, "details": {field: message}, "request_id": "req_..."}`,
and the 429 body `{"error": "Rate limit exceeded", "message": M}` (docs/dialects/awal.md, "Errors")."""

from __future__ import annotations

from typing import Any

from contacts.api.errors import ApiError

# `ApiError.kind` (the neutral classification) → Awal's status and error code. Validation is 422 as in
# Awal's contact error table; a malformed phone keeps the documented 400 `invalid_phone_number`.
_KINDS: dict[str, tuple[int | None, str]] = {
    "validation": (422, "validation_failed"),
    "unknown_reference": (422, "validation_failed"),
    "malformed": (400, "malformed_request"),
    "not_found": (404, "resource_not_found"),
    "conflict": (409, "resource_conflict"),
    "too_large": (413, "payload_too_large"),
    "unauthenticated": (401, "authentication_failed"),
    "forbidden": (403, "permission_denied"),
    "method_not_allowed": (405, "method_not_allowed"),
    "not_acceptable": (406, "not_acceptable"),
    "unsupported_media_type": (415, "unsupported_media_type"),
    "internal": (500, "internal_error"),
    "unavailable": (503, "service_unavailable"),
}


class AwalError(Exception):
    """An error the Awal layer itself detects (headers, signature) with its exact status and code."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


def authentication_failed(message: str) -> AwalError:
    return AwalError(401, "authentication_failed", message)


def awal_status_and_code(error: ApiError) -> tuple[int, str]:
    if error.code == "invalid_phone_number":
        return 400, "invalid_phone_number"
    status, code = _KINDS.get(error.kind, (None, "request_failed"))
    return status or error.status, code


def error_body(code: str, message: str, details: dict[str, str], request_id: str) -> dict[str, Any]:
    return {"error": code, "message": message, "details": details, "request_id": request_id}


def rate_limited_body(retry_after: int) -> dict[str, str]:
    unit = "second" if retry_after == 1 else "seconds"
    return {"error": "Rate limit exceeded", "message": f"Too many requests. Retry in {retry_after} {unit}."}
