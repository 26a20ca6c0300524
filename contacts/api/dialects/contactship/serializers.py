"""Contactship payloads ↔ the canonical contact.

Input serializers only check the vendor's shapes and rename fields onto `create_contact` / `update_contact`
arguments; the services validate phones, emails, lengths and custom-field values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from rest_framework import serializers

from contacts.api.dialects.field_names import vendor_field_names
from contacts.models import Contact, CustomField
from contacts.selectors import custom_field_values, full_name, rendered

ADDITIONAL_DATA_TYPES = ("text", "date", "number", "location")
# What an optional value the contact does not have renders as. The contract's example shows none; null, as the
# other dialects do, so a client can tell "no email" from an email (never "").
EMPTY_VALUE = None
MAX_ADDITIONAL_DATA_ITEMS = 100
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
# Far beyond any real offset, but small enough that no database rejects it as out of range.
MAX_OFFSET = 2_147_483_647
MAX_FILTER_LENGTH = 255
_PHONE_FILTER_SEPARATORS = re.compile(r"[\s\-.()/]")
_PHONE_FILTER = re.compile(r"\+?[0-9]*")


class _RejectUnknownFieldsMixin:
    """A misspelt field name is an error, not a silent no-op (`fullname` would otherwise change nothing)."""

    default_error_messages = {"invalid": "The request body must be a JSON object, not {datatype}"}

    def validate(self, attrs: dict) -> dict:
        unknown = [key for key in self.initial_data if key not in self.fields]
        if unknown:
            accepted = ", ".join(self.fields)
            raise serializers.ValidationError(f"Unknown field(s): {', '.join(unknown)}. Accepted fields: {accepted}")
        return attrs


class ContactshipAdditionalDataItemSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=ADDITIONAL_DATA_TYPES,
        error_messages={"invalid_choice": f"must be one of {', '.join(ADDITIONAL_DATA_TYPES)}, not {{input}}"},
    )
    field = serializers.CharField(max_length=100)
    # The value is kept as given (no trimming): it is the client's data.
    value = serializers.CharField(allow_blank=True, trim_whitespace=False)


class ContactshipAdditionalDataField(serializers.ListField):
    """`additional_data` → ({field: value}, {field: type}), in the order given; null means none."""

    child = ContactshipAdditionalDataItemSerializer()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, max_length=MAX_ADDITIONAL_DATA_ITEMS, **kwargs)

    def to_internal_value(self, data: Any) -> list[dict]:
        items = super().to_internal_value(data)
        seen: set[str] = set()
        for index, item in enumerate(items):
            # A PATCH validates partially, and DRF then skips missing fields at every depth; an item is whole or wrong.
            missing = [name for name in ContactshipAdditionalDataItemSerializer._declared_fields if name not in item]
            if missing:
                raise serializers.ValidationError({index: {missing[0]: "This field is required."}})
            if item["field"] in seen:
                raise serializers.ValidationError({index: {"field": f"duplicate field {item['field']!r}"}})
            seen.add(item["field"])
        return items


def additional_data_to_custom_fields(items: Iterable[Mapping[str, str]] | None) -> dict[str, dict]:
    """Service arguments for `additional_data`: values in the order given, and the type to define each with."""
    items = list(items or [])
    return {
        "custom_fields": {item["field"]: item["value"] for item in items},
        "custom_field_types": {item["field"]: item["type"] for item in items},
    }


class ContactshipContactWriteSerializer(_RejectUnknownFieldsMixin, serializers.Serializer):
    """The body of `POST /v1/contacts` (and, with `partial=True`, of `PATCH /v1/contacts/{id}`)."""

    phone_number = serializers.CharField(source="phone")
    full_name = serializers.CharField()
    country = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    email = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    additional_data = ContactshipAdditionalDataField(required=False)

    def service_kwargs(self) -> dict[str, Any]:
        """`validated_data` as keyword arguments of `create_contact` / `update_contact`."""
        data = dict(self.validated_data)
        for optional in ("country", "email", "description"):
            if optional in data and data[optional] is None:
                data[optional] = ""
        if "additional_data" in data:
            data.update(additional_data_to_custom_fields(data.pop("additional_data")))
        return data


# {service field: Contactship field}: the fields' `source`, and the custom fields `additional_data` is read into.
ERROR_FIELD_NAMES = {**vendor_field_names(ContactshipContactWriteSerializer), "custom_fields": "additional_data"}


class ContactshipContactListQuerySerializer(serializers.Serializer):
    """Query string of `GET /v1/contacts`; an empty filter is the same as none."""

    full_name = serializers.CharField(required=False, allow_blank=True, max_length=MAX_FILTER_LENGTH)
    email = serializers.CharField(required=False, allow_blank=True, max_length=MAX_FILTER_LENGTH)
    phone_number = serializers.CharField(required=False, allow_blank=True, max_length=MAX_FILTER_LENGTH)
    limit = serializers.IntegerField(required=False, default=DEFAULT_PAGE_SIZE, min_value=1, max_value=MAX_PAGE_SIZE)
    offset = serializers.IntegerField(required=False, default=0, min_value=0, max_value=MAX_OFFSET)

    def validate_phone_number(self, value: str) -> str:
        cleaned = _PHONE_FILTER_SEPARATORS.sub("", value)
        if not _PHONE_FILTER.fullmatch(cleaned):
            raise serializers.ValidationError("may contain only digits, spaces, dashes and a leading +")
        return cleaned


def _created_at(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _additional_data_type(field_type: str | None) -> str:
    # Fields defined elsewhere (admin, other dialects) may have types Contactship does not know: they read as text.
    return field_type if field_type in ADDITIONAL_DATA_TYPES else "text"


def _additional_data_value(value: Any) -> str | None:
    """Contactship shows every value as a string; stored values are typed (numbers, booleans, coordinates)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping) and {"lat", "lng"} <= value.keys():
        return f"{value['lat']},{value['lng']}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def custom_field_types(organization_id: int, contacts: Iterable[Contact]) -> dict[str, str]:
    """{key: type} of every custom field the contacts hold: one query however many contacts there are."""
    keys = {key for contact in contacts for key in contact.custom_fields}
    if not keys:
        return {}
    return dict(
        CustomField.objects.filter(organization_id=organization_id, key__in=sorted(keys)).values_list(
            "key", "field_type"
        )
    )


class ContactshipContactSerializer(serializers.Serializer):
    """The contact in Contactship's shape. Context: `organization_public_id` and `field_types` ({key: type}),
    so rendering a page costs no query per contact."""

    def to_representation(self, contact: Contact) -> dict[str, Any]:
        field_types: Mapping[str, str] = self.context.get("field_types", {})
        values = custom_field_values(contact)
        return {
            "id": str(contact.uuid),
            "created_at": _created_at(contact.created_at),
            "phone_number": rendered(contact.phone_e164, EMPTY_VALUE),
            # Contacts created through other surfaces may only have a `name`.
            "full_name": rendered(full_name(contact), EMPTY_VALUE),
            "country": rendered(contact.country, EMPTY_VALUE),
            "email": rendered(contact.email, EMPTY_VALUE),
            "description": rendered(contact.description, EMPTY_VALUE),
            "additional_data": [
                {
                    "type": _additional_data_type(field_types.get(key)),
                    "field": key,
                    "value": _additional_data_value(value),
                }
                for key, value in values.items()
            ],
            "organization_id": self.context["organization_public_id"],
        }
