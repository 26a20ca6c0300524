"""Error kinds and codes are enums whose values are a contract: dialect maps, vendors' bodies and clients compare
the strings, so a member may be added but never renamed."""

from __future__ import annotations

from contacts.api.errors import ErrorKind, RequestCode
from contacts.errors import ErrorCode, ValidationFailed


def test_error_kinds_are_stable_strings():
    assert [member.value for member in ErrorKind] == [
        "validation",
        "unknown_reference",
        "malformed",
        "too_large",
        "conflict",
        "not_found",
        "forbidden",
        "unauthenticated",
        "method_not_allowed",
        "unsupported_media_type",
        "not_acceptable",
        "throttled",
        "error",
        "unavailable",
        "internal",
    ]


def test_domain_error_codes_are_stable_strings():
    assert [member.value for member in ErrorCode] == [
        "invalid_phone_number",
        "invalid_image",
        "file_too_large",
        "invalid_encoding",
        "not_csv",
        "unstorable_text",
    ]


def test_request_codes_are_stable_strings():
    assert [member.value for member in RequestCode] == ["suspicious_request"]


def test_a_code_given_as_its_string_is_the_member():
    assert ValidationFailed("phone", "bad", code="invalid_phone_number").code is ErrorCode.INVALID_PHONE_NUMBER
    assert ValidationFailed("phone", "bad", code="some_other_code").code == "some_other_code"
    assert ValidationFailed("phone", "bad").code is None
