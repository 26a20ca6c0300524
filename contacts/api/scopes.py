"""The scope each HTTP method of a resource needs (a view's `required_scopes`), for the usual resources.

The dialects keep their vendors' split (create, update and delete apart); the native API asks for `contacts:write`
to create or change contacts and `settings:write` to change a vocabulary.
"""

from __future__ import annotations

from contacts.models import Scope

READ_SCOPES = {"GET": Scope.CONTACTS_READ, "HEAD": Scope.CONTACTS_READ}
# A collection: read it, or create in it.
LIST_SCOPES = {**READ_SCOPES, "POST": Scope.CONTACTS_CREATE}
# One item: read, change or delete it.
DETAIL_SCOPES = {**READ_SCOPES, "PATCH": Scope.CONTACTS_UPDATE, "DELETE": Scope.CONTACTS_DELETE}

NATIVE_CONTACT_LIST_SCOPES = {**READ_SCOPES, "POST": Scope.CONTACTS_WRITE}
NATIVE_CONTACT_SCOPES = {**READ_SCOPES, "PATCH": Scope.CONTACTS_WRITE, "DELETE": Scope.CONTACTS_DELETE}
SETTINGS_LIST_SCOPES = {**READ_SCOPES, "POST": Scope.SETTINGS_WRITE}
SETTINGS_SCOPES = {**READ_SCOPES, "PATCH": Scope.SETTINGS_WRITE, "DELETE": Scope.SETTINGS_WRITE}
