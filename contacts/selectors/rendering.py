"""How a contact reads, the same in every dialect: its names, and what an empty value becomes.

A contact has two name fields because the vendors do: Callbell and Awal call it `name`, Contactship `full_name`,
SFMC's Email Demographics fill both, Mobivate has neither. Each dialect shows its own field, falling back to the
other when the contact was created through a dialect that only writes that one, so a contact created as
Contactship's `"full_name": "Juan Pérez"` is `"name": "Juan Pérez"` in Callbell, and the reverse. Nothing is
copied on write: the fallback is applied on read, so a later change to either field shows everywhere at once.

An optional value the contact does not have ("" or None in the model) is rendered as the dialect's declared
empty value (`EMPTY_VALUE` in each dialect's serializers module), never as a mixture of "" and null.
"""

from __future__ import annotations

from typing import Any, TypeVar

from contacts.models import Contact

Empty = TypeVar("Empty")


def display_name(contact: Contact) -> str:
    """The `name` dialects show: the contact's name, else its full name, else ""."""
    return contact.name or contact.full_name


def full_name(contact: Contact) -> str:
    """The `full_name` dialects show: the contact's full name, else its name, else ""."""
    return contact.full_name or contact.name


def rendered(value: Any, empty: Empty) -> Any | Empty:
    """`value`, or the dialect's `empty` when the contact has none ("" and None both mean none)."""
    return empty if value is None or value == "" else value


def custom_field_values(contact: Contact) -> dict[str, Any]:
    """The contact's custom-field values in the order they were given (a key the saved order lacks, from a hand
    edit, comes last), as every surface shows them."""
    values = contact.custom_fields if isinstance(contact.custom_fields, dict) else {}
    order = [key for key in contact.custom_field_order if key in values]
    order += [key for key in values if key not in order]
    return {key: values[key] for key in order}
