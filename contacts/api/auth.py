"""Authentication classes shared by the dialects: bearer API key, x-api-key header, OAuth access token.

Each implements `authenticate_header()` so DRF answers 401 (not 403) when credentials are missing or wrong.
The HMAC signature scheme lives with the Awal dialect that defines it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from contacts.api.principal import ApiPrincipal
from contacts.services import credentials


def bearer_challenge(request, realm: str) -> str:
    """The `WWW-Authenticate` of a 401 (RFC 6750 section 3): no `error` for a request without Bearer credentials
    (section 3.1), `invalid_token` for a token that is unknown, expired or revoked, `invalid_request` for an
    Authorization header that is not `Bearer <token>`. OAuth clients (fuel-rest, Authlib...) fetch a new token
    and retry only on `invalid_token`."""
    header = get_authorization_header(request).split()
    if not header or header[0].lower() != b"bearer":
        return f'Bearer realm="{realm}"'
    error = "invalid_token" if len(header) == 2 else "invalid_request"
    return f'Bearer realm="{realm}", error="{error}"'


def _bearer_token(request) -> str | None:
    header = get_authorization_header(request).split()
    if not header or header[0].lower() != b"bearer":
        return None
    if len(header) != 2:
        raise exceptions.AuthenticationFailed("Invalid Authorization header: expected 'Bearer <token>'")
    try:
        return header[1].decode("ascii")
    except UnicodeDecodeError:
        raise exceptions.AuthenticationFailed("Invalid Authorization header") from None


class BearerApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <api key>` (Mobivate, Callbell)."""

    www_authenticate_realm = "api"

    def authenticate(self, request):
        token = _bearer_token(request)
        if token is None:
            return None
        return _principal_for_key(token)

    def authenticate_header(self, request) -> str:
        return bearer_challenge(request, self.www_authenticate_realm)


class HeaderApiKeyAuthentication(BaseAuthentication):
    """`x-api-key: <api key>` (Contactship)."""

    header = "HTTP_X_API_KEY"

    def authenticate(self, request):
        token = request.META.get(self.header)
        if token is None:
            return None
        return _principal_for_key(token.strip())

    def authenticate_header(self, request) -> str:
        return "ApiKey"


class AccessTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <OAuth access token>` issued by a client-credentials token endpoint (SFMC)."""

    def authenticate(self, request):
        token = _bearer_token(request)
        if token is None:
            return None
        return _authenticated(credentials.authenticate_access_token, token, "Invalid or expired access token")

    def authenticate_header(self, request) -> str:
        return bearer_challenge(request, "sfmc")


def _principal_for_key(token: str) -> tuple[ApiPrincipal, Any]:
    return _authenticated(credentials.authenticate_api_key, token, "Invalid, expired or revoked API key")


def _authenticated(check: Callable[[str], Any], token: str, refusal: str) -> tuple[ApiPrincipal, Any]:
    """DRF's `(user, auth)` for the credential `check` finds for `token`: the principal and the credential."""
    try:
        credential = check(token)
    except credentials.InvalidCredential:
        raise exceptions.AuthenticationFailed(refusal) from None
    principal = ApiPrincipal(
        organization=credential.organization, credential=credential, scopes=frozenset(credential.scopes)
    )
    return principal, credential
