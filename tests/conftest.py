from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.servers.basehttp import WSGIServer
from django.test import Client

from contacts.models import Membership
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, make_api_key

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


class StaffClient(Client):
    """An admin test client logged in as `user`. Calling it makes another staff member and returns their client:
    `staff_client(organization, role=Membership.Role.AGENT, username="bob")`, `staff_client(superuser=True)`."""

    def __init__(self, user, default_organization) -> None:
        super().__init__()
        self.user = user
        self._default_organization = default_organization
        if user is not None:
            self.force_login(user)

    def __call__(
        self,
        organization=None,
        *,
        role: str = Membership.Role.ADMIN,
        username: str = "alice",
        email: str | None = None,
        superuser: bool = False,
        member: bool = True,
    ) -> StaffClient:
        return StaffClient(
            make_staff(
                organization or self._default_organization,
                role=role, username=username, email=email, superuser=superuser, member=member,
            ),
            self._default_organization,
        )  # fmt: skip


def make_staff(
    organization=None,
    *,
    role: str = Membership.Role.ADMIN,
    username: str = "alice",
    email: str | None = None,
    superuser: bool = False,
    member: bool = True,
):
    """A staff user; a member of `organization` with `role` unless a superuser or `member=False`."""
    user = UserFactory(
        username=username,
        email=email if email is not None else f"{username}@acme.test",
        is_staff=True,
        is_superuser=superuser,
    )
    if organization is not None and member and not superuser:
        MembershipFactory(user=user, organization=organization, role=role)
    return user


@pytest.fixture
def staff(organization):
    """alice@acme.test, staff and an admin of `organization`."""
    return make_staff(organization)


@pytest.fixture
def staff_client(staff, organization) -> StaffClient:
    """The admin, logged in as `staff`; call it for another staff member's client (see `StaffClient`)."""
    return StaffClient(staff, organization)


@pytest.fixture
def superuser_client(db) -> StaffClient:
    """The admin, logged in as root, a superuser (member of no organization; no organization is made)."""
    return StaffClient(make_staff(username="root", superuser=True), None)


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL features (row locks under real concurrency, GIN, trigram)."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
