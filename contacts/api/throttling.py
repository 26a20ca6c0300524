"""Per-credential request rates. The counters live in the default cache (Redis when REDIS_URL is set),
so limits hold across processes and hosts."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from contacts.api.principal import ApiPrincipal


class CredentialRateThrottle(ScopedRateThrottle):
    """Rate per credential for the view's `throttle_scope` (rates in REST_FRAMEWORK's DEFAULT_THROTTLE_RATES)."""

    def get_rate(self):
        # Read at call time (not class creation) so settings overrides apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super(ScopedRateThrottle, self).allow_request(request, view)

    def get_cache_key(self, request, view):
        user = request.user
        ident = user.throttle_key if isinstance(user, ApiPrincipal) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    @property
    def limit(self) -> int:
        return self.num_requests

    @property
    def remaining(self) -> int:
        return max(0, self.num_requests - len(self.history))
