"""What the native API reads and writes: a contact, and each vocabulary entry.

Rendering rule: a value the contact does not have is `null`; lists and objects are empty (`[]`, `{}`), never null.
Writing rule: the same names as reading; `null` clears a value; unknown and read-only names are refused.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contacts.api.native.fields import (
    ClosedSerializer,
    GroupReferenceField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    UUIDStringField,
)
from contacts.models import (
    Branch,
    Contact,
    ContactGroup,
    ContactSource,
    CustomField,
    CustomFieldType,
    SenderNumber,
    Tag,
    Team,
)
from contacts.selectors import custom_field_values

CONTACT_TEXT = ("name", "full_name", "email", "country", "description", "address", "note")
CONTACT_UNIQUE = ("alias", "contact_key")


def _stamp(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _or_null(value: Any) -> Any:
    return None if value in (None, "") else value


def render_contact(contact: Contact) -> dict[str, Any]:
    """A contact loaded with `native_contacts()` (branch, team, user joined; tags and groups prefetched)."""
    values = custom_field_values(contact)
    return {
        "id": str(contact.uuid),
        "name": _or_null(contact.name),
        "full_name": _or_null(contact.full_name),
        "phone": _or_null(contact.phone_e164),
        "phone_valid": contact.phone_valid,
        "email": _or_null(contact.email),
        "alias": _or_null(contact.alias),
        "contact_key": _or_null(contact.contact_key),
        "country": _or_null(contact.country),
        "description": _or_null(contact.description),
        "address": _or_null(contact.address),
        "note": _or_null(contact.note),
        "is_favorite": contact.is_favorite,
        "source": contact.source,
        "avatar_url": _or_null(contact.avatar_url),
        "branch": {"id": contact.branch.pk, "name": contact.branch.name} if contact.branch else None,
        "team": {"id": str(contact.team.uuid), "name": contact.team.name} if contact.team else None,
        "assigned_user": (contact.assigned_user.email or None) if contact.assigned_user else None,
        "tags": [tag.name for tag in contact.tags.all()],
        "groups": [{"id": group.pk, "name": group.name} for group in contact.groups.all()],
        "custom_fields": values,
        "created_at": _stamp(contact.created_at),
        "updated_at": _stamp(contact.updated_at),
    }


class ContactWriteSerializer(ClosedSerializer):
    read_only_names = frozenset({"id", "phone_valid", "created_at", "updated_at"})

    name = StrictCharField(trim_whitespace=False)
    full_name = StrictCharField(trim_whitespace=False)
    phone = StrictCharField()
    email = StrictCharField()
    alias = StrictCharField()
    contact_key = StrictCharField()
    country = StrictCharField()
    description = StrictCharField(trim_whitespace=False)
    address = StrictCharField(trim_whitespace=False)
    note = StrictCharField(trim_whitespace=False)
    is_favorite = StrictBooleanField(required=False)
    source = serializers.ChoiceField(choices=ContactSource.values, required=False)
    avatar_url = StrictCharField()
    branch = StrictIntegerField(required=False, allow_null=True)
    team = UUIDStringField()
    assigned_user = StrictCharField()
    tags = serializers.ListField(child=StrictCharField(allow_null=False, allow_blank=False), required=False)
    groups = serializers.ListField(child=GroupReferenceField(), required=False)
    custom_fields = serializers.DictField(required=False)

    def service_kwargs(self) -> dict[str, Any]:
        """The validated body as keyword arguments of `create_contact`/`update_contact`, which resolve the
        references themselves (a branch id, a team uuid, a member's email, group ids or names, tag names)."""
        return dict(self.validated_data)


# --- vocabularies -------------------------------------------------------------------------------------------------


def _entry(item: Tag | ContactGroup | CustomField | Branch | SenderNumber, **fields: Any) -> dict[str, Any]:
    """A vocabulary entry as every kind renders: its id, its own fields, when it was created."""
    return {"id": item.pk, **fields, "created_at": _stamp(item.created_at)}


def render_tag(tag: Tag) -> dict[str, Any]:
    return _entry(tag, name=tag.name)


def render_group(group: ContactGroup) -> dict[str, Any]:
    return _entry(group, name=group.name, description=group.description)


def render_custom_field(definition: CustomField) -> dict[str, Any]:
    return _entry(
        definition,
        key=definition.key,
        label=definition.label,
        type=definition.field_type,
        choices=list(definition.choices or []),
    )


def render_branch(branch: Branch) -> dict[str, Any]:
    return _entry(branch, name=branch.name)


def render_team(team: Team) -> dict[str, Any]:
    # A team is known by its uuid, as everywhere else a team is named.
    return {"id": str(team.uuid), "name": team.name, "created_at": _stamp(team.created_at)}


def render_sender_number(number: SenderNumber) -> dict[str, Any]:
    return _entry(number, phone=number.phone, external_id=number.external_id, label=number.label)


class NameSerializer(ClosedSerializer):
    """Tags, branches and teams: a name."""

    read_only_names = frozenset({"id", "created_at"})
    name = StrictCharField(required=True, allow_null=False, trim_whitespace=False)


class GroupSerializer(NameSerializer):
    description = StrictCharField()


@extend_schema_field(serializers.ChoiceField(choices=CustomFieldType.choices))
class CustomFieldTypeField(StrictCharField):
    """A text here (the service refuses an unknown type with the list of known ones); one of them in the schema."""


class CustomFieldCreateSerializer(ClosedSerializer):
    read_only_names = frozenset({"id", "created_at"})
    key = StrictCharField(required=True, allow_null=False, trim_whitespace=False)
    type = CustomFieldTypeField(required=True, allow_null=False)
    label = StrictCharField()
    choices = serializers.ListField(child=StrictCharField(allow_null=False), required=False, allow_null=True)


class CustomFieldUpdateSerializer(ClosedSerializer):
    # A definition's key and type are fixed: contacts' stored values were cleaned for them.
    read_only_names = frozenset({"id", "created_at", "key", "type"})
    label = StrictCharField()
    choices = serializers.ListField(child=StrictCharField(allow_null=False), required=False, allow_null=True)


class SenderNumberSerializer(ClosedSerializer):
    read_only_names = frozenset({"id", "created_at"})
    phone = StrictCharField(required=True, allow_null=False)
    external_id = StrictCharField(required=True, allow_null=False)
    label = StrictCharField()
