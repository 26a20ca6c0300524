"""The base of the views that speak JSON and nothing else (Mobivate's and the native API)."""

from __future__ import annotations

from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer

from contacts.api.base import DialectAPIView


class JsonOnlyAPIView(DialectAPIView):
    """JSON bodies in and out, and no OPTIONS: it would describe the view from its docstrings, which neither API
    documents, so it is a 405 like any method a resource does not have."""

    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    metadata_class = None

    @property
    def allowed_methods(self) -> list[str]:
        # The Allow header of a 405 lists only what would succeed.
        return [method for method in super().allowed_methods if method != "OPTIONS"]
