"""The scope each HTTP method of a resource needs (a view's `required_scopes`), for the usual two resources."""

from __future__ import annotations

from contacts.models import Scope

READ_SCOPES = {"GET": Scope.CONTACTS_READ, "HEAD": Scope.CONTACTS_READ}
# A collection: read it, or create in it.
LIST_SCOPES = {**READ_SCOPES, "POST": Scope.CONTACTS_CREATE}
# One item: read, change or delete it.
DETAIL_SCOPES = {**READ_SCOPES, "PATCH": Scope.CONTACTS_UPDATE, "DELETE": Scope.CONTACTS_DELETE}
