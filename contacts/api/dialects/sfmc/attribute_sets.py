"""SFMC attribute sets: which sets exist, the contract's rules about them, and how they map onto a contact.

The contract's create rules (one channel set at least, the set dependencies, one instance per set, `HTML Enabled`,
no WhatsApp, `contactKey` or `contactID`) are all collected here so that every violation of a request is reported
at once, each as its own `resultMessages` entry, before anything is written.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from django.db import IntegrityError, transaction

from contacts.errors import Conflict
from contacts.models import ChannelIdentity, Contact

EMAIL_ADDRESSES = "Email Addresses"
EMAIL_DEMOGRAPHICS = "Email Demographics"
MOBILECONNECT_DEMOGRAPHICS = "MobileConnect Demographics"
MOBILEPUSH_DEMOGRAPHICS = "MobilePush Demographics"
LINE_ADDRESSES = "GroupConnect LINE Addresses"
LINE_SUBSCRIPTIONS = "GroupConnect LINE Subscriptions"
LINE_DEMOGRAPHICS = "GroupConnect LINE Demographics"

CONTACT_KEY_MAX_LENGTH = 255
# Attributes that become a channel identity's external id (a 255-character column).
_IDENTITY_ATTRIBUTES = {(MOBILEPUSH_DEMOGRAPHICS, "Device ID"), (LINE_ADDRESSES, "Address ID")}

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
    key: str
    attributes: tuple[AttributeDefinition, ...]

    @property
    def required(self) -> list[str]:
        return [attribute.name for attribute in self.attributes if attribute.required]


ATTRIBUTE_SETS: dict[str, AttributeSetDefinition] = {
    definition.name: definition
    for definition in (
        AttributeSetDefinition(
            EMAIL_ADDRESSES,
            "EmailAddresses",
            (
                AttributeDefinition("Email Address", "EmailAddress", required=True),
                AttributeDefinition("HTML Enabled", "Boolean", required=True),
            ),
        ),
        AttributeSetDefinition(
            EMAIL_DEMOGRAPHICS,
            "EmailDemographics",
            (AttributeDefinition("First Name", "Text"), AttributeDefinition("Last Name", "Text")),
        ),
        AttributeSetDefinition(
            MOBILECONNECT_DEMOGRAPHICS,
            "MobileConnectDemographics",
            (
                AttributeDefinition("Mobile Number", "Phone", required=True),
                AttributeDefinition("Locale", "Locale", required=True),
                AttributeDefinition("Status", "Number"),
            ),
        ),
        AttributeSetDefinition(
            MOBILEPUSH_DEMOGRAPHICS,
            "MobilePushDemographics",
            (
                AttributeDefinition("Device ID", "Text", required=True),
                AttributeDefinition("Application", "Text", required=True),
            ),
        ),
        AttributeSetDefinition(
            LINE_ADDRESSES,
            "GroupConnectLINEAddresses",
            (AttributeDefinition("Address ID", "Text", required=True),),
        ),
        AttributeSetDefinition(
            LINE_SUBSCRIPTIONS,
            "GroupConnectLINESubscriptions",
            (
                AttributeDefinition("Address ID", "Text", required=True),
                AttributeDefinition("Channel ID", "Text", required=True),
            ),
        ),
        AttributeSetDefinition(
            LINE_DEMOGRAPHICS,
            "GroupConnectLINEDemographics",
            (
                AttributeDefinition("Address ID", "Text", required=True),
                AttributeDefinition("Display Name", "Text"),
                AttributeDefinition("Picture Url", "Text"),
                AttributeDefinition("Status Message", "Text"),
            ),
        ),
    )
}

# Attributes whose absence breaks one of the contract's named rules get their own result code;
# any other missing required attribute is "AttributeRequired".
_NAMED_REQUIRED_CODES = {
    (EMAIL_ADDRESSES, "HTML Enabled"): "HTMLEnabledRequired",
    (MOBILECONNECT_DEMOGRAPHICS, "Locale"): "LocaleRequired",
    (MOBILEPUSH_DEMOGRAPHICS, "Application"): "ApplicationRequired",
}


def definition_id(*names: str) -> str:
    return str(uuid.uuid5(_DEFINITION_NAMESPACE, "/".join(names)))


@dataclass(frozen=True)
class Violation:
    """One broken rule, rendered as one `resultMessages` entry."""

    code: str
    message: str


@dataclass
class ContactRequest:
    """A contacts create/update body, parsed: the target and the attribute sets as {set name: [item, ...]}."""

    contact_key: str | None = None
    contact_id: int | None = None
    sets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    # False when some set could not be read at all: the dependency rules would then only add noise.
    sets_readable: bool = True
    # False when contactKey/contactID are missing or unreadable, so no contact can be looked up.
    target_readable: bool = True


def parse_contact_request(data: Mapping[str, Any]) -> ContactRequest:
    """Read `contactKey`, `contactID` and `attributeSets`, recording every structural violation.

    The dependency rules between sets are checked separately (`dependency_violations`), because an update
    checks them against the contact's stored sets merged with the request's.
    """
    parsed = ContactRequest()
    _parse_target(data, parsed)
    _parse_sets(data.get("attributeSets"), parsed, given="attributeSets" in data)
    return parsed


def _parse_target(data: Mapping[str, Any], parsed: ContactRequest) -> None:
    key, contact_id = data.get("contactKey"), data.get("contactID")
    if key is not None:
        if not isinstance(key, str) or not key.strip():
            parsed.violations.append(Violation("InvalidContactKey", "contactKey must be a non-empty string"))
        elif len(key.strip()) > CONTACT_KEY_MAX_LENGTH:
            parsed.violations.append(
                Violation("InvalidContactKey", f"contactKey must be at most {CONTACT_KEY_MAX_LENGTH} characters")
            )
        else:
            parsed.contact_key = key.strip()
    if contact_id is not None:
        parsed.contact_id = positive_integer(contact_id)
        if parsed.contact_id is None:
            parsed.violations.append(Violation("InvalidContactID", "contactID must be a positive integer"))
    if key is None and contact_id is None:
        parsed.violations.append(Violation("ContactKeyRequired", "You must provide either contactKey or contactID"))
    parsed.target_readable = not parsed.violations


def positive_integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit() and int(value.strip()) > 0:
        return int(value.strip())
    return None


def _parse_sets(raw: Any, parsed: ContactRequest, *, given: bool) -> None:
    if not isinstance(raw, list) or not raw:
        message = "attributeSets must be a non-empty array" if given else "attributeSets is required"
        parsed.violations.append(Violation("AttributeSetsRequired", message))
        parsed.sets_readable = False
        return
    duplicates: list[str] = []
    for position, entry in enumerate(raw):
        where = f"attributeSets[{position}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
            parsed.violations.append(Violation("InvalidAttributeSet", f"{where} must be an object with a name"))
            parsed.sets_readable = False
            continue
        name = entry["name"].strip()
        if "whatsapp" in name.lower():
            parsed.violations.append(Violation("WhatsAppNotSupported", f"{name}: WhatsApp is not supported"))
            continue
        definition = ATTRIBUTE_SETS.get(name)
        if definition is None:
            parsed.violations.append(Violation("UnknownAttributeSet", f"Unknown attribute set: {name}"))
            continue
        if name in parsed.sets:
            if name not in duplicates:
                duplicates.append(name)
                parsed.violations.append(
                    Violation("DuplicateAttributeSet", f"{name}: each call accepts only one instance of each set")
                )
            continue
        items = _parse_items(entry, definition, parsed)
        if items is None:
            parsed.sets_readable = False
        else:
            parsed.sets[name] = items


def _parse_items(
    entry: Mapping[str, Any], definition: AttributeSetDefinition, parsed: ContactRequest
) -> list[dict[str, Any]] | None:
    name = definition.name
    # The contract's parameter table puts `values` on the set itself while its example nests them in
    # `items`; both are accepted (a bare `values` is one item).
    raw_items = entry.get("items")
    if raw_items is None and "values" in entry:
        raw_items = [{"values": entry["values"]}]
    if not isinstance(raw_items, list) or not raw_items:
        parsed.violations.append(Violation("InvalidAttributeSet", f"{name}: items must be a non-empty array"))
        return None
    items: list[dict[str, Any]] = []
    for index, raw_item in enumerate(raw_items):
        where = f"{name}: items[{index}]"
        values = raw_item.get("values") if isinstance(raw_item, dict) else None
        if not isinstance(values, list):
            parsed.violations.append(Violation("InvalidAttributeSet", f"{where}.values must be an array"))
            return None
        item: dict[str, Any] = {}
        invalid: set[str] = set()
        for pair in values:
            if not isinstance(pair, dict) or not isinstance(pair.get("name"), str) or not pair["name"].strip():
                parsed.violations.append(
                    Violation("InvalidAttributeSet", f"{where}: each value must be an object with a name and a value")
                )
                return None
            attribute = pair["name"].strip()
            value = pair.get("value")
            if attribute in item:
                parsed.violations.append(Violation("DuplicateAttribute", f"{where}: {attribute} is given twice"))
                continue
            if isinstance(value, (dict, list)):
                parsed.violations.append(
                    Violation("InvalidAttributeValue", f"{name}.{attribute} must be a string, number or boolean")
                )
                invalid.add(attribute)
                continue
            item[attribute] = value
        _check_item(definition, item, invalid, parsed)
        items.append(item)
    return items


def _check_item(
    definition: AttributeSetDefinition, item: dict[str, Any], invalid: set[str], parsed: ContactRequest
) -> None:
    name = definition.name
    for attribute in definition.required:
        if item.get(attribute) in (None, "") and attribute not in invalid:
            code = _NAMED_REQUIRED_CODES.get((name, attribute), "AttributeRequired")
            parsed.violations.append(Violation(code, f"{name} requires a value for {attribute}"))
    if name == EMAIL_ADDRESSES and item.get("HTML Enabled") not in (None, ""):
        flag = _boolean(item["HTML Enabled"])
        if flag is None:
            parsed.violations.append(Violation("InvalidAttributeValue", f"{name}.HTML Enabled must be true or false"))
        else:
            item["HTML Enabled"] = flag
    for set_name, attribute in _IDENTITY_ATTRIBUTES:
        if name == set_name and len(_text(item.get(attribute))) > 255:
            parsed.violations.append(
                Violation("InvalidAttributeValue", f"{name}.{attribute} must be at most 255 characters")
            )
    locale = item.get("Locale") if name == MOBILECONNECT_DEMOGRAPHICS else None
    if locale not in (None, "") and locale_region(locale) is None:
        parsed.violations.append(
            Violation("InvalidAttributeValue", f"{name}.Locale must be a country code such as US or en_US")
        )


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def locale_region(value: Any) -> str | None:
    """`US`, `us`, `en_US` or `en-US` → `US`; None when no known region can be read."""
    if not isinstance(value, str):
        return None
    region = re.split(r"[_-]", value.strip())[-1].upper()
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


def dependency_violations(sets: Mapping[str, Any]) -> list[Violation]:
    """The rules about which sets need which others, checked on the sets the contact will have."""
    violations = []
    has_line_channel = LINE_ADDRESSES in sets and LINE_SUBSCRIPTIONS in sets
    if not (
        EMAIL_ADDRESSES in sets
        or MOBILECONNECT_DEMOGRAPHICS in sets
        or MOBILEPUSH_DEMOGRAPHICS in sets
        or has_line_channel
    ):
        violations.append(
            Violation(
                "ChannelAttributeSetRequired",
                "Include at least one of Email Addresses, MobileConnect Demographics, MobilePush Demographics, "
                "or GroupConnect LINE Addresses with GroupConnect LINE Subscriptions",
            )
        )
    if EMAIL_DEMOGRAPHICS in sets and EMAIL_ADDRESSES not in sets:
        violations.append(
            Violation("EmailAddressesRequired", "Email Demographics requires the Email Addresses attribute set")
        )
    if LINE_DEMOGRAPHICS in sets and not has_line_channel:
        violations.append(
            Violation(
                "LINEAddressesRequired",
                "GroupConnect LINE Demographics requires the GroupConnect LINE Addresses and "
                "GroupConnect LINE Subscriptions attribute sets",
            )
        )
    if LINE_ADDRESSES in sets:
        address = _first(sets, LINE_ADDRESSES).get("Address ID")
        for other in (LINE_SUBSCRIPTIONS, LINE_DEMOGRAPHICS):
            if other in sets and _first(sets, other).get("Address ID") != address:
                violations.append(
                    Violation("LINEAddressIDMismatch", f"{other}.Address ID must equal {LINE_ADDRESSES}.Address ID")
                )
    return violations


def _first(sets: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The set's first item; stored sets edited by hand may not have the shape requests have."""
    items = sets.get(name)
    first = items[0] if isinstance(items, list) and items else None
    return first if isinstance(first, Mapping) else {}


def canonical_fields(sets: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Service keyword arguments filled from the well-known attributes of the sets given in this request."""
    fields: dict[str, Any] = {}
    if EMAIL_ADDRESSES in sets:
        fields["email"] = _text(sets[EMAIL_ADDRESSES][0].get("Email Address"))
    if EMAIL_DEMOGRAPHICS in sets:
        demographics = sets[EMAIL_DEMOGRAPHICS][0]
        if "First Name" in demographics or "Last Name" in demographics:
            name = " ".join(
                part for part in (_text(demographics.get("First Name")), _text(demographics.get("Last Name"))) if part
            )
            fields["name"] = fields["full_name"] = name
    if MOBILECONNECT_DEMOGRAPHICS in sets:
        mobile = sets[MOBILECONNECT_DEMOGRAPHICS][0]
        fields["phone"] = _text(mobile.get("Mobile Number"))
        fields["phone_region"] = locale_region(mobile.get("Locale"))
    return fields


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


@dataclass(frozen=True)
class Identity:
    channel: str
    external_id: str
    details: dict[str, Any]


def channel_identities(sets: Mapping[str, list[dict[str, Any]]]) -> dict[str, list[Identity]]:
    """{channel: identities} for the channels whose sets this request gives (push devices, LINE addresses)."""
    result: dict[str, list[Identity]] = {}
    if MOBILEPUSH_DEMOGRAPHICS in sets:
        result["push"] = [
            Identity("push", _text(item.get("Device ID")), {"application": _text(item.get("Application"))})
            for item in sets[MOBILEPUSH_DEMOGRAPHICS]
        ]
    if LINE_ADDRESSES in sets:
        subscription = (sets.get(LINE_SUBSCRIPTIONS) or [{}])[0]
        demographics = (sets.get(LINE_DEMOGRAPHICS) or [{}])[0]
        details = {
            "channel_id": _text(subscription.get("Channel ID")),
            "display_name": _text(demographics.get("Display Name")),
            "picture_url": _text(demographics.get("Picture Url")),
            "status_message": _text(demographics.get("Status Message")),
        }
        result["line"] = [
            Identity("line", _text(item.get("Address ID")), {key: value for key, value in details.items() if value})
            for item in sets[LINE_ADDRESSES]
        ]
    return result


def save_channel_identities(contact: Contact, identities: Mapping[str, list[Identity]], *, replace: bool) -> None:
    """Make `identities` the contact's addresses on their channels. An address that belongs to another contact
    of the organization is a `Conflict` (the unique constraint decides, so concurrent requests cannot both win)."""
    if not identities:
        return
    unique = {(identity.channel, identity.external_id): identity for group in identities.values() for identity in group}
    try:
        with transaction.atomic():
            if replace:
                ChannelIdentity.objects.filter(contact=contact, channel__in=list(identities)).delete()
            ChannelIdentity.objects.bulk_create(
                [
                    ChannelIdentity(
                        organization_id=contact.organization_id,
                        contact=contact,
                        channel=identity.channel,
                        external_id=identity.external_id,
                        details=identity.details,
                    )
                    for identity in unique.values()
                ]
            )
    except IntegrityError:
        raise Conflict(
            "channel_identity",
            "A MobilePush Device ID or LINE Address ID in this request already belongs to another contact",
        ) from None
