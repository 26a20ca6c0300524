"""A contact's values as its events record them, and the difference between two snapshots.

Values have the native API's shapes (`render_contact`): absent text is null, the phone is E.164, a branch is
`{"id", "name"}`, a team `{"id": uuid, "name"}`, the assigned user its email. Tags and groups are lists of names,
sorted, and each custom field is a field of its own, `custom_fields.<key>`, so a change names the keys it touched.
References are kept as ids in a snapshot and rendered only when they changed, which costs a query then and none
otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from contacts.models import Branch, Contact, Team

_TEXT = (
    "name",
    "full_name",
    "email",
    "alias",
    "contact_key",
    "country",
    "description",
    "address",
    "note",
    "avatar_url",
    "bot_status",
)
REFERENCES = ("branch", "team", "assigned_user")
CUSTOM_PREFIX = "custom_fields."

# What identifies or describes the person: scrubbed from a deleted contact's events. Custom fields count too
# (their content is the organization's to define). Tags, groups, branch, team, source and flags stay.
PERSONAL_FIELDS = frozenset(
    {
        "name",
        "full_name",
        "phone",
        "email",
        "alias",
        "contact_key",
        "country",
        "description",
        "address",
        "note",
        "avatar",
        "avatar_url",
        "attributes",
        "channel_identities",
    }
)


def is_personal(field: str) -> bool:
    return field in PERSONAL_FIELDS or field.startswith(CUSTOM_PREFIX)


def _or_null(value: Any) -> Any:
    return None if value in (None, "") else value


def phone_text(value: Any) -> str | None:
    # A saved row holds a PhoneNumber, a row cleaned by the importer its E.164 text.
    return _or_null(getattr(value, "as_e164", value))


def snapshot(contact: Contact, *, tags: Iterable[str] | None = None, groups: Iterable[str] | None = None) -> dict:
    """The contact's own values (references as ids); `tags`/`groups` when the write can change them."""
    values: dict[str, Any] = {name: _or_null(getattr(contact, name)) for name in _TEXT}
    values["phone"] = phone_text(contact.phone)
    values["is_favorite"] = contact.is_favorite
    values["source"] = contact.source
    values["avatar"] = (contact.avatar.name or None) if contact.avatar else None
    values["attributes"] = contact.attributes if isinstance(contact.attributes, dict) and contact.attributes else None
    for name in REFERENCES:
        values[name] = getattr(contact, f"{name}_id")
    custom = contact.custom_fields if isinstance(contact.custom_fields, dict) else {}
    for key, value in custom.items():
        values[CUSTOM_PREFIX + key] = value
    if tags is not None:
        values["tags"] = sorted(tags)
    if groups is not None:
        values["groups"] = sorted(groups)
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"before", "after"}} for the fields whose value differs. Tags and groups are compared only when
    both snapshots hold them; a custom field missing on one side is null there."""
    changes: dict[str, dict[str, Any]] = {}
    for name in {**before, **after}:
        if (name not in before or name not in after) and not name.startswith(CUSTOM_PREFIX):
            continue
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = {"before": old, "after": new}
    return dict(sorted(changes.items()))


def created(after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A new contact's changes: every value it was given (a false flag and empty lists are no value)."""
    return {
        name: {"before": None, "after": value}
        for name, value in sorted(after.items())
        if name.startswith(CUSTOM_PREFIX) or value not in (None, False, [], {})
    }


def render_references(changes: dict[str, dict[str, Any]], contact: Contact | None = None) -> None:
    """Replace the ids of changed references by their rendering, in place. The `after` side comes from
    `contact`'s loaded objects when given (the service just set them), otherwise from the database."""
    for name in REFERENCES:
        change = changes.get(name)
        if change is None:
            continue
        for side in ("before", "after"):
            pk = change[side]
            if side == "after" and contact is not None:
                change[side] = render_reference(name, getattr(contact, name))
            else:
                change[side] = render_reference(name, load_reference(name, pk)) if pk is not None else None


def load_reference(name: str, pk: int | None) -> Any:
    return load_references(name, [pk]).get(pk) if pk is not None else None


def load_references(name: str, pks: Iterable[int]) -> dict[int, Any]:
    """{pk: object} of the branch, team or user `pks`, in one query."""
    from django.contrib.auth import get_user_model

    model = {"branch": Branch, "team": Team, "assigned_user": get_user_model()}[name]
    return {obj.pk: obj for obj in model._default_manager.filter(pk__in=list(pks))}


def render_reference(name: str, obj: Any) -> Any:
    if obj is None:
        return None
    if name == "branch":
        return {"id": obj.pk, "name": obj.name}
    if name == "team":
        return {"id": str(obj.uuid), "name": obj.name}
    return obj.email or None


def scrubbed(changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` with the values of personal fields replaced by null; the field names stay."""
    return {
        name: ({"before": None, "after": None} if is_personal(name) else change) for name, change in changes.items()
    }
