"""Domain errors raised by services and rendered by each API surface in its own error body."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Why a value was refused, when the surface answering needs more than the error's class to say so (a
    vendor's own code for a bad phone, an import's "not a CSV"). The values are part of the surfaces' contract:
    renderers and clients compare them, so a member is never renamed."""

    INVALID_PHONE_NUMBER = "invalid_phone_number"
    INVALID_IMAGE = "invalid_image"
    FILE_TOO_LARGE = "file_too_large"
    INVALID_ENCODING = "invalid_encoding"
    NOT_CSV = "not_csv"
    UNSTORABLE_TEXT = "unstorable_text"


def _as_code(code: ErrorCode | str | None) -> ErrorCode | str | None:
    # A code given as its string (an import's row process sends it through a pipe) becomes the member again.
    try:
        return ErrorCode(code) if code is not None else None
    except ValueError:
        return code


class ContactsError(Exception):
    """Base class. `field` names the input at fault (None when no single field is)."""

    default_message = "Request failed"

    def __init__(
        self, field: str | None = None, message: str | None = None, *, code: ErrorCode | str | None = None
    ) -> None:
        self.field = field
        self.message = message or self.default_message
        self.code = _as_code(code)
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(field={self.field!r}, message={self.message!r}, code={self.code!r})"


class ValidationFailed(ContactsError):
    """Input that can never succeed as given. `details` holds one message per field when several fail."""

    default_message = "Invalid input"

    def __init__(
        self,
        field: str | None = None,
        message: str | None = None,
        *,
        code: ErrorCode | str | None = None,
        details: dict[str, str] | None = None,
    ) -> None:
        super().__init__(field, message, code=code)
        self.details = details if details is not None else ({field: self.message} if field else {})


class UnknownReference(ValidationFailed):
    """The input names a tag, group, field, user, team or branch that the organization does not have."""

    default_message = "Unknown reference"


class Conflict(ContactsError):
    """A unique value (phone, alias, contact_key...) is already taken in the organization."""

    default_message = "Already exists"


class NotFound(ContactsError):
    default_message = "Not found"


class PermissionDenied(ContactsError):
    """The credential lacks `scope`."""

    default_message = "Permission denied"

    def __init__(self, scope: str, message: str | None = None) -> None:
        super().__init__(None, message or f"Missing permission {scope}")
        self.scope = scope
