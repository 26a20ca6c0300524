import pytest
from django.test import TestCase
from rest_framework.test import APIClient


class CommittingAPIClient(APIClient):
    """Runs what a request deferred to its commit (avatar files written, replaced ones deleted) when the request
    ends, as a real server does; inside a test's transaction the commit itself never comes."""

    def request(self, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**kwargs)


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
