"""Awal, mounted at `/awal/` (crm/urls.py). A trailing slash reaches the same endpoint, as on Awal's own router;
the signature still covers the path exactly as the client sent it."""

from django.urls import path, re_path

from contacts.api.dialects.awal.views import AwalContactDetailView, AwalContactListView, AwalUnknownPathView

urlpatterns = [
    path("contacts", AwalContactListView.as_view(), name="awal-contacts"),
    path("contacts/", AwalContactListView.as_view()),
    path("contacts/<int:contact_id>", AwalContactDetailView.as_view(), name="awal-contact"),
    path("contacts/<int:contact_id>/", AwalContactDetailView.as_view()),
    # Last: every other path under the mount is a 404 in Awal's error body.
    re_path(r"^.*$", AwalUnknownPathView.as_view(), name="awal-unknown"),
]
