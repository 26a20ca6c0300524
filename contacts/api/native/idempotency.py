"""`Idempotency-Key` on POST, PATCH and DELETE, with Stripe's semantics, so a client whose connection died can retry.

- The first request with a key runs; a success (2xx) is kept for 24 hours under the key and the credential that
  sent it. A refusal or a failure (4xx, 5xx) wrote nothing and is not kept: a retry runs again.
- The same key with the same request (method, path, query and body, the JSON compared by value) answers the kept
  answer again, with `Idempotent-Replayed: true`, and does nothing else.
- The same key with a different request is a 422; the same key while its first request is still running is a 409.

The records are rows of the database (contacts/models/idempotency.py), so every process sees them, and they are
written in the request's own transaction (contacts/services/idempotency.py): a request that committed has its
answer recorded, whatever happens to the process after the commit, and one that rolled back has left no record.
`manage.py purge_idempotency_keys` deletes the records past their 24 hours.
"""

from __future__ import annotations

import hashlib
import json

from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api.native.problems import NativeProblem
from contacts.api.principal import ApiPrincipal
from contacts.errors import ValidationFailed
from contacts.models.idempotency import IdempotencyRecord, IdempotencyState
from contacts.services import idempotency as records

HEADER = "Idempotency-Key"
METHODS = frozenset({"POST", "PATCH", "DELETE"})
KEEP_SECONDS = int(records.KEEP.total_seconds())
MAX_KEY_LENGTH = 255
REPLAYED_HEADERS = ("Location",)
REUSED = f"This {HEADER} was used for another request; use a new key for a new request"
IN_USE = f"A request with this {HEADER} is still running; retry when it has finished"


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


class Claim:
    """A first request, holding its key's `in_progress` record: its answer is kept by `keep`, which runs as the
    view's handler returns, inside the request's transaction (see `begin`)."""

    def __init__(self, record: IdempotencyRecord) -> None:
        self.record = record
        self.settled = False

    def keep(self, response: Response) -> None:
        """Records a success and frees the key of anything else; once only. Called again once the transaction is
        over (NativeAPIView.finalize_response) it has nothing left to do: a handler that raised was rolled back
        with the record it had claimed."""
        if self.settled:
            return
        self.settled = True
        if not 200 <= response.status_code < 300:
            # A refused request wrote nothing: its retry may run again (and succeed once the cause is gone, a tag
            # created meanwhile), as Stripe does for requests that fail validation.
            records.release(self.record)
            return
        headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
        records.finish(self.record, response.status_code, response.data, headers)


def begin(request: Request) -> Claim | Response | None:
    """None for a request without a key (or a method that takes none); the kept answer to replay; or the claim of
    a first request. Raises `KeyInUse` while the key's first request runs and `KeyReused` for another request.

    Called at the end of the view's `initial`, inside the request's transaction; the handler that runs next is
    wrapped so that its answer is kept before that transaction commits."""
    key = request.headers.get(HEADER)
    if key is None or request.method not in METHODS or not isinstance(request.user, ApiPrincipal):
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ValidationFailed(HEADER, f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")
    principal = request.user
    fingerprint = _fingerprint(request)
    try:
        found = records.claim(principal.organization, principal.throttle_key, key, fingerprint)
    except records.KeyBusy:
        raise KeyInUse(HEADER, IN_USE, "idempotency_key_in_use") from None
    record = found.record
    if not found.created:
        if record.fingerprint != fingerprint:
            raise KeyReused(HEADER, REUSED, "idempotency_key_reused")
        if record.state == IdempotencyState.IN_PROGRESS:  # its first request runs in this very connection
            raise KeyInUse(HEADER, IN_USE, "idempotency_key_in_use")
        return _replay(record)
    return Claim(record)


def _fingerprint(request: Request) -> str:
    body = request._request.body
    try:
        # Compared by value: a retry that serialises the same JSON differently (spaces, key order) is the same.
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode() if body else b""
    except (ValueError, UnicodeDecodeError):
        canonical = body
    head = f"{request.method} {request.get_full_path()}\n".encode()
    return hashlib.sha256(head + canonical).hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.status_code)
    for name, value in record.response_headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response
