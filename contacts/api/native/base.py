"""The base of every native API view: API keys as Bearer tokens, scopes per method, per-credential rate limits
with `RateLimit-*` headers, problem details for every error, and the shared request guards of `DialectAPIView`
(its own transaction, unstorable text, body size)."""

from __future__ import annotations

import math
from typing import Any

from django.db import transaction
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api.auth import BearerApiKeyAuthentication
from contacts.api.errors import ApiError
from contacts.api.json_only import JsonOnlyAPIView
from contacts.api.native import idempotency
from contacts.api.native.problems import exception_response, problem_response
from contacts.api.throttling import CredentialRateThrottle
from contacts.errors import ValidationFailed

THROTTLE_SCOPE = "v1"  # its rate: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["v1"] (THROTTLE_V1, 600/min)


class NativeAPIView(JsonOnlyAPIView):
    authentication_classes = [BearerApiKeyAuthentication]
    throttle_classes = [CredentialRateThrottle]
    throttle_scope = THROTTLE_SCOPE

    @property
    def actor(self) -> Any:
        return self.request.user

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # After authentication (a key is the credential's own) and the permission check, before any work.
        outcome = idempotency.begin(request)
        if isinstance(outcome, Response):
            raise idempotency.Replay(outcome)
        self._claim = outcome

    def _handle(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super()._handle(request, *args, **kwargs)
        # Still inside the request's transaction: a kept answer commits with the writes it describes, or not at all.
        # A failed request is rolled back whole, its claim with it.
        claim = getattr(self, "_claim", None)
        if claim is not None and not transaction.get_rollback():
            claim.keep(response)
        return response

    def get_throttles(self):
        # Kept so that `finalize_response` can report the window the request was counted in.
        self._throttles = super().get_throttles()
        return self._throttles

    def render_error(self, error: ApiError) -> Response:
        return problem_response(error)

    def handle_dialect_exception(self, exc: BaseException, context: dict) -> Response:
        if isinstance(exc, idempotency.Replay):
            return exc.response
        return exception_response(exc)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        for throttle in getattr(self, "_throttles", []):
            if throttle.counted:
                # draft-ietf-httpapi-ratelimit-headers: the limit, what is left of it, and seconds until it resets.
                response["RateLimit-Limit"] = str(throttle.limit)
                response["RateLimit-Remaining"] = str(throttle.remaining)
                response["RateLimit-Reset"] = str(math.ceil(throttle.wait()))
                response["RateLimit-Policy"] = f"{throttle.limit};w={int(throttle.duration)}"
        return response

    def json_object(self) -> dict[str, Any]:
        data = self.request.data
        if not isinstance(data, dict):
            raise ValidationFailed(None, "The request body must be a JSON object")
        return data


class NativeNotFoundView(NativeAPIView):
    """Any other path under /api/v1/: a 404 problem, before authentication (the routes are public)."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound("Not found")
