import pytest
from django.core.cache import cache
from django.core.servers.basehttp import WSGIServer

from tests.factories import OrganizationFactory, make_api_key

# The concurrency tests open a few dozen connections to the live server at once; Django's listen backlog of 10
# overflows, and the kernel then resets some of them.
WSGIServer.request_queue_size = 128


@pytest.fixture(autouse=True)
def _isolated_media_and_cache(settings, tmp_path):
    """Uploaded files land in a per-test folder; throttle and replay counters start empty."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Acme", slug="acme", default_region="US")


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Globex", slug="globex", default_region="GB")


@pytest.fixture
def api_key(organization):
    """(ApiKey, secret) with every scope, in `organization`."""
    return make_api_key(organization)


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL features (row locks under real concurrency, GIN, trigram)."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
