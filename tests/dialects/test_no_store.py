"""Answers of every dialect carry personal data (or say whether a person exists): no cache may keep them."""

from __future__ import annotations

import pytest

from tests.dialects.test_failures import SURFACES, send


@pytest.mark.django_db
@pytest.mark.parametrize("surface", SURFACES, ids=[s.name for s in SURFACES], indirect=True)
def test_successful_answers_are_not_stored(surface):
    for call in (surface.create(), surface.read()):
        response = send(call)

        assert response.status_code in (200, 201), response.content
        assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
@pytest.mark.parametrize("surface", SURFACES, ids=[s.name for s in SURFACES], indirect=True)
def test_error_answers_are_not_stored(surface):
    call = surface.read()
    # Without credentials: the headers that carry them, and the token endpoint's body.
    call.headers = {name: value for name, value in call.headers.items() if name == "Content-Type"}
    if call.path == "/sfmc/v2/token":
        call.body = b'{"grant_type": "client_credentials"}'

    response = send(call)

    assert response.status_code in (400, 401)
    assert response["Cache-Control"] == "no-store"
