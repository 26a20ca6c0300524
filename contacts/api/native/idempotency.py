"""`Idempotency-Key` on POST, PATCH and DELETE, with Stripe's semantics, so a client whose connection died can retry.

- The first request with a key runs; a success (2xx) is kept for 24 hours under the key and the credential that
  sent it. A refusal or a failure (4xx, 5xx) wrote nothing and is not kept: a retry runs again.
- The same key with the same request (method, path, query and body, the JSON compared by value) answers the kept
  answer again, with `Idempotent-Replayed: true`, and does nothing else.
- The same key with a different request is a 422; the same key while its first request is still running is a 409.

The records live in the default cache (Redis when REDIS_URL is set, which a deployment of more than one process
needs so that every process sees them). The answer is kept after the request's transaction commits; a process that
dies between the commit and the write of the record leaves the key unrecorded, and a retry runs again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api.native.problems import NativeProblem
from contacts.api.principal import ApiPrincipal
from contacts.errors import ValidationFailed

HEADER = "Idempotency-Key"
METHODS = frozenset({"POST", "PATCH", "DELETE"})
KEEP_SECONDS = 24 * 60 * 60
# How long a request may hold its key; a process that dies mid-request frees the key after this.
RUNNING_SECONDS = 120
MAX_KEY_LENGTH = 255
REPLAYED_HEADERS = ("Location",)


class KeyReused(NativeProblem):
    """The key was first used for another request."""

    status = 422
    kind = "idempotency_key_reused"


class KeyInUse(NativeProblem):
    """The key's first request has not finished."""

    status = 409
    kind = "idempotency_key_in_use"


class Replay(Exception):
    """Not an error: the way out of `initial` with the kept answer."""

    def __init__(self, response: Response) -> None:
        super().__init__("replayed")
        self.response = response


@dataclass
class Claim:
    """A request that holds its key: it runs, then `keep` records its answer (or `release` frees the key)."""

    cache_key: str
    fingerprint: str

    def keep(self, response: Response) -> None:
        if not 200 <= response.status_code < 300:
            # A refused or failed request wrote nothing: its retry may run again (and succeed once the cause is
            # gone, a tag created meanwhile), as Stripe does for requests that fail validation.
            self.release()
            return
        record = {
            "fingerprint": self.fingerprint,
            "status": response.status_code,
            "data": response.data,
            "content_type": response.content_type,
            "headers": {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)},
        }
        cache.set(self.cache_key, record, KEEP_SECONDS)

    def release(self) -> None:
        cache.delete(self.cache_key)


def begin(request: Request) -> Claim | Response | None:
    """None for a request without a key (or a method that takes none); the kept answer to replay; or the claim of
    a first request. Raises `KeyInUse` while the key's first request runs and `KeyReused` for another request."""
    key = request.headers.get(HEADER)
    if key is None or request.method not in METHODS or not isinstance(request.user, ApiPrincipal):
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ValidationFailed(HEADER, f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")
    cache_key = "v1-idempotency:" + hashlib.sha256(f"{request.user.throttle_key}\n{key}".encode()).hexdigest()
    fingerprint = _fingerprint(request)
    if cache.add(cache_key, {"fingerprint": fingerprint, "status": None}, RUNNING_SECONDS):
        return Claim(cache_key, fingerprint)
    record = cache.get(cache_key)
    if record is None:  # kept answer expired between the two calls: run as a first request
        return begin(request)
    if record["fingerprint"] != fingerprint:
        message = f"This {HEADER} was used for another request; use a new key for a new request"
        raise KeyReused(HEADER, message, "idempotency_key_reused")
    if record["status"] is None:
        message = f"A request with this {HEADER} is still running; retry when it has finished"
        raise KeyInUse(HEADER, message, "idempotency_key_in_use")
    return _replay(record)


def _fingerprint(request: Request) -> str:
    body = request._request.body
    try:
        # Compared by value: a retry that serialises the same JSON differently (spaces, key order) is the same.
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode() if body else b""
    except (ValueError, UnicodeDecodeError):
        canonical = body
    head = f"{request.method} {request.get_full_path()}\n".encode()
    return hashlib.sha256(head + canonical).hexdigest()


def _replay(record: dict[str, Any]) -> Response:
    response = Response(record["data"], status=record["status"], content_type=record["content_type"])
    for name, value in record["headers"].items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response
