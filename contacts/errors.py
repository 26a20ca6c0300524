"""Domain errors raised by services and rendered by each API surface in its own error body."""

from __future__ import annotations


class ContactsError(Exception):
    """Base class. `field` names the input at fault (None when no single field is)."""

    default_message = "Request failed"

    def __init__(self, field: str | None = None, message: str | None = None, *, code: str | None = None) -> None:
        self.field = field
        self.message = message or self.default_message
        self.code = code
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
        code: str | None = None,
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
