"""The base every dialect view derives from: one error renderer per dialect, scopes per method, throttling."""

from __future__ import annotations

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


class DialectAPIView(APIView):
    """Subclasses set `authentication_classes`, `throttle_scope`, `required_scopes` and `render_error`."""

    permission_classes = [HasRequiredScope]
    throttle_classes = [CredentialRateThrottle]
    throttle_scope: str | None = None
    required_scopes: dict[str, str] = {}

    @property
    def organization(self):
        return self.request.user.organization

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
