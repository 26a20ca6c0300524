"""SFMC's two error bodies: `{"message","errorcode","documentation"}` for the REST API and OAuth's
`{"error","error_description","error_uri"}` for `/v2/token`, with the error codes this dialect uses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.response import Response

from contacts.api.errors import ApiError, DialectError, ErrorKind
from contacts.models import Scope

if TYPE_CHECKING:
    from contacts.api.base import DialectAPIView

NOT_AUTHORIZED = 0
MALFORMED_REQUEST = 10000
UNSUPPORTED_MEDIA_TYPE = 10001
MISSING_PARAMETER = 10002
INVALID_PARAMETER = 10003
TOO_MANY_VALUES = 10004
METHOD_NOT_ALLOWED = 10005
RESOURCE_NOT_FOUND = 10006
FORBIDDEN = 20000
MISSING_READ_SCOPE = 20001
MISSING_WRITE_SCOPE = 20002
RATE_LIMIT_EXCEEDED = 50100
INTERNAL_ERROR = 50000
SERVICE_UNAVAILABLE = 50003

OAUTH_ERROR_URI = "https://developer.salesforce.com/docs"

# How our canonical scopes are named in SFMC's vocabulary (used in 403 messages).
SCOPE_NAMES = {
    Scope.CONTACTS_READ.value: "list_and_subscribers_read",
    Scope.CONTACTS_CREATE.value: "list_and_subscribers_write",
    Scope.CONTACTS_UPDATE.value: "list_and_subscribers_write",
    Scope.CONTACTS_DELETE.value: "list_and_subscribers_write",
}


class SfmcRequestError(DialectError):
    """A request-level error with an explicit SFMC error code (bad query parameter, missing body field...)."""

    def __init__(self, status: int, errorcode: int, message: str) -> None:
        super().__init__(message)
        self.status, self.errorcode, self.message = status, errorcode, message

    def response(self, view: DialectAPIView) -> Response:
        return Response(error_body(self.message, self.errorcode), status=self.status)


class OAuthError(DialectError):
    """A token endpoint error (RFC 6749 section 5.2); `challenge` is the WWW-Authenticate value of a 401 that
    answers client authentication by header."""

    def __init__(self, status: int, error: str, description: str, challenge: str | None = None) -> None:
        super().__init__(description)
        self.status, self.error, self.description, self.challenge = status, error, description, challenge

    def response(self, view: DialectAPIView) -> Response:
        response = Response(oauth_body(self.error, self.description), status=self.status)
        if self.challenge:
            response["WWW-Authenticate"] = self.challenge
        return response


def error_body(message: str, errorcode: int) -> dict[str, Any]:
    return {"message": message, "errorcode": errorcode, "documentation": ""}


def rate_limit_body(retry_after: int) -> dict[str, Any]:
    return {
        "message": "Rate limit exceeded",
        "errorcode": RATE_LIMIT_EXCEEDED,
        "retryAfter": retry_after,
        "documentation": "",
    }


def oauth_body(error: str, description: str) -> dict[str, Any]:
    return {"error": error, "error_description": description, "error_uri": OAUTH_ERROR_URI}


def describe_rest_error(error: ApiError) -> tuple[int, dict[str, Any]]:
    """(status, body) for any error of the contacts endpoints."""
    if error.status == 401:
        return 401, error_body("Not Authorized", NOT_AUTHORIZED)
    if error.status == 429:
        return 429, rate_limit_body(error.retry_after or 1)
    if error.status == 403:
        if error.code in SCOPE_NAMES:
            errorcode = MISSING_READ_SCOPE if error.code == Scope.CONTACTS_READ else MISSING_WRITE_SCOPE
            message = f"Insufficient privileges: the access token lacks the {SCOPE_NAMES[error.code]} scope"
            return 403, error_body(message, errorcode)
        return 403, error_body("Insufficient privileges to complete this action", FORBIDDEN)
    if error.status == 404:
        return 404, error_body("Resource not found", RESOURCE_NOT_FOUND)
    if error.status == 405:
        return 405, error_body(error.message, METHOD_NOT_ALLOWED)
    if error.status == 415:
        return 415, error_body(f"{error.message.rstrip('.')}; send application/json", UNSUPPORTED_MEDIA_TYPE)
    if error.kind == ErrorKind.MALFORMED:
        return 400, error_body(error.message, MALFORMED_REQUEST)
    if error.status == 413:
        return 413, error_body(error.message, TOO_MANY_VALUES)
    if error.status == 503:
        return 503, {
            **error_body("Service temporarily unavailable", SERVICE_UNAVAILABLE),
            "retryAfter": error.retry_after,
        }
    if error.status >= 500:
        return 500, error_body("An unexpected error occurred", INTERNAL_ERROR)
    # Validation, unknown references and conflicts outside a contact operation: an invalid value.
    return 400 if error.status in (400, 422) else error.status, error_body(error.message, INVALID_PARAMETER)


def render_sfmc_error(error: ApiError, view: DialectAPIView | None = None) -> Response:
    """The registry's renderer: the REST API's body (the token view renders `describe_token_error` itself)."""
    status, body = describe_rest_error(error)
    return Response(body, status=status)


def describe_token_error(error: ApiError) -> tuple[int, dict[str, Any]]:
    """(status, body) for errors of `/v2/token` that are not an `OAuthError` already."""
    if error.status == 429:
        return 429, rate_limit_body(error.retry_after or 1)
    if error.status == 404:
        return 404, oauth_body("invalid_request", "Resource not found")
    if error.status == 503:
        # RFC 6749 section 5.2's code for a server that cannot answer for now.
        return 503, oauth_body("temporarily_unavailable", "The service is temporarily unavailable; retry later")
    if error.status >= 500:
        return 500, oauth_body("server_error", "An unexpected error occurred")
    if error.status in (405, 413, 415):
        return error.status, oauth_body("invalid_request", error.message)
    return 400, oauth_body("invalid_request", error.message)
