"""Mobivate payloads ⇄ service arguments and contacts ⇄ Mobivate records.

Input serializers turn a request body into keyword arguments of `create_contact` / `update_contact`
(`msisdn` → `phone`, `meta` → `custom_fields` of type text); their messages are Mobivate's
("Alias is required", "Msisdn is invalid"). The phone policy, uniqueness and custom field rules stay in the services.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from rest_framework import serializers

from contacts.models import Contact, CustomFieldType
from contacts.selectors import custom_field_values, rendered

# What an optional value the contact does not have renders as (the alias and msisdn of a contact created
# elsewhere). The contract's examples show none; null, as the other dialects do. A record has no name: Mobivate
# has no name field (names it is given travel in `meta`, as custom fields).
EMPTY_VALUE = None
ALIAS_MAX_LENGTH = 255
META_MAX_KEYS = 100
META_KEY_MAX_LENGTH = 100
LIST_MAX_LIMIT = 100
LIST_DEFAULT_LIMIT = 10
LIST_MAX_OFFSET = 1_000_000_000

_NOT_AN_OBJECT = "Request body must be a JSON object"

SORT_FIELDS = {"created_on": "created_at", "alias": "alias", "msisdn": "phone"}


class _MobivateTextField(serializers.Field):
    """A non-empty string or a JSON integer, taken as its text without surrounding spaces. Floats are refused:
    4.479e12 has no exact digits, and "447900000001.0" would gain one."""

    max_text_length: int | None = None

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, (str, int)):
            self.fail("invalid")
        text = str(data).strip()
        if not text:
            self.fail("blank")
        if self.max_text_length is not None and len(text) > self.max_text_length:
            self.fail("max_length")
        return text

    def to_representation(self, value: Any) -> Any:
        return value


class MobivateAliasField(_MobivateTextField):
    max_text_length = ALIAS_MAX_LENGTH
    default_error_messages = {
        "required": "Alias is required",
        "null": "Alias is required",
        "blank": "Alias is required",
        "invalid": "Alias must be a string",
        "max_length": f"Alias must be at most {ALIAS_MAX_LENGTH} characters",
    }


class MobivateMsisdnField(_MobivateTextField):
    """A phone number; whether it is one is `normalize_phone`'s call."""

    default_error_messages = {
        "required": "Msisdn is required",
        "null": "Msisdn is required",
        "blank": "Msisdn is required",
        "invalid": "Msisdn is invalid",
    }


class MobivateMetaField(serializers.Field):
    """`meta`: an object of scalar values, all stored as text (SMS personalisation substitutes text).

    `null` as a value means "no value"; see the update serializer for what that does to a stored key.
    """

    default_error_messages = {
        "invalid": "Meta must be an object",
        "too_many": f"Meta may have at most {META_MAX_KEYS} keys",
        "key": f"Meta keys must be 1 to {META_KEY_MAX_LENGTH} characters",
        "value": "Meta {name} must be a string, number or boolean",
        "number": "Meta {name} must be a finite number",
    }

    def to_internal_value(self, data: Any) -> dict[str, str | None]:
        if not isinstance(data, dict):
            self.fail("invalid")
        if len(data) > META_MAX_KEYS:
            self.fail("too_many")
        meta: dict[str, str | None] = {}
        for key, value in data.items():
            if not key.strip() or len(key) > META_KEY_MAX_LENGTH:
                self.fail("key")
            meta[key] = self._text(key, value)
        return meta

    def _text(self, key: str, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and not math.isfinite(value):
            self.fail("number", name=key)
        if isinstance(value, (int, float)):
            return str(value)
        if not isinstance(value, str):
            self.fail("value", name=key)
        return value

    def to_representation(self, value: Any) -> Any:
        return value


def _meta_types(meta: dict[str, Any]) -> dict[str, str]:
    """Every meta key is a text custom field, defined on first use."""
    return {key: CustomFieldType.TEXT for key in meta}


class MobivateContactCreateSerializer(serializers.Serializer):
    """`POST /addressbook/contacts` and `POST /contacts` → `create_contact(**validated_data)`."""

    default_error_messages = {"invalid": _NOT_AN_OBJECT, "null": _NOT_AN_OBJECT}

    alias = MobivateAliasField()
    msisdn = MobivateMsisdnField(source="phone")
    meta = MobivateMetaField(source="custom_fields", required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A null value on a new contact has nothing to clear: leave the key out.
        meta = {key: value for key, value in (attrs.pop("custom_fields", None) or {}).items() if value is not None}
        if meta:
            attrs["custom_fields"] = meta
            attrs["custom_field_types"] = _meta_types(meta)
        return attrs


class MobivateContactUpdateSerializer(serializers.Serializer):
    """`POST /addressbook/contacts/{id}` → `update_contact(contact, **validated_data)`; every field optional.

    `meta` merges into the stored values (a `null` value clears that key); `meta: null` changes nothing.
    """

    default_error_messages = {"invalid": _NOT_AN_OBJECT, "null": _NOT_AN_OBJECT}

    alias = MobivateAliasField(
        required=False,
        error_messages={"null": "Alias cannot be empty", "blank": "Alias cannot be empty"},
    )
    msisdn = MobivateMsisdnField(
        source="phone",
        required=False,
        error_messages={"null": "Msisdn cannot be empty", "blank": "Msisdn cannot be empty"},
    )
    meta = MobivateMetaField(source="custom_fields", required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        meta = attrs.pop("custom_fields", None)
        if meta:
            attrs["custom_fields"] = meta
            attrs["custom_field_types"] = _meta_types(meta)
            attrs["custom_fields_mode"] = "merge"
        return attrs


class MobivateContactListQuerySerializer(serializers.Serializer):
    """`GET /addressbook/contacts?sortField=&sortDir=&offset=&limit=`."""

    sortField = serializers.ChoiceField(
        choices=list(SORT_FIELDS),
        default="created_on",
        error_messages={"invalid_choice": f"sortField must be one of {', '.join(SORT_FIELDS)}"},
    )
    sortDir = serializers.CharField(default="DESC", error_messages={"blank": "sortDir must be ASC or DESC"})
    offset = serializers.IntegerField(
        default=0,
        min_value=0,
        max_value=LIST_MAX_OFFSET,
        error_messages={
            key: f"offset must be an integer between 0 and {LIST_MAX_OFFSET}"
            for key in ("invalid", "min_value", "max_value", "max_string_length")
        },
    )
    limit = serializers.IntegerField(
        default=LIST_DEFAULT_LIMIT,
        min_value=1,
        max_value=LIST_MAX_LIMIT,
        error_messages={
            key: f"limit must be an integer between 1 and {LIST_MAX_LIMIT}"
            for key in ("invalid", "min_value", "max_value", "max_string_length")
        },
    )

    def validate_sortDir(self, value: str) -> str:
        direction = value.strip().upper()
        if direction not in ("ASC", "DESC"):
            raise serializers.ValidationError("sortDir must be ASC or DESC")
        return direction


class MobivateContactSerializer(serializers.Serializer):
    """A contact as Mobivate's `record`: id, alias, msisdn (digits, no +), meta, created_on."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    alias = serializers.SerializerMethodField()
    msisdn = serializers.SerializerMethodField()
    meta = serializers.SerializerMethodField()
    created_on = serializers.SerializerMethodField()

    def get_alias(self, contact: Contact) -> str | None:
        return rendered(contact.alias, EMPTY_VALUE)

    def get_msisdn(self, contact: Contact) -> str | None:
        return rendered(contact.phone_digits, EMPTY_VALUE)

    def get_meta(self, contact: Contact) -> dict[str, Any]:
        values = custom_field_values(contact)
        return {key: _meta_value(value) for key, value in values.items() if value is not None}

    def get_created_on(self, contact: Contact) -> str:
        return format_timestamp(contact.created_at)


def _meta_value(value: Any) -> Any:
    """Meta is text; values other surfaces stored typed (numbers, yes/no) are shown as text too, while
    structured ones (locations, multi-choice lists) keep their JSON shape rather than becoming strings of JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def format_timestamp(value: dt.datetime) -> str:
    """`2025-11-10T20:15:12.000Z`: UTC, milliseconds, Z."""
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
