"""Awal's HMAC request signing.

The client sends `X-Awal-Signature-256: sha256=<hex>`, the hex HMAC-SHA256, keyed by its shared secret, of
METHOD + PATH + QUERY_STRING + TIMESTAMP + BODY with no separators (QUERY_STRING with its leading `?`, empty
when there is none; BODY the raw bytes as sent, multipart included). See docs/dialects/awal.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import time

from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from contacts.api.dialects.awal.errors import CHALLENGE, AwalError, authentication_failed
from contacts.api.principal import ApiPrincipal
from contacts.models import HmacClient
from contacts.services import credentials

SIGNATURE_HEADER = "X-Awal-Signature-256"
REQUIRED_HEADERS = (SIGNATURE_HEADER, "X-Timestamp", "X-Domain", "X-Client-ID")
MAX_CLOCK_SKEW_SECONDS = 300
# A signature stays valid for MAX_CLOCK_SKEW_SECONDS either side of its timestamp, so remembering it for
# twice that covers its whole life.
REPLAY_WINDOW_SECONDS = 2 * MAX_CLOCK_SKEW_SECONDS
# Only these methods may be repeated with the same signature: a signature on any other request is accepted once
# (docs/dialects/awal.md, "Choices where the contract is silent").
REPEATABLE_METHODS = frozenset({"GET", "HEAD"})

_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
# Unknown client ids still cost one HMAC, so response time does not tell which ids exist.
_UNKNOWN_CLIENT_SECRET = "unknown-client"  # noqa: S105 - not a credential


def signing_message(method: str, path: str, query_string: str, timestamp: str, body: bytes) -> bytes:
    query = f"?{query_string}" if query_string else ""
    return f"{method.upper()}{path}{query}{timestamp}".encode() + body


def sign(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _header(request: HttpRequest, name: str) -> str:
    return request.headers.get(name, "").strip()


class AwalSignatureAuthentication(BaseAuthentication):
    """Authenticates a request by its HMAC signature and returns `(ApiPrincipal, HmacClient)`."""

    def authenticate(self, request: Request) -> tuple[ApiPrincipal, HmacClient]:
        django_request = request._request
        headers = {name: _header(django_request, name) for name in REQUIRED_HEADERS}
        missing = [name for name, value in headers.items() if not value]
        if missing:
            raise AwalError(
                400,
                "missing_headers",
                f"Missing required header{'s' if len(missing) > 1 else ''}: {', '.join(missing)}",
                {name: "This header is required" for name in missing},
            )
        if not _TIMESTAMP.fullmatch(headers["X-Timestamp"]):
            raise authentication_failed("X-Timestamp must be a Unix time in whole seconds")
        signature = _SIGNATURE.fullmatch(headers[SIGNATURE_HEADER])
        if signature is None:
            raise authentication_failed(f"{SIGNATURE_HEADER} must be sha256= followed by 64 hexadecimal digits")
        if abs(time.time() - int(headers["X-Timestamp"])) > MAX_CLOCK_SKEW_SECONDS:
            raise authentication_failed(
                f"X-Timestamp is more than {MAX_CLOCK_SKEW_SECONDS} seconds away from the server clock"
            )

        client, secret = None, _UNKNOWN_CLIENT_SECRET
        # PostgreSQL refuses NUL in a query parameter; no client id contains one anyway.
        if "\x00" not in headers["X-Client-ID"]:
            with contextlib.suppress(credentials.InvalidCredential):
                client, secret = credentials.get_hmac_client(headers["X-Client-ID"])
        # Reads the whole body before DRF parses it; Django keeps a copy for the multipart parser and
        # raises RequestDataTooBig (a 413) above DATA_UPLOAD_MAX_MEMORY_SIZE.
        message = signing_message(
            django_request.method,
            django_request.path,
            django_request.META.get("QUERY_STRING", ""),
            headers["X-Timestamp"],
            django_request.body,
        )
        given = signature.group(1).lower()
        if not hmac.compare_digest(sign(secret, message), given) or client is None:
            raise authentication_failed("The signature does not match the request, or the client ID is unknown")
        if headers["X-Domain"] != client.organization.slug:
            raise authentication_failed("X-Domain does not match the workspace of this client")
        if django_request.method not in REPEATABLE_METHODS and not cache.add(
            f"awal:signature:{client.pk}:{given}", 1, timeout=REPLAY_WINDOW_SECONDS
        ):
            raise authentication_failed("This signature has already been used; sign every request afresh")

        credentials.touch(client)
        principal = ApiPrincipal(organization=client.organization, credential=client, scopes=frozenset(client.scopes))
        return principal, client

    def authenticate_header(self, request: Request) -> str:
        return CHALLENGE
