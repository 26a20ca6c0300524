"""The staff admin. Every ModelAdmin is organization-scoped (contacts.admin.scoping)."""

from django.contrib import admin

from contacts.admin import contacts, credentials, imports, tenancy  # noqa: F401 - registers the ModelAdmins

# The product's name on every admin page, the login page and the browser tab, instead of "Django administration".
admin.site.site_header = "Contacts CRM"
admin.site.site_title = "Contacts CRM"
admin.site.index_title = "Contacts CRM administration"
