"""Awal, mounted at `/awal/` (the registry, contacts/api/dialects/awal/__init__.py). A trailing slash reaches the
same endpoint, as on Awal's own router; the signature still covers the path exactly as the client sent it. Every
other path is the registry's catch-all: a 404 in Awal's error body."""

from django.urls import path

from contacts.api.dialects.awal.views import AwalContactDetailView, AwalContactListView

urlpatterns = [
    path("contacts", AwalContactListView.as_view(), name="awal-contacts"),
    path("contacts/", AwalContactListView.as_view()),
    path("contacts/<int:contact_id>", AwalContactDetailView.as_view(), name="awal-contact"),
    path("contacts/<int:contact_id>/", AwalContactDetailView.as_view()),
]
