"""An SFMC contacts create/update body read into a `ContactRequest`, with every rule it breaks.

The contract's create rules (one channel set at least, the set dependencies, one instance per set, `HTML Enabled`,
no WhatsApp, `contactKey` or `contactID`) are all collected here so that every violation of a request is reported
at once, each as its own `resultMessages` entry, before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contacts.api.dialects.sfmc.attribute_sets import (
    ATTRIBUTE_SETS,
    CONTACT_KEY_MAX_LENGTH,
    EMAIL_ADDRESSES,
    EMAIL_DEMOGRAPHICS,
    IDENTITY_ATTRIBUTES,
    LINE_ADDRESSES,
    LINE_DEMOGRAPHICS,
    LINE_SUBSCRIPTIONS,
    MOBILECONNECT_DEMOGRAPHICS,
    MOBILEPUSH_DEMOGRAPHICS,
    NAMED_REQUIRED_CODES,
    AttributeSetDefinition,
    locale_region,
    text,
)


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
            code = NAMED_REQUIRED_CODES.get((name, attribute), "AttributeRequired")
            parsed.violations.append(Violation(code, f"{name} requires a value for {attribute}"))
    if name == EMAIL_ADDRESSES and item.get("HTML Enabled") not in (None, ""):
        flag = _boolean(item["HTML Enabled"])
        if flag is None:
            parsed.violations.append(Violation("InvalidAttributeValue", f"{name}.HTML Enabled must be true or false"))
        else:
            item["HTML Enabled"] = flag
    for set_name, attribute in IDENTITY_ATTRIBUTES:
        if name == set_name and len(text(item.get(attribute))) > 255:
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
