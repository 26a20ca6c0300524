"""Salesforce Marketing Cloud, mounted at `/sfmc/` by the registry: the paths SFMC documents (the registry adds
the catch-all 404 after them).

SFMC's paths are case-insensitive (its Node client lowercases them), and each takes an optional trailing slash.
"""

from contacts.api.dialects.sfmc import views
from contacts.api.dialects.sfmc.token import SfmcTokenView
from contacts.api.paths import re_path_ignoring_case

app_name = "sfmc"

urlpatterns = [
    re_path_ignoring_case(r"^v2/token/?$", SfmcTokenView.as_view(), name="token"),
    re_path_ignoring_case(r"^contacts/v1/contacts/?$", views.SfmcContactsView.as_view(), name="contacts"),
    re_path_ignoring_case(
        r"^contacts/v1/contacts/actions/delete/?$", views.SfmcContactDeleteView.as_view(), name="contacts-delete"
    ),
    re_path_ignoring_case(
        r"^contacts/v1/addresses/email/search/?$", views.SfmcEmailSearchView.as_view(), name="email-search"
    ),
    re_path_ignoring_case(
        r"^contacts/v1/attributeSetDefinitions/?$",
        views.SfmcAttributeSetDefinitionsView.as_view(),
        name="attribute-set-definitions",
    ),
]
