"""Turning any exception a request can raise into one neutral description, which each dialect renders
in its own error body. Dialects therefore never need to know DRF's or Django's exception zoo."""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions as drf

from contacts import errors as domain
from contacts.services.avatars import AvatarTooLarge

if TYPE_CHECKING:
    from rest_framework.response import Response

    from contacts.api.base import DialectAPIView

logger = logging.getLogger("contacts.api")

# Seconds a client is asked to wait when the database or the cache cannot be reached.
UNAVAILABLE_RETRY_AFTER = 5
UNAVAILABLE_MESSAGE = "The service is temporarily unavailable; retry later"


class ErrorKind(StrEnum):
    """The neutral classification of a failed request, which each dialect's errors.py maps to its vendor's codes.
    The values are stable: dialect maps and tests name them."""

    VALIDATION = "validation"
    UNKNOWN_REFERENCE = "unknown_reference"
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    CONFLICT = "conflict"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    NOT_ACCEPTABLE = "not_acceptable"
    THROTTLED = "throttled"
    ERROR = "error"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


class RequestCode(StrEnum):
    """Codes `describe_exception` adds for what it saw at the request level (domain codes are `ErrorCode`)."""

    # Django refused the request's shape (too many fields or files): a dialect that reads bodies as forms may
    # word it as a malformed body.
    SUSPICIOUS_REQUEST = "suspicious_request"


@dataclass
class ApiError:
    status: int
    kind: ErrorKind
    message: str
    field: str | None = None
    details: dict[str, str] = dataclasses.field(default_factory=dict)
    # A domain `ErrorCode`, a `RequestCode`, or for `forbidden` the scope that was missing.
    code: str | None = None
    retry_after: int | None = None
    auth_header: str | None = None


class DialectError(Exception):
    """An error a dialect detects itself and answers in its vendor's exact words (a bad signature header, an OAuth
    error, a failed contact operation). It carries its own rendering, so the shared view answers every one the same
    way (`DialectAPIView.handle_dialect_exception`) and no dialect overrides the exception handler."""

    status: int = 400

    def response(self, view: DialectAPIView) -> Response:
        """The answer, in the dialect's body; `view` gives the request and whatever the dialect keeps on it."""
        raise NotImplementedError


def describe_exception(exc: BaseException) -> ApiError:
    """Classify `exc`. Unknown exceptions become a 500 with a generic message (and are logged)."""
    if isinstance(exc, domain.UnknownReference):
        return ApiError(422, ErrorKind.UNKNOWN_REFERENCE, exc.message, exc.field, exc.details, exc.code)
    if isinstance(exc, domain.ValidationFailed):
        return ApiError(400, ErrorKind.VALIDATION, exc.message, exc.field, exc.details, exc.code)
    if isinstance(exc, AvatarTooLarge):
        return ApiError(413, ErrorKind.TOO_LARGE, exc.message, exc.field, {exc.field: exc.message} if exc.field else {})
    if isinstance(exc, RequestDataTooBig):
        return ApiError(413, ErrorKind.TOO_LARGE, "The request body is too large")
    if isinstance(exc, SuspiciousOperation):
        # Too many fields or files, a malformed multipart body: the request's fault, never a server error.
        return ApiError(
            400, ErrorKind.MALFORMED, str(exc) or "The request is malformed", code=RequestCode.SUSPICIOUS_REQUEST
        )
    if isinstance(exc, domain.Conflict):
        return ApiError(409, ErrorKind.CONFLICT, exc.message, exc.field, {exc.field: exc.message} if exc.field else {})
    if isinstance(exc, domain.NotFound):
        return ApiError(404, ErrorKind.NOT_FOUND, exc.message, exc.field)
    if isinstance(exc, (Http404, drf.NotFound)):
        return ApiError(404, ErrorKind.NOT_FOUND, "Not found")
    if isinstance(exc, domain.PermissionDenied):
        return ApiError(403, ErrorKind.FORBIDDEN, exc.message, code=exc.scope)
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        message = str(exc.detail) if isinstance(exc, drf.AuthenticationFailed) else "Authentication required"
        auth_header = getattr(exc, "auth_header", None)
        status = 401 if auth_header else exc.status_code
        return ApiError(status, ErrorKind.UNAUTHENTICATED, message, auth_header=auth_header)
    if isinstance(exc, (drf.PermissionDenied, DjangoPermissionDenied)):
        return ApiError(403, ErrorKind.FORBIDDEN, str(getattr(exc, "detail", "")) or "Permission denied")
    if isinstance(exc, drf.MethodNotAllowed):
        return ApiError(405, ErrorKind.METHOD_NOT_ALLOWED, str(exc.detail))
    if isinstance(exc, drf.UnsupportedMediaType):
        return ApiError(415, ErrorKind.UNSUPPORTED_MEDIA_TYPE, str(exc.detail))
    if isinstance(exc, drf.NotAcceptable):
        return ApiError(406, ErrorKind.NOT_ACCEPTABLE, str(exc.detail))
    if isinstance(exc, drf.ParseError):
        return ApiError(400, ErrorKind.MALFORMED, f"Malformed request body: {exc.detail}")
    if isinstance(exc, drf.Throttled):
        wait = max(1, math.ceil(exc.wait or 1))
        return ApiError(429, ErrorKind.THROTTLED, "Too many requests", retry_after=wait)
    if isinstance(exc, drf.ValidationError):
        details = _flatten(exc.detail)
        first_field, first_message = next(iter(details.items()), (None, "Invalid input"))
        return ApiError(
            400,
            ErrorKind.VALIDATION,
            first_message,
            first_field if first_field != "non_field_errors" else None,
            details,
        )
    if isinstance(exc, drf.APIException):
        return ApiError(exc.status_code, ErrorKind.ERROR, str(exc.detail))
    if isinstance(exc, (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)):
        # Database or cache unreachable, or a query cancelled: nothing was written, and a retry may succeed.
        logger.error("service unavailable: %s", type(exc).__name__)
        return ApiError(503, ErrorKind.UNAVAILABLE, UNAVAILABLE_MESSAGE, retry_after=UNAVAILABLE_RETRY_AFTER)
    if isinstance(exc, DataError):
        # A value the database refused (out of range, unstorable); the guards should have caught it first.
        logger.warning("database refused a value: %s", type(exc).__name__)
        return ApiError(400, ErrorKind.VALIDATION, "A value in the request cannot be stored")
    logger.exception("unexpected error while handling an API request", exc_info=exc)
    return ApiError(500, ErrorKind.INTERNAL, "Internal server error")


def _flatten(detail, prefix: str = "") -> dict[str, str]:
    """DRF's nested error detail as {dotted.field: first message}."""
    if isinstance(detail, dict):
        result: dict[str, str] = {}
        for key, value in detail.items():
            result.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return result
    if isinstance(detail, list):
        if detail and all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": str(detail[0])}
        result = {}
        for index, item in enumerate(detail):
            if item:
                result.update(_flatten(item, f"{prefix}[{index}]"))
        return result
    return {prefix or "non_field_errors": str(detail)}
