"""Schemathesis against the served OpenAPI schema, every /api/v1/ operation, in-process through the WSGI app.

Three credentials: one with every scope (never a server error, every answer as the schema describes it), a
read-only one (every write a 403 problem, nothing changed) and one of another organization (never sees nor
changes the first organization's rows). Each request runs in a savepoint rolled back after its checks, so every
case meets the same seeded organization. Seeded and derandomized: a CI run repeats the previous one."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
import schemathesis
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from crm.wsgi import application
from tests.factories import OrganizationFactory
from tests.native.conftest import ALL_V1_SCOPES
from tests.native.schemathesis_support import (
    World,
    bearer,
    contact_filters,
    cross_links,
    in_test_transaction,
    prefer,
    seed,
    snapshot,
    with_item_references,
    with_references,
)

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


# Examples per operation and mode are multiplied by SCHEMATHESIS_SCALE (default 1, about two minutes of CI in
# all): a longer hunt is `SCHEMATHESIS_SCALE=10 pytest tests/native/test_schemathesis.py`.
SCALE = int(os.environ.get("SCHEMATHESIS_SCALE", "1"))


def fuzz_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples * SCALE,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
        # A failure is reported as generated: shrinking a request costs minutes of CI for a smaller example.
        phases=[Phase.explicit, Phase.generate],
    )


@pytest.fixture
def world(organization) -> World:
    return seed(organization, marker="Acme")


@pytest.fixture
def operations(world: World) -> list[APIOperation]:
    """The /api/v1/ operations of the schema the app serves, their path ids mostly the seeded organization's."""
    document = Client().get("/api/schema/?format=json").json()
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = in_test_transaction(application)

    @loaded.hook
    def flatmap_path_parameters(context, path_parameters):
        ids = world.path_ids(context.operation.path)
        name = next(iter(path_parameters or {}), None)
        if name is None or not ids:
            return st.just(path_parameters)
        return prefer(ids, path_parameters[name]).map(lambda value: {**path_parameters, name: value})

    @loaded.hook
    def flatmap_body(context, body):
        label = context.operation.label
        if label in ("POST /api/v1/contacts", "PATCH /api/v1/contacts/{contact_id}"):
            return with_references(world, body)
        if label == "POST /api/v1/contacts/batch":
            return with_item_references(world, body)
        return st.just(body)

    @loaded.hook
    def flatmap_query(context, query):
        if context.operation.label == "GET /api/v1/contacts":
            return contact_filters(world, query)
        return st.just(query)

    return [result.ok() for result in loaded.include(path_regex=r"^/api/v1/").get_all_operations()]


def send(case: Case, headers: dict[str, str]):
    """The case with the context's key: a negative case may have mangled the one it was generated with, and a
    401 tells nothing about the operation."""
    case.headers = {**(case.headers or {}), **headers}
    return case.call_and_validate(checks=CHECKS)


def fuzz(subtests, operations: list[APIOperation], max_examples: int, test: Callable[[Case], None]) -> None:
    """`test` on generated cases of each operation, positive and negative, each operation a subtest. Negative
    cases get half as many: most are refused by the first check they meet, so more of them find little more."""
    labels = {operation.label for operation in operations}
    assert {"POST /api/v1/contacts/batch", "GET /api/v1/contacts/lookup", "DELETE /api/v1/teams/{entry_id}"} <= labels
    for operation in operations:
        for mode, examples in ((GenerationMode.POSITIVE, max_examples), (GenerationMode.NEGATIVE, max_examples // 2)):
            with subtests.test(operation=operation.label, mode=mode.value):
                fuzz_settings(examples)(given(case=operation.as_strategy(generation_mode=mode))(test))()


@pytest.fixture
def every_scope(world: World) -> dict[str, str]:
    return bearer(world.organization, ALL_V1_SCOPES)


@pytest.fixture
def read_only(world: World) -> dict[str, str]:
    return bearer(world.organization, ["contacts:read"])


@pytest.fixture
def another_organization(world: World) -> dict[str, str]:
    """A key of Globex, seeded as Acme is; the generated paths name either organization's rows."""
    globex = OrganizationFactory(name="Globex", slug="globex")
    world.neighbour = seed(globex, marker="Globex")
    return bearer(globex, ALL_V1_SCOPES)


def fresh_budget() -> None:
    """The request budget (600 a minute per key) is not what is under test; the cases would exhaust it."""
    cache.clear()


def test_every_scope(subtests, operations, every_scope):
    def test(case: Case) -> None:
        fresh_budget()
        with transaction.atomic():
            send(case, every_scope)
            assert cross_links() == []
            transaction.set_rollback(True)

    fuzz(subtests, operations, 25, test)


def test_read_only_key_writes_nothing(subtests, operations, world, read_only):
    before = snapshot(world.organization)

    def test(case: Case) -> None:
        fresh_budget()
        response = send(case, read_only)
        if case.method.upper() in WRITE_METHODS:
            assert response.status_code == 403, response.text
            assert response.json()["type"] == "urn:crm:problem:forbidden", response.text
        assert snapshot(world.organization) == before

    fuzz(subtests, operations, 8, test)


def test_another_organization_never_meets_the_first(subtests, operations, world, another_organization):
    before = snapshot(world.organization)

    def test(case: Case) -> None:
        fresh_budget()
        with transaction.atomic():
            response = send(case, another_organization)
            # A name the request itself sent may come back in a problem's detail ("Unknown tag: Acme vip").
            sent = repr((case.path_parameters, case.query, case.body))
            leaked = [secret for secret in world.secrets if secret in response.text and secret not in sent]
            assert leaked == [], response.text
            if world.owns(case.operation.path, case.path_parameters):
                assert response.status_code >= 400, response.text
            assert snapshot(world.organization) == before
            assert cross_links() == []
            transaction.set_rollback(True)

    fuzz(subtests, operations, 8, test)
