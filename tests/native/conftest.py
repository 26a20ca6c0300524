import pytest
from rest_framework.test import APIClient

from tests.factories import make_api_key

ALL_V1_SCOPES = ["contacts:read", "contacts:write", "contacts:delete", "settings:write"]


@pytest.fixture
def client_for():
    """An API client authenticated with a new key of `organization` holding `scopes` (all by default)."""

    def make(organization, scopes=None):
        _, secret = make_api_key(organization, scopes=scopes or ALL_V1_SCOPES)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make


@pytest.fixture
def api(organization, client_for):
    return client_for(organization)
