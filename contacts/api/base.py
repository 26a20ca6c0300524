"""The base every dialect view derives from: one error renderer per dialect, scopes per method, throttling.

What a dialect declares once in the registry (`contacts/api/registry.py`: authentication, throttle scope, error
renderer) is the default of every view in its package; a view sets the attribute itself only to differ."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contacts.api import registry
from contacts.api.errors import ApiError, DialectError, describe_exception
from contacts.api.principal import ApiPrincipal
from contacts.api.storable_text import require_short_query, require_storable
from contacts.api.throttling import CredentialRateThrottle
from contacts.errors import PermissionDenied
from contacts.services.uncommitted_files import removing_uncommitted_files
from events.context import event_context, set_actor, set_surface
from events.models import Surface


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
    """Wraps a DRF parser so pathological input is a 400, not a 500: deep nesting (RecursionError), and text no
    database can store (NUL, unpaired surrogates)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.media_type = inner.media_type

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            parsed = self.inner.parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("The request body is nested too deeply") from None
        # Every dialect's body passes here, so this one check keeps unstorable text out of every field.
        if isinstance(parsed, DataAndFiles):
            require_storable(parsed.data)
            require_storable(parsed.files)
        else:
            require_storable(parsed)
        return parsed


class DialectAPIView(APIView):
    """Subclasses set `required_scopes`; `authentication_classes`, `throttle_scope` and `render_error` come from
    the view's dialect (the registry entry of the package it is defined in, or the one `dialect_name` names)."""

    permission_classes = [HasRequiredScope]
    throttle_classes = [CredentialRateThrottle]
    # None: the dialect's (see get_authenticators).
    authentication_classes: list | None = None
    required_scopes: dict[str, str] = {}
    # Set only by views defined outside their dialect's package (the shared catch-all, a test's dialect).
    dialect_name: str | None = None

    @classmethod
    def dialect(cls) -> registry.Dialect | None:
        if cls.dialect_name:
            return registry.get(cls.dialect_name)
        return registry.for_module(cls.__module__)

    @property
    def throttle_scope(self) -> str | None:
        dialect = self.dialect()
        return dialect.throttle_scope_for(self.request.method) if dialect else None

    @property
    def organization(self):
        return self.request.user.organization

    def get_authenticators(self) -> list:
        classes = self.authentication_classes
        if classes is None:
            dialect = self.dialect()
            classes = dialect.authentication_classes if dialect else []
        return [authentication() for authentication in classes]

    @classmethod
    def as_view(cls, **initkwargs):
        # The view runs its own transaction (see `dispatch`) instead of ATOMIC_REQUESTS', so that a failure at
        # BEGIN or COMMIT is still answered by the dialect rather than by Django's HTML error page.
        return transaction.non_atomic_requests(super().as_view(**initkwargs))

    def dispatch(self, request, *args, **kwargs):
        """DRF's dispatch, with the request's transaction inside it: nothing a failed request did stays written,
        and an error raised when the transaction begins (database down) or commits (deferred constraint, lost
        connection) goes through the same exception handler as any other."""
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            # The view's own event context: what `initial` names (surface, caller) ends with the request even
            # when no middleware wraps it (a view called directly), so it never reaches later work in the thread.
            with event_context(), removing_uncommitted_files(), transaction.atomic():
                response = self._handle(request, *args, **kwargs)
        except Exception as exc:  # every failure is answered in the dialect's body
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def _handle(self, request: Request, *args, **kwargs) -> Response:
        try:
            self.initial(request, *args, **kwargs)
            method = request.method.lower()
            handler = getattr(self, method, None) if method in self.http_method_names else None
            return (handler or self.http_method_not_allowed)(request, *args, **kwargs)
        except Exception as exc:  # as DRF's own dispatch does
            return self.handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Contacts are personal data: no browser or shared cache may keep a copy of any answer.
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response

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
        dialect = self.dialect()
        set_surface(dialect.name if dialect else Surface.NATIVE)
        set_actor(request.user)
        # The body is checked as it is parsed (GuardedParser); path and query are checked here.
        require_storable(kwargs)
        require_storable(request.query_params)
        require_short_query(request.query_params)

    def render_error(self, error: ApiError) -> Response:
        dialect = self.dialect()
        if dialect is None:
            raise NotImplementedError(f"{type(self).__name__} belongs to no dialect: set render_error")
        return dialect.render_error(error, self)

    def get_exception_handler(self):
        return self.handle_dialect_exception

    def handle_dialect_exception(self, exc: BaseException, context: dict) -> Response:
        """Every failure's answer: a `DialectError` renders itself; anything else is described neutrally and
        rendered by the dialect. The rollback is `handle_exception`'s, whatever answered."""
        if isinstance(exc, DialectError):
            return exc.response(self)
        error = describe_exception(exc)
        response = self.render_error(error)
        if error.retry_after is not None:
            response["Retry-After"] = str(error.retry_after)
        if error.auth_header and error.status == 401:
            response["WWW-Authenticate"] = error.auth_header
        return response

    def handle_exception(self, exc: BaseException) -> Response:
        response = super().handle_exception(exc)
        # Nothing a failed request did may stay written, whichever dialect handler rendered the error. Outside the
        # request's transaction (BEGIN or COMMIT itself failed) there is nothing left to roll back.
        connection = transaction.get_connection()
        if connection.in_atomic_block:
            connection.set_rollback(True)
        return response
