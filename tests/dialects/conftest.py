import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_client():
    """A DRF test client; send JSON with `format="json"` or raw bodies with `data=..., content_type=...`."""
    return APIClient()
