"""The contact's fields are declared once: create_contact and update_contact clean them alike, and the lists the
other surfaces use come from the declaration."""

from __future__ import annotations

import pytest

from contacts.errors import ValidationFailed
from contacts.models import Contact
from contacts.services import contact_fields
from contacts.services.contacts import create_contact, update_contact

pytestmark = pytest.mark.django_db

# Untidy input for every plain field, and the one stored value each must become.
INPUT = {
    "name": "  Ana  ",
    "full_name": " Ana María López ",
    "phone": "(212) 456-7890",
    "email": " ana@example.com ",
    "country": " México ",
    "description": " likes tea ",
    "address": " 1 Main St ",
    "alias": "   ",
    "contact_key": " key-1 ",
    "is_favorite": 1,
    "source": " WhatsApp ",
    "note": None,
    "bot_status": " bot_start ",
    "avatar_url": " https://example.com/a.png ",
    "attributes": None,
}
STORED = {
    "name": "Ana",
    "full_name": "Ana María López",
    "phone": "+12124567890",
    "phone_valid": True,
    "email": "ana@example.com",
    "country": "México",
    "description": "likes tea",
    "address": "1 Main St",
    "alias": None,
    "contact_key": "key-1",
    "is_favorite": True,
    "source": "whatsapp",
    "note": "",
    "bot_status": "bot_start",
    "avatar_url": "https://example.com/a.png",
    "attributes": {},
}


def _stored(contact: Contact) -> dict:
    row = Contact.objects.values(*STORED).get(pk=contact.pk)
    row["phone"] = str(row["phone"])
    return row


def test_create_and_update_store_the_same_values_for_the_same_input(organization):
    created = create_contact(organization=organization, **INPUT)
    # The second contact needs unique values of its own.
    other = {"phone": "(212) 456-7891", "contact_key": " key-2 "}
    updated = update_contact(create_contact(organization=organization, name="Someone else"), **INPUT | other)

    assert _stored(created) == STORED
    assert _stored(updated) == STORED | {"phone": "+12124567891", "contact_key": "key-2"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "x" * 256, "name must be at most 255 characters"),
        ("note", "x" * 1001, "note must be at most 1000 characters"),
        ("country", ["México"], "country must be a string"),
        ("alias", "a\x00b", "alias contains a NUL character"),
        ("email", "not-an-email", "'not-an-email' is not a valid email address"),
        ("source", "fax", "Unknown source 'fax'; expected one of whatsapp, sms, email, facebook, instagram, "
         "telegram, line, push, api, import, manual"),
    ],
)  # fmt: skip
def test_create_and_update_refuse_the_same_values_with_the_same_error(organization, field, value, message):
    contact = create_contact(organization=organization, name="Kept")

    with pytest.raises(ValidationFailed) as on_create:
        create_contact(organization=organization, **{field: value})
    with pytest.raises(ValidationFailed) as on_update:
        update_contact(contact, **{field: value})

    assert (on_create.value.field, on_create.value.message) == (field, message)
    assert (on_update.value.field, on_update.value.message) == (field, message)
    assert list(Contact.objects.values_list("name", flat=True)) == ["Kept"]


def test_an_undeclared_field_is_a_programming_error_on_both(organization):
    contact = create_contact(organization=organization, name="Kept")

    with pytest.raises(TypeError, match="unexpected contact fields: nickname"):
        create_contact(organization=organization, nickname="x")
    with pytest.raises(TypeError, match="unexpected contact fields: nickname"):
        update_contact(contact, nickname="x")


def test_the_lists_the_surfaces_use_come_from_the_declaration():
    assert contact_fields.TEXT_FIELDS == {
        "name": 255,
        "full_name": 255,
        "country": 100,
        "description": 20_000,
        "address": 5_000,
        "alias": 255,
        "contact_key": 255,
        "note": 1000,
        "bot_status": 20,
    }
    assert contact_fields.UNIQUE_FIELDS == {
        "phone": "contact_unique_org_phone",
        "alias": "contact_unique_org_alias",
        "contact_key": "contact_unique_org_contact_key",
    }
    assert contact_fields.SEARCH_FIELDS == ("name", "full_name", "email", "alias", "contact_key")
    assert contact_fields.EXPORT_FIELDS == (
        "id", "uuid", "name", "full_name", "phone", "phone_valid", "email", "country", "description", "address",
        "alias", "contact_key", "is_favorite", "source", "branch", "team", "assigned_user", "tags", "groups", "note",
        "created_at", "updated_at",
    )  # fmt: skip
    assert contact_fields.IMPORT_FIELDS == (
        "name", "full_name", "phone", "email", "country", "description", "address", "alias", "contact_key",
        "is_favorite", "source", "branch", "team", "assigned_user", "tags", "groups", "note",
    )  # fmt: skip


def test_every_declared_unique_field_has_its_constraint_on_the_model():
    names = {constraint.name for constraint in Contact._meta.constraints}

    assert set(contact_fields.UNIQUE_FIELDS.values()) <= names
