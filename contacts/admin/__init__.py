"""The staff admin. Every ModelAdmin is organization-scoped (contacts.admin.scoping)."""

from contacts.admin import contacts, credentials, imports, tenancy  # noqa: F401 - registers the ModelAdmins
