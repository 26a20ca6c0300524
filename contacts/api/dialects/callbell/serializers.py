"""Callbell payloads → `contacts.services` arguments, and contacts → Callbell's Contact object."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.urls import NoReverseMatch, reverse
from rest_framework import serializers
from rest_framework.request import Request

from contacts.api.dialects.field_names import vendor_field_names
from contacts.models import Contact, Organization, Tag, Team
from contacts.selectors import custom_field_values, display_name, rendered

BOT_STATUSES = ("bot_start", "bot_end")
# What an optional value the contact does not have renders as: null, as in the contract's example
# (`"avatarUrl": null`, `"assignedUser": null`), never "".
EMPTY_VALUE = None


def _messages(name: str, kind: str = "a string") -> dict[str, str]:
    """Error messages that name the parameter, since Callbell clients see the message first."""
    return {
        "required": f"{name} is required",
        "null": f"{name} must not be null",
        "blank": f"{name} must not be blank",
        "invalid": f"{name} must be {kind}",
        "not_a_dict": f"{name} must be {kind}",
        "invalid_choice": f"{name} must be {kind}",
    }


class CallbellTagsField(serializers.Field):
    """`tags`: a list of tag names. Callbell describes them as "comma-separated values", so a single
    string is read as such a list."""

    default_error_messages = {"invalid": "tags must be a list of tag names"}

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, str):
            data = [part.strip() for part in data.split(",") if part.strip()]
        if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class CallbellCustomFieldsField(serializers.DictField):
    """`custom_fields`: name → value; the values are validated by type in the service."""


# The optional parameters create and update read alike; each call is a new field, declared where it is called,
# so every serializer keeps its own field order (and the order of its errors).


def _tags() -> CallbellTagsField:
    return CallbellTagsField(required=False, error_messages=_messages("tags", "a list of tag names"))


def _custom_fields() -> CallbellCustomFieldsField:
    return CallbellCustomFieldsField(required=False, error_messages=_messages("custom_fields", "an object"))


def _team_uuid() -> serializers.CharField:
    return serializers.CharField(
        source="team",
        required=False,
        allow_null=True,
        allow_blank=True,
        error_messages=_messages("team_uuid", "a UUID"),
    )


def _bot_status() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=BOT_STATUSES, required=False, error_messages=_messages("bot_status", "bot_start or bot_end")
    )


def _note() -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_null=True, allow_blank=True, trim_whitespace=False, error_messages=_messages("note")
    )


class CallbellPayloadSerializer(serializers.Serializer):
    """Rejects parameters the endpoint does not know, so a typo is an error rather than silently lost."""

    # Parameters of Callbell's Contact that exist but cannot be written through this endpoint.
    read_only_parameters: dict[str, str] = {}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, Mapping):
            unknown = [key for key in data if key not in self.fields]
            if unknown:
                raise serializers.ValidationError(
                    {key: self.read_only_parameters.get(key, f"Unknown parameter {key}") for key in unknown}
                )
        return super().to_internal_value(data)


class CallbellContactCreateSerializer(CallbellPayloadSerializer):
    """`POST /v1/contacts`. `identifier` is the contact's phone number (the only identifier this project keeps)."""

    identifier = serializers.CharField(source="phone", error_messages=_messages("identifier"))
    source = serializers.CharField(error_messages=_messages("source"))
    name = serializers.CharField(error_messages=_messages("name"))
    tags = _tags()
    custom_fields = _custom_fields()
    assigned_user = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, error_messages=_messages("assigned_user", "an email")
    )
    team_uuid = _team_uuid()
    channel_uuid = serializers.UUIDField(
        required=False, allow_null=True, error_messages=_messages("channel_uuid", "a UUID")
    )
    bot_status = _bot_status()
    note = _note()

    def service_kwargs(self, organization: Organization) -> dict[str, Any]:
        """Keyword arguments for `create_contact`; the service resolves the tags, user and team, which must
        already exist."""
        data = dict(self.validated_data)
        # There are no channels in this project: a contact's channel is its source (docs: channel_uuid).
        data.pop("channel_uuid", None)
        return {**data, "organization": organization, "create_missing_tags": False}


class CallbellContactUpdateSerializer(CallbellPayloadSerializer):
    """`PATCH /v1/contacts/{uuid}`: only the parameters given change."""

    read_only_parameters = {
        "identifier": "identifier cannot be changed",
        "source": "source cannot be changed",
        "channel_uuid": "channel_uuid cannot be changed",
    }

    tags = _tags()
    custom_fields = _custom_fields()
    name = serializers.CharField(required=False, error_messages=_messages("name"))
    assigned_user = serializers.CharField(required=False, error_messages=_messages("assigned_user", "an email"))
    unassign_user = serializers.BooleanField(required=False, error_messages=_messages("unassign_user", "a boolean"))
    team_uuid = _team_uuid()
    bot_status = _bot_status()
    note = _note()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("unassign_user") and "assigned_user" in attrs:
            raise serializers.ValidationError({"unassign_user": "Give either assigned_user or unassign_user, not both"})
        return attrs

    def service_kwargs(self, organization: Organization) -> dict[str, Any]:
        """Keyword arguments for `update_contact`. Custom fields given are merged into the current ones."""
        data = dict(self.validated_data)
        if data.pop("unassign_user", False) and "assigned_user" not in data:
            data["assigned_user"] = None
        return {**data, "custom_fields_mode": "merge", "create_missing_tags": False}


class CallbellContactSerializer(serializers.BaseSerializer):
    """Callbell's Contact object. Needs `request` in its context for the absolute `href` and `avatarUrl`;
    `tags` in the context are the contact's tags when the caller already holds them (saves a query).

    Expects `tags` prefetched and `team`/`assigned_user` selected (see `callbell_contacts`) to stay at a
    constant number of queries for any number of contacts.
    """

    def to_representation(self, contact: Contact) -> dict[str, Any]:
        request: Request = self.context["request"]
        tags = self.context.get("tags")
        if tags is None or not all(isinstance(tag, Tag) for tag in tags):
            # Names as the client sent them are not the stored tags' names (their case may differ).
            tags = contact.tags.all()
        return {
            "uuid": contact.uuid.hex,
            "name": rendered(display_name(contact), EMPTY_VALUE),
            "phoneNumber": rendered(contact.phone_digits, EMPTY_VALUE),
            "avatarUrl": _avatar_url(request, contact),
            "blockedAt": None,
            "createdAt": callbell_timestamp(contact.created_at),
            "source": contact.source,
            "funnelId": None,
            "closedAt": None,
            "href": request.build_absolute_uri(_admin_path(contact)),
            "conversationHref": None,
            # Sorted here, not by the database, so the order is the same under every collation.
            "tags": sorted((tag.name for tag in tags), key=str.casefold),
            "assignedUser": contact.assigned_user.email if contact.assigned_user else EMPTY_VALUE,
            "customFields": callbell_custom_fields(contact),
            "team": _team(contact.team),
            "channel": None,
            "botStatus": rendered(contact.bot_status, EMPTY_VALUE),
            "note": rendered(contact.note, EMPTY_VALUE),
        }


def callbell_timestamp(value: dt.datetime) -> str:
    """`2020-11-13T21:08:53Z`: UTC to the second, as Callbell shows it."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def callbell_custom_fields(contact: Contact) -> dict[str, Any]:
    """Name → value in the order clients gave them, with Callbell's value formats: every type as a string,
    except checkbox (multichoice) values, which are a list of strings. Cleared (null) values are left out."""
    values = custom_field_values(contact)
    return {key: _callbell_value(value) for key, value in values.items() if value is not None}


def _callbell_value(value: Any) -> str | list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) and {"lat", "lng"} <= value.keys():
        return f"{value['lat']},{value['lng']}"
    return str(value)


def _team(team: Team | None) -> dict[str, Any] | None:
    if team is None:
        return EMPTY_VALUE
    return {"uuid": team.uuid.hex, "name": team.name, "createdAt": callbell_timestamp(team.created_at)}


def _avatar_url(request: Request, contact: Contact) -> str | None:
    if contact.avatar:
        return request.build_absolute_uri(contact.avatar.url)
    return rendered(contact.avatar_url, EMPTY_VALUE)


def _admin_path(contact: Contact) -> str:
    try:
        return reverse("admin:contacts_contact_change", args=[contact.pk])
    except NoReverseMatch:
        # The same path the admin serves once Contact is registered; keeps href stable either way.
        return f"{reverse('admin:index')}contacts/contact/{contact.pk}/change/"


ERROR_FIELD_NAMES = {
    **vendor_field_names(CallbellContactUpdateSerializer),
    **vendor_field_names(CallbellContactCreateSerializer),
}
"""{service field: Callbell parameter}, from the payload fields' `source`: how a service's error is named back."""
