"""Mobivate routes under /mobivate (mounted by the registry). A trailing slash is tolerated; anything else is the
registry's catch-all, a Mobivate-shaped 404."""

from django.urls import re_path

from contacts.api.dialects.mobivate.views import (
    MobivateContactCreateView,
    MobivateContactDetailView,
    MobivateContactListView,
)

urlpatterns: list = [
    re_path(r"^addressbook/contacts/?$", MobivateContactListView.as_view(), name="mobivate-contacts"),
    re_path(r"^contacts/?$", MobivateContactCreateView.as_view(), name="mobivate-contacts-create"),
    re_path(
        r"^addressbook/contacts/(?P<reference>[^/]+)/?$",
        MobivateContactDetailView.as_view(),
        name="mobivate-contact",
    ),
]
