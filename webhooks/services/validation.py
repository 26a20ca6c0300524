"""The checks every endpoint write shares."""

from __future__ import annotations

from typing import Any

from contacts.errors import ValidationFailed
from events.models import EventType
from webhooks.ssrf import check_url

__all__ = ["check_url", "description", "event_types"]


def event_types(value: Any) -> list[str]:
    """A list of known event type values, each once, in the order given; empty means every type."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationFailed("event_types", "event_types must be a list of event type names")
    unknown = [item for item in value if item not in EventType.values]
    if unknown:
        raise ValidationFailed(
            "event_types",
            f"Unknown event type {unknown[0]!r}; expected some of: {', '.join(EventType.values)}",
        )
    return list(dict.fromkeys(value))


def description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 200 or "\x00" in value:
        raise ValidationFailed("description", "description must be a string of at most 200 characters")
    return value.strip()
