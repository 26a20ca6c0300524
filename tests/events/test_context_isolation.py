"""What a view names for its events (surface, caller) ends with its request, with or without the middleware."""

from __future__ import annotations

import pytest
from rest_framework.test import APIRequestFactory, force_authenticate

from contacts.api.native.contacts import ContactListView
from contacts.api.principal import ApiPrincipal
from contacts.services.contacts import create_contact
from events.models import ContactEvent
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db


def test_a_view_called_without_the_middleware_leaves_nothing_for_later_writes(organization):
    key, _ = make_api_key(organization, scopes=["contacts:write"])
    request = APIRequestFactory().post("/api/v1/contacts", {"name": "Ada"}, format="json")
    force_authenticate(request, user=ApiPrincipal(organization=organization, credential=key,
                                                  scopes=frozenset(["contacts:write"])))  # fmt: skip

    assert ContactListView.as_view()(request).status_code == 201
    create_contact(organization=organization, name="Grace")  # as a shell or a later job in this thread would

    events = ContactEvent.objects.order_by("id").values_list("surface", "actor_kind", "actor_name")
    assert list(events) == [("native", "api_key", "test key"), ("system", "system", "")]
