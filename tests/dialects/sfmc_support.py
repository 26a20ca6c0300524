"""Assertions shared by the SFMC dialect's test modules."""

from __future__ import annotations


def assert_sfmc_rate_limited(response) -> None:
    """SFMC's 429: its error body with the seconds to wait, repeated in Retry-After."""
    assert response.status_code == 429
    body = response.json()
    retry_after = body["retryAfter"]
    assert body == {
        "message": "Rate limit exceeded",
        "errorcode": 50100,
        "retryAfter": retry_after,
        "documentation": "",
    }
    assert isinstance(retry_after, int)
    assert 1 <= retry_after <= 60
    assert response["Retry-After"] == str(retry_after)
