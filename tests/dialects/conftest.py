import pytest

from tests.dialects.base import CommittingAPIClient


@pytest.fixture
def api_client():
    """A DRF test client; send JSON with `format="json"` or raw bodies with `data=..., content_type=...`."""
    return CommittingAPIClient()


@pytest.fixture
def surface(request, organization):
    """One dialect endpoint set up with credentials in `organization`; parametrize indirectly with a Surface class
    (tests/dialects/test_failures.py)."""
    instance = request.param()
    instance.setup(organization)
    return instance
