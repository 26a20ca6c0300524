"""Awal's rate limits (create/update 100 a minute, list/get 200 a minute) and their response headers."""

from __future__ import annotations

import math
import time

from contacts.api.dialects import awal
from contacts.api.throttling import CredentialRateThrottle, rate_for


def throttle_scope_for(method: str) -> str:
    """`awal_read` for GET and HEAD, `awal_write` for the rest (the registry entry's two scopes)."""
    return awal.DIALECT.throttle_scope_for(method)


class AwalRateThrottle(CredentialRateThrottle):
    """The per-credential window, which also reports its state as Awal's X-RateLimit-* headers."""

    def rate_limit_headers(self) -> dict[str, str]:
        if self.counted:
            remaining, reset = self.remaining, self.window_end
        else:
            # Nothing counted yet: the whole budget, and no window to wait for.
            remaining, reset = self.num_requests, time.time()
        return {
            "X-RateLimit-Limit": str(self.num_requests),
            "X-RateLimit-Remaining": str(remaining),
            # When the window ends and the whole budget is back.
            "X-RateLimit-Reset": str(math.ceil(reset)),
        }


def uncounted_rate_limit_headers(scope: str) -> dict[str, str]:
    """Headers for a response that never reached the per-credential counter (failed authentication,
    unknown path): the endpoint's limit, with nothing used."""
    rate = rate_for(scope)
    if rate is None:
        return {}
    throttle = AwalRateThrottle()
    throttle.num_requests, throttle.duration = throttle.parse_rate(rate)
    return throttle.rate_limit_headers()
