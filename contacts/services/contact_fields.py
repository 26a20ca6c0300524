"""The contact's own values: how each is cleaned, and which ones are unique in an organization.

`create_contact`, `update_contact` and the importer clean fields with these same functions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.db.models import Q

from contacts.errors import ValidationFailed
from contacts.models import Contact, ContactSource

# The unique values a contact can collide on, with the constraint that guards each.
UNIQUE_FIELDS = {
    "phone": "contact_unique_org_phone",
    "alias": "contact_unique_org_alias",
    "contact_key": "contact_unique_org_contact_key",
}


def unique_index_condition(field_name: str) -> Q:
    """The condition of `field_name`'s partial unique index. A lookup of many values (`IN` a list of over 100)
    must repeat it, or PostgreSQL cannot prove the index applies and scans the organization's contacts."""
    name = UNIQUE_FIELDS[field_name]
    return next(c.condition for c in Contact._meta.constraints if c.name == name)


TEXT_FIELDS = {
    "name": 255,
    "full_name": 255,
    "country": 100,
    "description": 20_000,
    "address": 5_000,
    "alias": 255,
    "contact_key": 255,
    "bot_status": 20,
    "note": 1000,
}
URL_VALIDATOR = URLValidator(schemes=["http", "https"])


def clean_text(field: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list, bool)):
        raise ValidationFailed(field, f"{field} must be a string")
    text = str(value).strip()
    if len(text) > TEXT_FIELDS[field]:
        raise ValidationFailed(field, f"{field} must be at most {TEXT_FIELDS[field]} characters")
    if "\x00" in text:
        raise ValidationFailed(field, f"{field} contains a NUL character")
    return text


def clean_email(value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise ValidationFailed("email", "email must be a string")
    text = value.strip()
    try:
        validate_email(text)
    except DjangoValidationError:
        raise ValidationFailed("email", f"{text!r} is not a valid email address") from None
    return text


def clean_avatar_url(value: Any) -> str:
    if value in (None, ""):
        return ""
    text = str(value).strip()
    try:
        URL_VALIDATOR(text)
    except DjangoValidationError:
        raise ValidationFailed("avatar", "The avatar URL must be an http or https URL") from None
    if len(text) > 2000:
        raise ValidationFailed("avatar", "The avatar URL is longer than 2000 characters")
    return text


def clean_source(value: Any) -> str:
    text = str(value or ContactSource.API).strip().lower()
    if text not in ContactSource.values:
        raise ValidationFailed("source", f"Unknown source {value!r}; expected one of {', '.join(ContactSource.values)}")
    return text
