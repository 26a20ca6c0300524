"""Callbell, mounted at `/callbell/` by the registry; every other path is the registry's catch-all, a 404 in
Callbell's error body."""

from django.urls import re_path

from contacts.api.dialects.callbell import views

# A trailing slash is optional: clients built against api.callbell.eu send none, some HTTP libraries add one.
urlpatterns = [
    re_path(r"^v1/contacts/?$", views.CallbellContactListView.as_view(), name="callbell-contacts"),
    re_path(
        r"^v1/contacts/phone/(?P<number>[^/]+)/?$",
        views.CallbellContactByPhoneView.as_view(),
        name="callbell-contact-by-phone",
    ),
    re_path(
        r"^v1/contacts/(?P<contact_uuid>[^/]+)/?$",
        views.CallbellContactDetailView.as_view(),
        name="callbell-contact",
    ),
]
