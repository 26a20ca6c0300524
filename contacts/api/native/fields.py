"""Input fields that take JSON types as they are: a number is not a string here, nor "true" a boolean."""

from __future__ import annotations

import uuid
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be an integer."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class UUIDStringField(StrictCharField):
    default_error_messages = {"invalid": "Must be a UUID string."}

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        try:
            return str(uuid.UUID(text))
        except ValueError:
            self.fail("invalid")


class GroupReferenceField(serializers.Field):
    """A group's id (an integer) or its name (a string)."""

    default_error_messages = {"invalid": "Each group must be an id or a name."}

    def to_internal_value(self, data: Any) -> int | str:
        if isinstance(data, bool) or not isinstance(data, (int, str)) or (isinstance(data, str) and not data.strip()):
            self.fail("invalid")
        return data


class ClosedSerializer(serializers.Serializer):
    """Refuses keys it does not declare, so a typo is an error rather than a silently ignored field."""

    read_only_names: frozenset[str] = frozenset()

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        unknown: dict[str, list[ErrorDetail]] = {}
        if isinstance(data, dict):
            for key in data:
                if key in self.read_only_names:
                    unknown[key] = [ErrorDetail(f"{key} is read-only.", code="read_only")]
                elif key not in self.fields:
                    unknown[key] = [ErrorDetail(f"{key} is not a field of this resource.", code="unknown_field")]
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            # Every fault at once, in the order of the body.
            raise ValidationError({**exc.detail, **unknown} if isinstance(exc.detail, dict) else exc.detail) from None
        if unknown:
            raise ValidationError(unknown)
        return value
