"""Phone normalization: the one policy every surface uses (docs/architecture.md, "Phones")."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat

from contacts.errors import ValidationFailed

_SEPARATORS = re.compile(r"[\s\-.()/]")
_ACCEPTED = re.compile(r"\+?[0-9]+")


@dataclass(frozen=True)
class NormalizedPhone:
    e164: str
    is_valid: bool

    @property
    def digits(self) -> str:
        return self.e164[1:]


def normalize_phone(
    raw: object,
    *,
    default_region: str | None = None,
    region_hint: str | None = None,
    field: str = "phone",
) -> NormalizedPhone:
    """Return the E.164 form of `raw` and libphonenumber's verdict on it.

    Numbers that libphonenumber calls invalid are still accepted when their country calling code exists and
    they have 7 to 15 digits: the vendor contracts' own examples (`4479000000001`, `96650000000`) are such
    numbers, and a documented example must work. Anything else raises `ValidationFailed` naming `field`.
    """
    if raw is None or isinstance(raw, bool):
        raise ValidationFailed(field, "Phone number is required", code="invalid_phone_number")
    text = str(raw).strip()
    cleaned = _SEPARATORS.sub("", text)
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if not cleaned:
        raise ValidationFailed(field, "Phone number is required", code="invalid_phone_number")
    if not _ACCEPTED.fullmatch(cleaned):
        raise ValidationFailed(field, f"{text!r} is not a phone number", code="invalid_phone_number")

    # Readings in order of preference, parsed lazily: the first valid one wins, else the first acceptable.
    if cleaned.startswith("+"):
        readings = [(cleaned, None)]
    else:
        hint = _region(region_hint)
        default = _region(default_region)
        readings = [(cleaned, hint)] if hint else []
        readings.append(("+" + cleaned, None))
        if default and default != hint:
            readings.append((cleaned, default))

    fallback: PhoneNumber | None = None
    for candidate_text, region in readings:
        number = _parse(candidate_text, region)
        if number is None or not _acceptable(number):
            continue
        if phonenumbers.is_valid_number(number):
            return NormalizedPhone(e164=phonenumbers.format_number(number, PhoneNumberFormat.E164), is_valid=True)
        fallback = fallback or number
    if fallback is None:
        raise ValidationFailed(field, f"{text!r} is not a valid phone number", code="invalid_phone_number")
    return NormalizedPhone(e164=phonenumbers.format_number(fallback, PhoneNumberFormat.E164), is_valid=False)


def _region(region: str | None) -> str | None:
    if not region:
        return None
    region = str(region).strip().upper()
    # SFMC sends locales such as "en_US" or "US"; the region is the last two letters.
    if "_" in region or "-" in region:
        region = re.split(r"[_-]", region)[-1]
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


def _parse(text: str, region: str | None) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


def _acceptable(number: PhoneNumber) -> bool:
    if phonenumbers.region_code_for_country_code(number.country_code) == phonenumbers.UNKNOWN_REGION:
        return False
    digits = phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]
    return 7 <= len(digits) <= 15


def format_international(e164: str) -> str:
    """`+447900000001` → `+44 7900 000001`; numbers libphonenumber cannot format are returned unchanged."""
    number = _parse(e164, None)
    if number is None:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
