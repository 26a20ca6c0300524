"""Awal's rate limits (create/update 100 a minute, list/get 200 a minute) and their response headers."""

from __future__ import annotations

import math
import time

from rest_framework.settings import api_settings

from contacts.api.throttling import CredentialRateThrottle

READ_SCOPE = "awal_read"
WRITE_SCOPE = "awal_write"


def throttle_scope_for(method: str) -> str:
    return READ_SCOPE if method in ("GET", "HEAD") else WRITE_SCOPE


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
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    if rate is None:
        return {}
    throttle = AwalRateThrottle()
    throttle.num_requests, throttle.duration = throttle.parse_rate(rate)
    return throttle.rate_limit_headers()
