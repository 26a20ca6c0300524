"""Mounted at `/contactship/` by crm/urls.py. A trailing slash is accepted; every other path is a Contactship 404."""

from django.urls import re_path

from contacts.api.dialects.contactship.views import (
    ContactshipContactDetailView,
    ContactshipContactListView,
    ContactshipNotFoundView,
)

urlpatterns: list = [
    re_path(r"^v1/contacts/?$", ContactshipContactListView.as_view(), name="contactship-contacts"),
    re_path(
        r"^v1/contacts/(?P<identifier>[^/]+)/?$", ContactshipContactDetailView.as_view(), name="contactship-contact"
    ),
    re_path(r"^.*$", ContactshipNotFoundView.as_view(), name="contactship-not-found"),
]
