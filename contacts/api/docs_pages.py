"""The Redoc page of `/api/docs/redoc/`, served offline."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.html import escape
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView
from rest_framework.request import Request

_REDOC_PAGE = """<!DOCTYPE html>
<html>
  <head>
    <title>{title}</title>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
  </head>
  <body>
    <redoc spec-url="{schema_url}"></redoc>
    <script src="{script}"></script>
  </body>
</html>
"""


class OfflineRedocView(SpectacularRedocView):
    """Redoc from the sidecar's bundle with nothing fetched from another host (drf-spectacular's own page
    preconnects to Google Fonts) and no inline script."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        page = _REDOC_PAGE.format(
            title=escape(self.title or "API"),
            schema_url=escape(self._get_schema_url(request)),
            script=escape(self._redoc_standalone()),
        )
        return HttpResponse(page, content_type="text/html; charset=utf-8")
