"""Contactship's error body: `{"statusCode": S, "error": "<HTTP reason phrase>", "message": M}` (a Choice: docs/dialects/contactship.md, "Errors")."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import TYPE_CHECKING

from rest_framework.response import Response

from contacts.api.auth import HeaderApiKeyAuthentication
from contacts.api.dialects.contactship.serializers import ERROR_FIELD_NAMES
from contacts.api.errors import ApiError
from contacts.errors import ErrorCode

if TYPE_CHECKING:
    from contacts.api.base import DialectAPIView

# Services name the canonical fields; Contactship clients know them by the contract's names.
_LIST_INDEX = re.compile(r"\.(\d+)(?=\.|$)")
_VENDOR_FIELD_NAMES = ERROR_FIELD_NAMES  # from the serializers' `source=`


def vendor_field_name(field: str | None) -> str | None:
    """`phone` → `phone_number`, `custom_fields.notas` → `additional_data.notas`; vendor names pass through."""
    if not field:
        return None
    head, dot, rest = field.partition(".")
    # DRF names list items `additional_data.0.type`; clients read `additional_data[0].type` more easily.
    return _LIST_INDEX.sub(r"[\1]", _VENDOR_FIELD_NAMES.get(head, head) + dot + rest)


def contactship_message(error: ApiError, *, api_key_sent: bool) -> str:
    if error.status == 401 and not api_key_sent:
        return "Missing x-api-key header"
    if error.status == 403 and error.code:
        return f"This API key lacks the {error.code} permission"
    if error.status == 409 and error.field == "phone":
        # The contract's own words for its one documented conflict.
        return "A contact with this phone number already exists"
    if error.status == 429 and error.retry_after is not None:
        return f"Too many requests; retry after {error.retry_after} seconds"
    field = vendor_field_name(error.field)
    if field and error.status in (400, 422) and error.code != ErrorCode.UNSTORABLE_TEXT:  # that message names its field
        return f"{field}: {error.message}"
    return error.message


def contactship_error_response(error: ApiError, *, api_key_sent: bool) -> Response:
    try:
        reason = HTTPStatus(error.status).phrase
    except ValueError:
        reason = "Error"
    body = {
        "statusCode": error.status,
        "error": reason,
        "message": contactship_message(error, api_key_sent=api_key_sent),
    }
    return Response(body, status=error.status)


def render_contactship_error(error: ApiError, view: DialectAPIView) -> Response:
    """The registry's renderer: a 401's message depends on whether the request sent a key at all."""
    return contactship_error_response(error, api_key_sent=HeaderApiKeyAuthentication.header in view.request.META)
