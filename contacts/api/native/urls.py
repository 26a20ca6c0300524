"""`/api/v1/` routes. A trailing slash is tolerated; any other path is a 404 problem."""

from django.urls import re_path

from contacts.api.native import vocabularies as v
from contacts.api.native.base import NativeNotFoundView
from contacts.api.native.batch import ContactBatchView
from contacts.api.native.contacts import ContactDetailView, ContactListView, ContactLookupView
from contacts.api.native.history import ContactHistoryView, EventListView
from webhooks import api as webhooks

urlpatterns: list = [
    re_path(r"^contacts/?$", ContactListView.as_view(), name="v1-contacts"),
    re_path(r"^contacts/batch/?$", ContactBatchView.as_view(), name="v1-contact-batch"),
    re_path(r"^contacts/lookup/?$", ContactLookupView.as_view(), name="v1-contact-lookup"),
    re_path(r"^contacts/(?P<contact_id>[^/]+)/?$", ContactDetailView.as_view(), name="v1-contact"),
    re_path(r"^contacts/(?P<contact_id>[^/]+)/history/?$", ContactHistoryView.as_view(), name="v1-contact-history"),
    re_path(r"^events/?$", EventListView.as_view(), name="v1-events"),
]

for prefix, vocabulary in (
    ("tags", v.TAGS),
    ("groups", v.GROUPS),
    ("custom-fields", v.CUSTOM_FIELDS),
    ("branches", v.BRANCHES),
    ("teams", v.TEAMS),
    ("sender-numbers", v.SENDER_NUMBERS),
):
    urlpatterns += [
        re_path(rf"^{prefix}/?$", v.VocabularyListView.as_view(vocabulary=vocabulary), name=f"v1-{prefix}"),
        re_path(
            rf"^{prefix}/(?P<entry_id>[^/]+)/?$",
            v.VocabularyDetailView.as_view(vocabulary=vocabulary),
            name=f"v1-{prefix}-entry",
        ),
    ]

urlpatterns += [
    re_path(r"^webhooks/?$", webhooks.WebhookListView.as_view(), name="v1-webhooks"),
    re_path(r"^webhooks/(?P<endpoint_id>[^/]+)/?$", webhooks.WebhookDetailView.as_view(), name="v1-webhook"),
    re_path(
        r"^webhooks/(?P<endpoint_id>[^/]+)/rotate-secret/?$",
        webhooks.RotateSecretView.as_view(),
        name="v1-webhook-rotate-secret",
    ),
    re_path(r"^webhooks/(?P<endpoint_id>[^/]+)/test/?$", webhooks.TestEventView.as_view(), name="v1-webhook-test"),
]

urlpatterns.append(re_path(r"^", NativeNotFoundView.as_view(), name="v1-not-found"))
