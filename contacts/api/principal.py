"""What an authenticated API request carries as `request.user`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contacts.models import Organization


@dataclass
class ApiPrincipal:
    """The caller of an API request: an organization acting through one credential with some scopes."""

    organization: Organization
    credential: Any
    scopes: frozenset[str] = field(default_factory=frozenset)

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None

    @property
    def throttle_key(self) -> str:
        return f"{type(self.credential).__name__}:{self.credential.pk}"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
