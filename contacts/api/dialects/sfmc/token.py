"""SFMC's `POST /v2/token`: the OAuth 2.0 client-credentials grant (RFC 6749 section 4.4).

The client authenticates with `client_id`/`client_secret` in the JSON or form body (as SFMC documents and its
own SDKs send), or with HTTP Basic (RFC 6749 section 2.3.1, `client_secret_basic`), which requests-oauthlib and
Authlib use by default.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from rest_framework.authentication import get_authorization_header
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api import openapi_dialects
from contacts.api.base import DialectAPIView
from contacts.api.dialects.sfmc.errors import OAuthError, describe_token_error
from contacts.api.dialects.sfmc.scopes import UnknownScope, canonical_scopes, scope_text
from contacts.api.errors import ApiError
from contacts.services import credentials

ACCESS_TOKEN_EXPIRES_IN = 1080  # seconds; SFMC announces 18 minutes for a 20-minute token
SOAP_PATH = "soap/"
BASIC_CHALLENGE = 'Basic realm="sfmc"'
# The token path at the end of request.path, whatever its case and slashes, leaves the mount's URL.
_TOKEN_PATH = re.compile(r"/+v2/token/?$", re.IGNORECASE)
_CLIENT_AUTHENTICATION_FAILED = (
    "Client authentication failed. Make sure that the client ID and client secret are valid and that the client "
    "is active."
)
_MALFORMED_BASIC = (
    "The Authorization header must be 'Basic ' followed by the base64 encoding of client_id:client_secret"
)


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    secret: str
    by_basic: bool  # sent in the Authorization header, so a failure carries a Basic challenge


class SfmcTokenView(DialectAPIView):
    """Client credentials in, a 20-minute Bearer token out (stored only as a digest). Its errors are OAuth's
    (an `OAuthError` renders itself; anything else through `describe_token_error`), not the REST API's."""

    authentication_classes: list = []
    permission_classes: list = []
    parser_classes = [JSONParser, FormParser]
    throttle_scope = "sfmc_token"

    def render_error(self, error: ApiError) -> Response:
        status, body = describe_token_error(error)
        return Response(body, status=status)

    @openapi_dialects.sfmc_token
    def post(self, request: Request) -> Response:
        data = request.data
        if not isinstance(data, Mapping):
            raise OAuthError(400, "invalid_request", "The request body must be a JSON object")
        grant_type = data.get("grant_type")
        if grant_type in (None, ""):
            raise OAuthError(400, "invalid_request", "grant_type is required")
        if grant_type != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "Only the client_credentials grant type is supported")
        given = client_credentials(request, data)
        try:
            client = credentials.authenticate_oauth_client(given.client_id, given.secret)
        except credentials.InvalidCredential:
            raise OAuthError(
                401,
                "invalid_client",
                _CLIENT_AUTHENTICATION_FAILED,
                challenge=BASIC_CHALLENGE if given.by_basic else None,
            ) from None
        scopes, text = requested_scopes(client.scopes, data.get("scope"))
        _, raw_token = credentials.issue_access_token(client, scopes=scopes, scope_text=text)
        rest_root = request.build_absolute_uri(_TOKEN_PATH.sub("/", request.path))
        body = {
            "access_token": raw_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_EXPIRES_IN,
            "scope": text,
            "rest_instance_url": rest_root,
            "soap_instance_url": rest_root + SOAP_PATH,
        }
        return Response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def client_credentials(request: Request, data: Mapping[str, Any]) -> ClientCredentials:
    """The client's id and secret, from HTTP Basic or from the body. Both at once is allowed only as RFC 6749
    clients do it: the id repeated in the body, never a second secret (section 2.3: one method per request)."""
    body_id, body_secret = data.get("client_id"), data.get("client_secret")
    basic = basic_credentials(request)
    if basic is not None:
        if body_secret not in (None, ""):
            raise OAuthError(
                400,
                "invalid_request",
                "The client secret was sent both in the Authorization header and in the body; send it once",
            )
        if body_id not in (None, "") and body_id != basic.client_id:
            raise OAuthError(
                400, "invalid_request", "client_id in the body differs from the client in the Authorization header"
            )
        return basic
    for name, value in (("client_id", body_id), ("client_secret", body_secret)):
        if not isinstance(value, str) or not value:
            raise OAuthError(400, "invalid_request", f"{name} is required and must be a string")
    return ClientCredentials(body_id, body_secret, by_basic=False)


def basic_credentials(request: Request) -> ClientCredentials | None:
    """`Authorization: Basic base64(urlencode(client_id) ":" urlencode(secret))`, or None for no Basic header.

    A Basic header that cannot be read is a failed client authentication by header, which RFC 6749 section 5.2
    answers with 401 `invalid_client` and a Basic challenge."""
    parts = get_authorization_header(request).split()
    if not parts or parts[0].lower() != b"basic":
        return None
    decoded = _decode_basic(parts)
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise _malformed_basic("the decoded value has no colon between client_id and client_secret")
    # Section 2.3.1 form-encodes both before joining them; clients that skip it (requests' HTTPBasicAuth) send
    # the same bytes for the ids and secrets this server issues, which use no character that encoding changes.
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if not client_id or "\x00" in client_id:
        raise _malformed_basic("client_id is empty or contains a NUL character")
    return ClientCredentials(client_id, secret, by_basic=True)


def _decode_basic(parts: list[bytes]) -> str:
    if len(parts) != 2:
        raise _malformed_basic("expected exactly one base64 value after 'Basic'")
    try:
        return base64.b64decode(parts[1], validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # not base64, or not UTF-8 once decoded
        raise _malformed_basic("the value is not base64 of UTF-8 text") from None


def _malformed_basic(reason: str) -> OAuthError:
    return OAuthError(401, "invalid_client", f"{_MALFORMED_BASIC}: {reason}", challenge=BASIC_CHALLENGE)


def requested_scopes(granted: list[str], requested: Any) -> tuple[list[str], str]:
    """The token's canonical scopes and the scope string to echo: the request's own string when it asked for
    scopes (which must all be the client's), otherwise everything the client has."""
    if requested is not None and not isinstance(requested, str):
        raise OAuthError(400, "invalid_request", "scope must be a space-separated string")
    if requested is None or not requested.strip():
        return sorted(granted), scope_text(granted)
    try:
        wanted = canonical_scopes(requested.split())
    except UnknownScope as unknown:
        raise OAuthError(400, "invalid_scope", f"Unknown scope: {unknown}") from None
    if not wanted <= set(granted):
        raise OAuthError(400, "invalid_scope", "The requested scope exceeds the scopes granted to the client")
    return sorted(wanted), requested
