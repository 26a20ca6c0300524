"""One HTTP POST to a webhook endpoint, to the address `ssrf.resolve` checked.

The connection goes to that IP while the Host header and the TLS server name (and the certificate check) keep the
URL's host name. Redirects are not followed: a 3xx is a failed attempt, as it could point anywhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3
from django.conf import settings

from webhooks.ssrf import Target

EXCERPT_BYTES = 1024
USER_AGENT = "ContactsCRM-Webhooks/1.0"


@dataclass
class Outcome:
    status_code: int | None
    excerpt: str
    latency_ms: int
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _pool(target: Target, timeout: urllib3.Timeout) -> urllib3.HTTPConnectionPool:
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
        )
    return urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, retries=False, maxsize=1)


def post(target: Target, body: str, headers: dict[str, str]) -> Outcome:
    default_port = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    host_header = host if target.port == default_port else f"{host}:{target.port}"
    all_headers = {
        "Host": host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **headers,
    }
    timeout = urllib3.Timeout(total=settings.WEBHOOK_TIMEOUT_SECONDS)
    pool = _pool(target, timeout)
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body.encode(),
            headers=all_headers,
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            excerpt = response.read(EXCERPT_BYTES).decode("utf-8", errors="replace")
        finally:
            response.release_conn()
        return Outcome(response.status, excerpt, _since(started))
    except urllib3.exceptions.HTTPError as exc:
        return Outcome(None, "", _since(started), _describe(exc))
    except OSError as exc:
        return Outcome(None, "", _since(started), f"connection failed: {exc}"[:500])
    finally:
        pool.close()


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _describe(exc: Exception) -> str:
    if isinstance(exc, (urllib3.exceptions.TimeoutError, urllib3.exceptions.ReadTimeoutError)):
        return f"timed out after {settings.WEBHOOK_TIMEOUT_SECONDS:g} s"
    reason = getattr(exc, "reason", None) or exc
    return f"{type(exc).__name__}: {reason}"[:500]
