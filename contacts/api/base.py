"""The base every dialect view derives from: one error renderer per dialect, scopes per method, throttling."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from contacts.api.errors import ApiError, describe_exception
from contacts.api.principal import ApiPrincipal
from contacts.api.throttling import CredentialRateThrottle
from contacts.errors import PermissionDenied


class HasRequiredScope(BasePermission):
    """Requires an authenticated principal holding `view.required_scopes[request.method]`."""

    def has_permission(self, request: Request, view: DialectAPIView) -> bool:
        if not isinstance(request.user, ApiPrincipal):
            return False
        scope = view.required_scopes.get(request.method)
        if scope and not request.user.has_scope(scope):
            raise PermissionDenied(scope)
        return True


class GuardedParser:
    """Wraps a DRF parser so pathological input is a 400, not a 500 (deep nesting raises RecursionError)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.media_type = inner.media_type

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return self.inner.parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("The request body is nested too deeply") from None


class DialectAPIView(APIView):
    """Subclasses set `authentication_classes`, `throttle_scope`, `required_scopes` and `render_error`."""

    permission_classes = [HasRequiredScope]
    throttle_classes = [CredentialRateThrottle]
    throttle_scope: str | None = None
    required_scopes: dict[str, str] = {}

    @property
    def organization(self):
        return self.request.user.organization

    def get_parsers(self):
        return [GuardedParser(parser) for parser in super().get_parsers()]

    def initial(self, request: Request, *args, **kwargs) -> None:
        # DRF reads the body stream itself, which skips Django's DATA_UPLOAD_MAX_MEMORY_SIZE check; the
        # declared length is what Django's stream will read, so refusing on it is enough.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            raise RequestDataTooBig("The request body is too large")
        super().initial(request, *args, **kwargs)

    def render_error(self, error: ApiError) -> Response:
        raise NotImplementedError

    def get_exception_handler(self):
        return self.handle_dialect_exception

    def handle_dialect_exception(self, exc: BaseException, context: dict) -> Response:
        error = describe_exception(exc)
        response = self.render_error(error)
        if error.retry_after is not None:
            response["Retry-After"] = str(error.retry_after)
        if error.auth_header and error.status == 401:
            response["WWW-Authenticate"] = error.auth_header
        # Nothing a failed request did may stay written (ATOMIC_REQUESTS wraps every request).
        set_rollback()
        return response
