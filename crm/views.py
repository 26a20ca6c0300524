"""The front door: a page at `/` that says what this server is and where its parts are, and `/healthz`."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connections, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_safe

from contacts.api import registry

logger = logging.getLogger("crm.health")

# Seconds a load balancer or monitor is asked to wait before it asks again after a 503.
HEALTH_RETRY_AFTER = 5
# The OpenAPI pages' URL name. Once a route with this name exists, the front page links it (see home.html).
API_DOCS_URL_NAME = "api-docs"


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


# The page needs no database, so it must not open a transaction (ATOMIC_REQUESTS) that an outage would fail.
@transaction.non_atomic_requests
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "admin_url": reverse("admin:index"),
        "health_url": reverse("healthz"),
        "api_docs_url": _url_or_none(API_DOCS_URL_NAME),
        # Every dialect the registry mounts (contacts/api/registry.py), with the URL a client points at.
        "dialects": [(dialect, request.build_absolute_uri(dialect.mount)) for dialect in registry.dialects()],
    }
    return render(request, "home.html", context)


def database_reachable() -> bool:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        # The class is enough to act on; the message may carry the database's address.
        logger.error("health check: database unreachable (%s)", type(exc).__name__)
        return False
    return True


# Its own connection use, not a request transaction: BEGIN itself fails when the database is down.
@transaction.non_atomic_requests
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    if database_reachable():
        response = JsonResponse({"status": "ok", "database": "ok"})
    else:
        response = JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
        response["Retry-After"] = str(HEALTH_RETRY_AFTER)
    # A monitor must see the state now, never a cached answer.
    response["Cache-Control"] = "no-store"
    return response
