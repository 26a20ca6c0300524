"""Mobivate routes under /mobivate. A trailing slash is tolerated; anything else is a Mobivate-shaped 404."""

from django.urls import re_path

from contacts.api.dialects.mobivate.views import (
    MobivateContactCreateView,
    MobivateContactDetailView,
    MobivateContactListView,
    MobivateNotFoundView,
)

urlpatterns: list = [
    re_path(r"^addressbook/contacts/?$", MobivateContactListView.as_view(), name="mobivate-contacts"),
    re_path(r"^contacts/?$", MobivateContactCreateView.as_view(), name="mobivate-contacts-create"),
    re_path(
        r"^addressbook/contacts/(?P<reference>[^/]+)/?$",
        MobivateContactDetailView.as_view(),
        name="mobivate-contact",
    ),
    re_path(r"^", MobivateNotFoundView.as_view(), name="mobivate-not-found"),
]
