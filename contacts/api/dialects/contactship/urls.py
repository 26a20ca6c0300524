"""Mounted at `/contactship/` by the registry. A trailing slash is accepted; every other path is the registry's
catch-all, a Contactship 404."""

from django.urls import re_path

from contacts.api.dialects.contactship.views import ContactshipContactDetailView, ContactshipContactListView

urlpatterns: list = [
    re_path(r"^v1/contacts/?$", ContactshipContactListView.as_view(), name="contactship-contacts"),
    re_path(
        r"^v1/contacts/(?P<identifier>[^/]+)/?$", ContactshipContactDetailView.as_view(), name="contactship-contact"
    ),
]
