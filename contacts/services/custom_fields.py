"""Typed custom fields: definitions per organization and validation of values by type."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator

from contacts.errors import UnknownReference, ValidationFailed
from contacts.models import CustomField, CustomFieldType, Organization

JsonValue = str | int | float | bool | list | dict | None

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_url_validator = URLValidator(schemes=["http", "https"])
_email_validator = EmailValidator()
MAX_TEXT_LENGTH = 10_000
# Types stored as the text given, once a Django validator accepts it: (validator, what the message calls it).
_VALIDATED_TEXT = {
    CustomFieldType.URL: (_url_validator, "an http or https URL"),
    CustomFieldType.EMAIL: (_email_validator, "an email address"),
}


def clean_custom_field_value(definition: CustomField, value: Any) -> JsonValue:
    """Return `value` in the stored form of `definition`'s type, or raise `ValidationFailed`."""
    field = f"custom_fields.{definition.key}"
    kind = definition.field_type
    if value is None:
        return None
    if kind in (CustomFieldType.TEXT, CustomFieldType.LOCATION):
        if kind == CustomFieldType.LOCATION and isinstance(value, Mapping):
            return _clean_coordinates(field, value)
        if isinstance(value, (dict, list, bool)):
            raise ValidationFailed(field, f"{definition.key} must be text")
        text = str(value)
        if "\x00" in text:
            # PostgreSQL's jsonb cannot store NUL: refuse it here rather than fail in the database.
            raise ValidationFailed(field, f"{definition.key} contains a NUL character")
        if len(text) > MAX_TEXT_LENGTH:
            raise ValidationFailed(field, f"{definition.key} is longer than {MAX_TEXT_LENGTH} characters")
        return text
    if kind == CustomFieldType.NUMBER:
        return _clean_number(field, definition.key, value)
    if kind == CustomFieldType.DATE:
        return _clean_date(field, definition.key, value)
    if kind == CustomFieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValidationFailed(field, f"{definition.key} must be true or false")
    if kind in _VALIDATED_TEXT:
        validator, what = _VALIDATED_TEXT[kind]
        text = str(value).strip()
        try:
            validator(text)
        except DjangoValidationError:
            raise ValidationFailed(field, f"{definition.key} must be {what}") from None
        return text
    if kind == CustomFieldType.CHOICE:
        text = str(value)
        if text not in definition.choices:
            allowed = ", ".join(map(str, definition.choices))
            raise ValidationFailed(field, f"{definition.key} must be one of: {allowed}")
        return text
    if kind == CustomFieldType.MULTICHOICE:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValidationFailed(field, f"{definition.key} must be a list of strings")
        unknown = [item for item in value if item not in definition.choices]
        if unknown:
            raise ValidationFailed(field, f"{definition.key} has unknown options: {', '.join(unknown)}")
        return list(dict.fromkeys(value))
    raise ValidationFailed(field, f"{definition.key} has unsupported type {kind}")


def _clean_number(field: str, key: str, value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValidationFailed(field, f"{key} must be a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed(field, f"{key} must be a number") from None
    if not number.is_finite():
        raise ValidationFailed(field, f"{key} must be a finite number")
    if number == number.to_integral_value() and abs(number) < 2**63:
        return int(number)
    result = float(number)
    if math.isinf(result):
        raise ValidationFailed(field, f"{key} is out of range")
    return result


def _clean_date(field: str, key: str, value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10] if len(text) > 10 and text[10] in "T " else text).isoformat()
    except ValueError:
        raise ValidationFailed(field, f"{key} must be a date in YYYY-MM-DD format") from None


def _clean_coordinates(field: str, value: Mapping) -> dict:
    try:
        lat, lng = float(value["lat"]), float(value["lng"])
    except (KeyError, TypeError, ValueError):
        raise ValidationFailed(field, "A location object needs numeric lat and lng") from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValidationFailed(field, "Coordinates out of range")
    return {"lat": lat, "lng": lng}


def define_custom_fields(
    organization: Organization, types: Mapping[str, str], *, field: str = "custom_fields"
) -> dict[str, CustomField]:
    """Return definitions for `types` ({key: type}), creating missing ones; a key already defined with
    another type is a `ValidationFailed`. One query when all exist."""
    for key, kind in types.items():
        if kind not in CustomFieldType.values:
            raise ValidationFailed(field, f"Unknown custom field type {kind!r} for {key}")
        if len(key) > 100 or not key.strip() or "\x00" in key:
            raise ValidationFailed(field, f"Custom field name {key[:100]!r} must be 1 to 100 characters, without NUL")
    existing = {cf.key: cf for cf in CustomField.objects.filter(organization=organization, key__in=list(types))}
    for key, kind in types.items():
        if key in existing and existing[key].field_type != kind:
            raise ValidationFailed(
                field, f"Custom field {key} is already defined as {existing[key].field_type}, not {kind}"
            )
    missing = [key for key in types if key not in existing]
    if missing:
        # One insert for all new keys; a key defined concurrently by another request is kept as theirs.
        CustomField.objects.bulk_create(
            [CustomField(organization=organization, key=key, label=key, field_type=types[key]) for key in missing],
            ignore_conflicts=True,
        )
        for definition in CustomField.objects.filter(organization=organization, key__in=missing):
            if definition.field_type != types[definition.key]:
                raise ValidationFailed(
                    field, f"Custom field {definition.key} is already defined as {definition.field_type}"
                )
            existing[definition.key] = definition
    return existing


def clean_custom_fields(
    organization: Organization,
    values: Mapping[str, Any],
    *,
    definitions: Mapping[str, CustomField] | None = None,
) -> dict[str, JsonValue]:
    """Validate `values` against the organization's definitions; unknown keys are an `UnknownReference`."""
    if not isinstance(values, Mapping):
        raise ValidationFailed("custom_fields", "custom_fields must be an object")
    if definitions is None:
        definitions = {cf.key: cf for cf in CustomField.objects.filter(organization=organization, key__in=list(values))}
    if any("\x00" in str(key) or "\x00" in str(value) for key, value in values.items()):
        raise ValidationFailed("custom_fields", "custom_fields contains a NUL character")
    unknown = [key for key in values if key not in definitions]
    if unknown:
        raise UnknownReference(
            "custom_fields",
            f"Unknown custom field: {', '.join(unknown)}",
            details={"custom_fields": f"Unknown custom field: {', '.join(unknown)}"},
        )
    cleaned: dict[str, JsonValue] = {}
    for key, value in values.items():
        cleaned[key] = clean_custom_field_value(definitions[key], value)
    return cleaned
