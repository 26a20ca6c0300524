"""How Mobivate requests are read and answered: JSON in, JSON out."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.utils import json


class MobivateJSONParser(JSONParser):
    """DRF's JSON parser with a body size cap and no 500 on pathological input.

    DRF reads the request stream directly, bypassing Django's DATA_UPLOAD_MAX_MEMORY_SIZE check, so the cap is
    applied here; deeply nested JSON raises RecursionError, which DRF would let through as a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestDataTooBig("The request body is too large")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(raw.decode(encoding), parse_constant=json.strict_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class MobivateJSONNegotiation(DefaultContentNegotiation):
    """Always answer JSON: Mobivate clients send `Accept: application/json`, but one that sends something else
    (a browser, `*/*` variants) gets JSON rather than a 406 in a shape Mobivate never documents."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type
