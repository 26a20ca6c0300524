"""Awal's form fields → `create_contact`/`update_contact` arguments, and the contact in Awal's shape."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rest_framework import serializers

from contacts.api.dialects.field_names import vendor_field_names
from contacts.errors import ValidationFailed
from contacts.models import Contact
from contacts.selectors import display_name, rendered
from contacts.services.avatars import process_avatar

# Awal: "international format (96650000000), no special characters (+ or -), starts with country code".
_INTERNATIONAL_DIGITS = re.compile(r"[1-9][0-9]*")
# What an optional value the contact does not have renders as. The contract's example shows none; null, as for
# the phone, group and avatar, and as the other dialects do (never "" for one field and null for the next).
EMPTY_VALUE = None
DEFAULT_PER_PAGE = 15
MAX_PER_PAGE = 100


class AwalFormBooleanField(serializers.Field):
    """A form boolean: `true`, `false`, `1` or `0` (any case); anything else is refused, not guessed."""

    default_error_messages = {"invalid": "Must be true, false, 1 or 0."}
    _VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        value = self._VALUES.get(str(data).strip().lower())
        if value is None:
            self.fail("invalid")
        return value

    def to_representation(self, value: bool) -> bool:
        return bool(value)


class AwalContactFormSerializer(serializers.Serializer):
    """The create form; with `partial=True`, the PATCH form (every field optional, given ones replace)."""

    name = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True)
    branch_id = serializers.CharField(source="branch", required=False, allow_blank=True)
    contact_group_id = serializers.CharField(source="groups", required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True)
    full_name = serializers.CharField(required=False, allow_blank=True)
    is_favorite = AwalFormBooleanField(required=False)
    file = serializers.FileField(source="avatar", required=False)
    avatar = serializers.CharField(source="avatar_url", required=False, allow_blank=True)

    def validate_phone(self, value: str) -> str:
        # Raised, not collected: a malformed phone is Awal's own 400 `invalid_phone_number`, not a 422.
        if not _INTERNATIONAL_DIGITS.fullmatch(value):
            raise ValidationFailed(
                "phone",
                "The phone must be in international format, digits only, starting with the country code "
                "(e.g. 96650000000), without + or -",
                code="invalid_phone_number",
            )
        return value

    def service_arguments(self) -> dict[str, Any]:
        """The validated form as keyword arguments of `create_contact` / `update_contact` (the fields' `source`
        names them)."""
        arguments = dict(self.validated_data)
        if "phone" in arguments:
            # Awal numbers always start with the country code: read them as international, never nationally.
            arguments["phone"] = "+" + arguments["phone"]
        if "avatar" in arguments:
            arguments["avatar"] = process_avatar(arguments["avatar"], field="file")
        # Awal names one branch and one group by id; the service takes the branch's id and the contact's groups. Errors name the service's fields,
        # which the error renderer maps back to Awal's (ERROR_FIELD_NAMES).
        if "branch" in arguments:
            arguments["branch"] = _integer(arguments["branch"], "branch_id") if arguments["branch"] else None
        if "groups" in arguments:
            group_id = arguments["groups"]
            arguments["groups"] = [_integer(group_id, "contact_group_id")] if group_id else []
        return arguments


def _integer(value: str, field: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ValidationFailed(field, f"{field} must be an integer") from None


ERROR_FIELD_NAMES = vendor_field_names(AwalContactFormSerializer)
"""{service field: Awal form field}, from the form fields' `source`: how the awal view names a service's error."""


class AwalSenderQuerySerializer(serializers.Serializer):
    """The `phone_number_id` query parameter every endpoint accepts."""

    phone_number_id = serializers.CharField(required=False, allow_blank=True)


class AwalContactListQuerySerializer(AwalSenderQuerySerializer):
    search = serializers.CharField(required=False, allow_blank=True)
    page = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000, default=1)
    per_page = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PER_PAGE, default=DEFAULT_PER_PAGE)


class AwalContactSerializer(serializers.Serializer):
    """The contact as Awal's create example shows it, field for field."""

    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    contact_group_id = serializers.SerializerMethodField()
    is_favorite = serializers.BooleanField()
    avatar = serializers.SerializerMethodField()
    created_at = serializers.SerializerMethodField()

    def get_name(self, contact: Contact) -> str | None:
        return rendered(display_name(contact), EMPTY_VALUE)

    def get_phone(self, contact: Contact) -> str | None:
        return rendered(contact.phone_digits, EMPTY_VALUE)

    def get_email(self, contact: Contact) -> str | None:
        return rendered(contact.email, EMPTY_VALUE)

    def get_contact_group_id(self, contact: Contact) -> int | None:
        return rendered(first_group_id(contact), EMPTY_VALUE)

    def get_avatar(self, contact: Contact) -> str | None:
        if contact.avatar:
            return self.context["request"].build_absolute_uri(contact.avatar.url)
        return rendered(contact.avatar_url, EMPTY_VALUE)

    def get_created_at(self, contact: Contact) -> str:
        return contact.created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


FIRST_GROUP_ATTRIBUTE = "awal_first_group_id"


def first_group_id(contact: Contact) -> int | None:
    """Awal contacts have one group; a contact given several elsewhere shows the one linked first."""
    if hasattr(contact, FIRST_GROUP_ATTRIBUTE):
        return getattr(contact, FIRST_GROUP_ATTRIBUTE)
    return (
        Contact.groups.through.objects.filter(contact_id=contact.pk)
        .order_by("id")
        .values_list("contactgroup_id", flat=True)
        .first()
    )
