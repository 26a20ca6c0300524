"""Per-credential request rates as an atomic fixed-window counter in the default cache (Redis when REDIS_URL is
set), so limits hold across threads, processes and hosts.

A credential's window opens with its first request and lasts the rate's period; every request in it increments one
counter with the cache's atomic `incr` (Redis INCR; LocMemCache under its lock), and the requests numbered above the
limit are refused until the window ends. A read-modify-write of a request history (DRF's SimpleRateThrottle) lets
concurrent requests read the same history and all pass; a counter cannot.
"""

from __future__ import annotations

from django.core.cache import cache as default_cache
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from contacts.api import registry
from contacts.api.principal import ApiPrincipal

# Each retry follows a key expiring between two cache calls, which needs a window boundary in between; a few are
# plenty, and running out counts the request as over the limit rather than letting it through uncounted.
_ATTEMPTS = 5


class CredentialRateThrottle(ScopedRateThrottle):
    """Rate per credential for the view's `throttle_scope` (rates in REST_FRAMEWORK's DEFAULT_THROTTLE_RATES).

    After `allow_request` has counted the request, `counted` is true and `limit`, `remaining` and `window_end`
    describe the credential's window."""

    cache = default_cache
    counted = False

    def get_rate(self):
        return rate_for(self.scope)

    def allow_request(self, request, view) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request, view)
        self.now = self.timer()
        self.count, self.window_start = self.hit(self.key)
        self.counted = True
        return self.count <= self.num_requests

    def hit(self, key: str) -> tuple[int, float]:
        """Count one request under `key`: (its number in the current window, the window's start)."""
        for _ in range(_ATTEMPTS):
            start = self.cache.get(key)
            if start is None:
                # The window's start is its identity: the counter key carries it, so a request that read an old
                # start never adds to the next window's count. Taken right before the add, so the window end it
                # implies (and Retry-After) is within one round trip of the key's expiry.
                start = self.timer()
                if not self.cache.add(key, start, self.duration):
                    continue  # another request opened the window first; use its start
            counter = f"{key}:{start!r}"
            try:
                count = self.cache.incr(counter)
            except ValueError:
                # No counter yet (first request of the window), or it expired since the window was read.
                self.cache.add(counter, 0, 2 * self.duration)
                try:
                    count = self.cache.incr(counter)
                except ValueError:
                    continue
            if count == 1:
                # RedisCache.incr checks EXISTS before INCR; if the key expired in between, INCR made a key without
                # expiry. Setting it again on the window's first count keeps every counter expiring.
                self.cache.touch(counter, 2 * self.duration)
            return count, start
        return self.num_requests + 1, self.now

    def wait(self) -> float:
        """Seconds until the window ends and the credential's full budget is back."""
        return max(0.0, self.window_end - self.timer())

    def get_cache_key(self, request, view) -> str:
        user = request.user
        ident = user.throttle_key if isinstance(user, ApiPrincipal) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    @property
    def window_end(self) -> float:
        return self.window_start + self.duration

    @property
    def limit(self) -> int:
        return self.num_requests

    @property
    def remaining(self) -> int:
        return max(0, self.num_requests - self.count)


def rate_for(scope: str) -> str | None:
    """The rate of `scope`: the settings' (where `THROTTLE_<SCOPE>` lands), else the dialect's declared default.
    Read at call time (not class creation) so settings overrides apply."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    return rate if rate is not None else registry.declared_rate(scope)
