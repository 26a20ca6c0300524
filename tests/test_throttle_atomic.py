"""Rate limits hold under concurrency: simultaneous requests against one credential's limit let exactly the limit
through, on Redis (the production cache) and on the in-process cache, and every dialect still answers 429 its way."""

from __future__ import annotations

import math
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from types import SimpleNamespace

import pytest
import redis
import requests
from rest_framework.test import APIClient

from contacts.api.principal import ApiPrincipal
from contacts.api.throttling import CredentialRateThrottle
from contacts.models import Contact
from tests.dialects.base import Awal
from tests.factories import make_api_key

# A database of its own: nothing here flushes it, and every key carries the test's own prefix.
REDIS_URL = "redis://127.0.0.1:6379/12"
THREADS = 40
LIMIT = 5
BURSTS = 12


def _redis_or_skip() -> redis.Redis:
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return connection


def _use_cache(settings, backend: dict) -> None:
    # The fixtures put the original cache back before conftest's teardown runs cache.clear(), which on Redis would
    # flush the whole database.
    settings.CACHES = {"default": backend}


@pytest.fixture
def redis_cache(settings):
    """The default cache on a real Redis, under a prefix unique to this test; its keys are deleted afterwards."""
    connection = _redis_or_skip()
    original = settings.CACHES
    prefix = f"throttle-test-{uuid.uuid4().hex}"
    _use_cache(
        settings,
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix},
    )
    yield SimpleNamespace(connection=connection, prefix=prefix)
    settings.CACHES = original
    keys = list(connection.scan_iter(match=f"{prefix}:*"))
    if keys:
        connection.delete(*keys)
    connection.close()


@pytest.fixture
def locmem_cache(settings):
    original = settings.CACHES
    _use_cache(
        settings,
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"throttle-{uuid.uuid4().hex}"},
    )
    yield
    settings.CACHES = original


def _set_rate(settings, scope: str, rate: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], scope: rate},
    }


class Credential:
    def __init__(self, pk: int) -> None:
        self.pk = pk


def _request(credential_pk: int) -> SimpleNamespace:
    return SimpleNamespace(user=ApiPrincipal(organization=None, credential=Credential(credential_pk)), META={})


VIEW = SimpleNamespace(throttle_scope="burst")


def _check(barrier: threading.Barrier, request: SimpleNamespace, _: int) -> tuple[bool, float | None]:
    throttle = CredentialRateThrottle()
    barrier.wait(timeout=30)
    allowed = throttle.allow_request(request, VIEW)
    return allowed, None if allowed else throttle.wait()


def _bursts(pool: ThreadPoolExecutor, bursts: int) -> list[tuple[int, int, list[float]]]:
    """Fire THREADS throttle checks at once per burst, each burst for a fresh credential: (allowed, refused, waits)."""
    results = []
    for burst in range(bursts):
        check = partial(_check, threading.Barrier(THREADS), _request(credential_pk=1000 + burst))
        outcomes = list(pool.map(check, range(THREADS)))
        allowed = sum(1 for ok, _ in outcomes if ok)
        results.append((allowed, THREADS - allowed, [wait for ok, wait in outcomes if not ok]))
    return results


def test_forty_simultaneous_requests_on_redis_let_exactly_the_limit_through(redis_cache, settings):
    _set_rate(settings, "burst", f"{LIMIT}/min")

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = _bursts(pool, BURSTS)

    assert [(allowed, refused) for allowed, refused, _ in results] == [(5, 35)] * BURSTS
    for _, _, waits in results:
        # Retry-After is the rest of the one-minute window the burst opened.
        assert all(55 < wait <= 60 for wait in waits), waits
    # Every key the counters wrote expires (none was left without a TTL by a race).
    keys = list(redis_cache.connection.scan_iter(match=f"{redis_cache.prefix}:*"))
    assert len(keys) == 2 * BURSTS  # one window start and one counter per credential
    assert all(0 < redis_cache.connection.ttl(key) <= 120 for key in keys)


def test_forty_simultaneous_requests_in_process_let_exactly_the_limit_through(locmem_cache, settings):
    _set_rate(settings, "burst", f"{LIMIT}/min")

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = _bursts(pool, BURSTS)

    assert [(allowed, refused) for allowed, refused, _ in results] == [(5, 35)] * BURSTS


@pytest.mark.parametrize("cache_fixture", ["redis_cache", "locmem_cache"])
def test_the_whole_budget_is_back_when_the_window_ends(cache_fixture, request, settings):
    request.getfixturevalue(cache_fixture)
    _set_rate(settings, "burst", "2/s")
    caller = _request(credential_pk=7)

    first = CredentialRateThrottle()
    assert first.allow_request(caller, VIEW) is True
    assert CredentialRateThrottle().allow_request(caller, VIEW) is True
    refused = CredentialRateThrottle()
    assert refused.allow_request(caller, VIEW) is False
    assert (refused.limit, refused.remaining) == (2, 0)
    assert refused.window_end == first.window_end

    # A little past the window's end: Redis expires the window's key a moment after the start it records.
    time.sleep(refused.wait() + 0.5)

    later = CredentialRateThrottle()
    assert later.allow_request(caller, VIEW) is True
    assert (later.limit, later.remaining) == (2, 1)
    assert later.window_end > first.window_end


def test_each_credential_and_scope_has_its_own_counter(locmem_cache, settings):
    _set_rate(settings, "burst", "1/min")
    _set_rate(settings, "other", "1/min")

    assert CredentialRateThrottle().allow_request(_request(1), VIEW) is True
    assert CredentialRateThrottle().allow_request(_request(1), VIEW) is False
    assert CredentialRateThrottle().allow_request(_request(2), VIEW) is True
    assert CredentialRateThrottle().allow_request(_request(1), SimpleNamespace(throttle_scope="other")) is True


class ExpiringCounterCache:
    """The real cache, except that the window's counter expires right before the first `incr` reaches it: the race
    between a key's expiry and the increment that follows."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.expired = False

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def incr(self, key, delta=1):
        if not self.expired and self.inner.get(key) is not None:
            self.expired = True
            self.inner.delete(key)
        return self.inner.incr(key, delta)


def test_a_counter_expiring_before_its_increment_is_recreated_and_counts_once(locmem_cache, settings):
    from django.core.cache import cache

    _set_rate(settings, "burst", "2/min")
    caller = _request(credential_pk=9)
    assert CredentialRateThrottle().allow_request(caller, VIEW) is True

    racing = CredentialRateThrottle()
    racing.cache = ExpiringCounterCache(cache)
    assert racing.allow_request(caller, VIEW) is True
    assert racing.cache.expired is True
    # The recreated counter started again from nothing and holds exactly this request.
    assert (racing.count, racing.remaining) == (1, 1)
    assert CredentialRateThrottle().allow_request(caller, VIEW) is True
    assert CredentialRateThrottle().allow_request(caller, VIEW) is False


# End to end through the dialect views, on Redis.


@pytest.mark.django_db
def test_awal_429_on_redis_has_the_documented_body_and_headers(redis_cache, organization, settings):
    _set_rate(settings, "awal_write", "2/min")
    awal = Awal.authenticate(APIClient(), organization)
    opened = time.time()

    first = awal.create({"name": "A", "phone": "966501234561"})
    second = awal.create({"name": "B", "phone": "966501234562"})
    third = awal.create({"name": "C", "phone": "966501234563"})

    assert (first.status_code, second.status_code, third.status_code) == (201, 201, 429)
    assert [r["X-RateLimit-Remaining"] for r in (first, second, third)] == ["1", "0", "0"]
    assert third.json() == {"error": "Rate limit exceeded", "message": "Too many requests. Retry in 60 seconds."}
    assert third["Retry-After"] == "60"
    assert third["X-RateLimit-Limit"] == "2"
    # Reset is the end of the window the first request opened, the same on every response in it.
    assert {r["X-RateLimit-Reset"] for r in (first, second, third)} == {third["X-RateLimit-Reset"]}
    assert math.ceil(opened + 60) <= int(third["X-RateLimit-Reset"]) <= math.ceil(opened + 62)
    assert Contact.objects.count() == 2


def _fetch(barrier: threading.Barrier, url: str, secret: str, _: int) -> requests.Response:
    barrier.wait(timeout=30)
    return requests.get(url, headers={"Authorization": f"Bearer {secret}"}, timeout=60)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_forty_simultaneous_http_requests_let_exactly_the_limit_through(
    redis_cache, live_server, organization, settings
):
    _set_rate(settings, "mobivate", f"{LIMIT}/min")
    url = f"{live_server.url}/mobivate/addressbook/contacts"

    for _ in range(2):
        _, secret = make_api_key(organization)
        fetch = partial(_fetch, threading.Barrier(THREADS), url, secret)
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            responses = list(pool.map(fetch, range(THREADS)))

        assert sorted(r.status_code for r in responses) == [200] * LIMIT + [429] * (THREADS - LIMIT)
        for response in responses:
            if response.status_code == 429:
                retry_after = response.headers["Retry-After"]
                assert retry_after in ("59", "60")
                assert response.json() == {
                    "success": False,
                    "error": {
                        "name": "TooManyRequestsError",
                        "statusCode": 429,
                        "message": f"Too many requests, retry after {retry_after} seconds",
                    },
                }
