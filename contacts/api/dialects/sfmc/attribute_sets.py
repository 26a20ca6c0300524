"""SFMC attribute sets: which sets exist, and how the well-known attributes map onto the canonical contact.

The request rules about them (which sets need which others, required attributes...) are in contact_requests.py.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import phonenumbers

from contacts.services.channel_identities import Identity

EMAIL_ADDRESSES = "Email Addresses"
EMAIL_DEMOGRAPHICS = "Email Demographics"
MOBILECONNECT_DEMOGRAPHICS = "MobileConnect Demographics"
MOBILEPUSH_DEMOGRAPHICS = "MobilePush Demographics"
LINE_ADDRESSES = "GroupConnect LINE Addresses"
LINE_SUBSCRIPTIONS = "GroupConnect LINE Subscriptions"
LINE_DEMOGRAPHICS = "GroupConnect LINE Demographics"

CONTACT_KEY_MAX_LENGTH = 255
# Attributes that become a channel identity's external id (a 255-character column).
IDENTITY_ATTRIBUTES = {(MOBILEPUSH_DEMOGRAPHICS, "Device ID"), (LINE_ADDRESSES, "Address ID")}

# Stable ids for the definitions listing: the same on every server, derived from the set and attribute names.
_DEFINITION_NAMESPACE = uuid.UUID("5f0b7a52-6c1e-4d0e-9a54-2f4d6b1c9e11")


@dataclass(frozen=True)
class AttributeDefinition:
    name: str
    data_type: str
    required: bool = False


@dataclass(frozen=True)
class AttributeSetDefinition:
    name: str
    attributes: tuple[AttributeDefinition, ...]

    @property
    def key(self) -> str:
        """SFMC's customer key of a system set is its name without the spaces (`Email Addresses` → `EmailAddresses`)."""
        return self.name.replace(" ", "")

    @property
    def required(self) -> list[str]:
        return [attribute.name for attribute in self.attributes if attribute.required]


def _required(name: str, data_type: str) -> AttributeDefinition:
    return AttributeDefinition(name, data_type, required=True)


def _optional(name: str, data_type: str) -> AttributeDefinition:
    return AttributeDefinition(name, data_type)


# The system sets this server keeps, their attributes in the order the definitions listing shows them.
ATTRIBUTE_SETS: dict[str, AttributeSetDefinition] = {
    name: AttributeSetDefinition(name, attributes)
    for name, attributes in {
        EMAIL_ADDRESSES: (_required("Email Address", "EmailAddress"), _required("HTML Enabled", "Boolean")),
        EMAIL_DEMOGRAPHICS: (_optional("First Name", "Text"), _optional("Last Name", "Text")),
        MOBILECONNECT_DEMOGRAPHICS: (
            _required("Mobile Number", "Phone"),
            _required("Locale", "Locale"),
            _optional("Status", "Number"),
        ),
        MOBILEPUSH_DEMOGRAPHICS: (_required("Device ID", "Text"), _required("Application", "Text")),
        LINE_ADDRESSES: (_required("Address ID", "Text"),),
        LINE_SUBSCRIPTIONS: (_required("Address ID", "Text"), _required("Channel ID", "Text")),
        LINE_DEMOGRAPHICS: (
            _required("Address ID", "Text"),
            _optional("Display Name", "Text"),
            _optional("Picture Url", "Text"),
            _optional("Status Message", "Text"),
        ),
    }.items()
}

# Attributes whose absence breaks one of the contract's named rules get their own result code;
# any other missing required attribute is "AttributeRequired".
NAMED_REQUIRED_CODES = {
    (EMAIL_ADDRESSES, "HTML Enabled"): "HTMLEnabledRequired",
    (MOBILECONNECT_DEMOGRAPHICS, "Locale"): "LocaleRequired",
    (MOBILEPUSH_DEMOGRAPHICS, "Application"): "ApplicationRequired",
}


def definition_id(*names: str) -> str:
    return str(uuid.uuid5(_DEFINITION_NAMESPACE, "/".join(names)))


def locale_region(value: Any) -> str | None:
    """`US`, `us`, `en_US` or `en-US` → `US`; None when no known region can be read."""
    if not isinstance(value, str):
        return None
    region = re.split(r"[_-]", value.strip())[-1].upper()
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


# The attribute each canonical field is read from (`canonical_fields`): where a service's complaint about the
# field is really about, in SFMC's words.
FIELD_ATTRIBUTES = {
    "email": f"{EMAIL_ADDRESSES}.Email Address",
    "phone": f"{MOBILECONNECT_DEMOGRAPHICS}.Mobile Number",
    "name": f"{EMAIL_DEMOGRAPHICS}.First Name/Last Name",
    "full_name": f"{EMAIL_DEMOGRAPHICS}.First Name/Last Name",
    "contact_key": "contactKey",
}


def canonical_fields(sets: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Service keyword arguments filled from the well-known attributes of the sets given in this request."""
    fields: dict[str, Any] = {}
    if EMAIL_ADDRESSES in sets:
        fields["email"] = text(sets[EMAIL_ADDRESSES][0].get("Email Address"))
    if EMAIL_DEMOGRAPHICS in sets:
        demographics = sets[EMAIL_DEMOGRAPHICS][0]
        if "First Name" in demographics or "Last Name" in demographics:
            name = " ".join(
                part for part in (text(demographics.get("First Name")), text(demographics.get("Last Name"))) if part
            )
            fields["name"] = fields["full_name"] = name
    if MOBILECONNECT_DEMOGRAPHICS in sets:
        mobile = sets[MOBILECONNECT_DEMOGRAPHICS][0]
        fields["phone"] = text(mobile.get("Mobile Number"))
        fields["phone_region"] = locale_region(mobile.get("Locale"))
    return fields


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def channel_identities(sets: Mapping[str, list[dict[str, Any]]]) -> dict[str, list[Identity]]:
    """{channel: identities} for the channels whose sets this request gives (push devices, LINE addresses)."""
    result: dict[str, list[Identity]] = {}
    if MOBILEPUSH_DEMOGRAPHICS in sets:
        result["push"] = [
            Identity("push", text(item.get("Device ID")), {"application": text(item.get("Application"))})
            for item in sets[MOBILEPUSH_DEMOGRAPHICS]
        ]
    if LINE_ADDRESSES in sets:
        subscription = (sets.get(LINE_SUBSCRIPTIONS) or [{}])[0]
        demographics = (sets.get(LINE_DEMOGRAPHICS) or [{}])[0]
        details = {
            "channel_id": text(subscription.get("Channel ID")),
            "display_name": text(demographics.get("Display Name")),
            "picture_url": text(demographics.get("Picture Url")),
            "status_message": text(demographics.get("Status Message")),
        }
        result["line"] = [
            Identity("line", text(item.get("Address ID")), {key: value for key, value in details.items() if value})
            for item in sets[LINE_ADDRESSES]
        ]
    return result
