import pytest

from contacts.errors import ValidationFailed
from contacts.services.phones import format_international, normalize_phone


@pytest.mark.parametrize(
    ("raw", "kwargs", "e164", "valid"),
    [
        # Contactship's example: international with "+".
        ("+12124567890", {}, "+12124567890", True),
        # Mobivate's example: digits with the country code, not valid per libphonenumber but must be accepted.
        ("4479000000001", {}, "+4479000000001", False),
        # Awal's example.
        ("96650000000", {}, "+96650000000", False),
        # SFMC's example with its Locale as region hint.
        ("317-531-5555", {"region_hint": "US"}, "+13175315555", True),
        ("317-531-5555", {"region_hint": "en_US"}, "+13175315555", True),
        # Callbell's example identifier.
        ("123456789", {}, "+123456789", False),
        # Common human formats.
        ("+1 (212) 456-7890", {}, "+12124567890", True),
        ("(212) 456-7890", {"default_region": "US"}, "+12124567890", True),
        ("212.456.7890", {"default_region": "US"}, "+12124567890", True),
        ("0044 7911 123456", {}, "+447911123456", True),
        ("07911 123456", {"default_region": "GB"}, "+447911123456", True),
        ("966 50 123 4567", {}, "+966501234567", True),
        (12124567890, {}, "+12124567890", True),
    ],
)
def test_normalize_phone_accepts_contract_formats(raw, kwargs, e164, valid):
    result = normalize_phone(raw, **kwargs)
    assert (result.e164, result.is_valid) == (e164, valid)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        None,
        "abc",
        "+1-800-FLOWERS",
        "12",
        "123456",
        "+9991234567",
        "+1234567890123456",
        "++12124567890",
        True,
    ],
)
def test_normalize_phone_rejects_invalid_input(raw):
    with pytest.raises(ValidationFailed) as raised:
        normalize_phone(raw, field="msisdn")
    assert raised.value.field == "msisdn"
    assert raised.value.code == "invalid_phone_number"


def test_format_international_for_display():
    assert format_international("+447911123456") == "+44 7911 123456"
    assert format_international("+4479000000001") == "+44 79000000001"
