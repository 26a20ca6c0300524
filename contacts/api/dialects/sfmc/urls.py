"""Salesforce Marketing Cloud, mounted at `/sfmc/`: the paths SFMC documents, then a catch-all 404."""

from django.urls import path, re_path

from contacts.api.dialects.sfmc import views

app_name = "sfmc"

urlpatterns = [
    path("v2/token", views.SfmcTokenView.as_view(), name="token"),
    path("contacts/v1/contacts", views.SfmcContactsView.as_view(), name="contacts"),
    path("contacts/v1/contacts/actions/delete", views.SfmcContactDeleteView.as_view(), name="contacts-delete"),
    path("contacts/v1/addresses/email/search", views.SfmcEmailSearchView.as_view(), name="email-search"),
    path(
        "contacts/v1/attributeSetDefinitions",
        views.SfmcAttributeSetDefinitionsView.as_view(),
        name="attribute-set-definitions",
    ),
    re_path(r"^.*$", views.SfmcNotFoundView.as_view(), name="not-found"),
]
