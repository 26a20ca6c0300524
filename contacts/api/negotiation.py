"""Content negotiation for dialects whose vendors only speak JSON."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation


class AlwaysJSONNegotiation(DefaultContentNegotiation):
    """Answer with the view's first renderer (JSON) whatever `Accept` says: a vendor that documents no 406 gets
    clients (browsers, `*/*` variants) that expect JSON back, not an error in a shape it never documented."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type
