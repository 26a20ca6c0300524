"""An organization set up without the admin: credentials from the commands, vocabularies through the native API,
then contacts written through every dialect using what the native API made."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from contacts.models import Contact
from tests.dialects.base import AwalTestClient, encode_form

pytestmark = pytest.mark.django_db


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def secret_after(label: str, output: str) -> str:
    return re.search(rf"{label}\s*(\S+)", output).group(1)


def test_an_api_only_organization_sets_up_its_vocabularies_then_writes_through_every_dialect(organization):
    slug = organization.slug
    api_key = run("create_api_key", "--org", slug, "--name", "integration").strip().splitlines()[-1]
    hmac_out = run("create_hmac_client", "--org", slug, "--name", "awal", "--client-id", "awal-client")
    oauth_out = run("create_oauth_client", "--org", slug, "--name", "sfmc", "--client-id", "sfmc-client")
    native = APIClient()
    native.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")

    def make(path: str, body: dict) -> dict:
        response = native.post(f"/api/v1/{path}", body, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    make("tags", {"name": "VIP"})
    group = make("groups", {"name": "Riyadh"})
    branch = make("branches", {"name": "North"})
    team = make("teams", {"name": "Support"})
    make("custom-fields", {"key": "plan", "type": "choice", "choices": ["free", "pro"]})
    make("custom-fields", {"key": "CITY", "type": "text"})
    make("sender-numbers", {"phone": "+966500000001", "external_id": "9001", "label": "Main line"})

    callbell = APIClient()
    callbell.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    called = callbell.post(
        "/callbell/v1/contacts",
        json.dumps({
            "identifier": "+14155550101", "source": "whatsapp", "name": "Cal", "tags": ["vip"],
            "custom_fields": {"plan": "pro"}, "team_uuid": team["id"].replace("-", ""),
        }),
        content_type="application/json",
    )  # fmt: skip
    mobivate = APIClient()
    mobivate.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}", HTTP_ACCEPT="application/json")
    mobbed = mobivate.post(
        "/mobivate/contacts",
        json.dumps({"alias": "mo", "msisdn": "4479000000001", "meta": {"CITY": "London"}}),
        content_type="application/json",
    )
    contactship = APIClient()
    contactship.credentials(HTTP_X_API_KEY=api_key)
    shipped = contactship.post(
        "/contactship/v1/contacts",
        json.dumps({"phone_number": "+12124567890", "full_name": "Juan", "additional_data": [
            {"type": "text", "field": "CITY", "value": "Mexico City"},
        ]}),
        content_type="application/json",
    )  # fmt: skip
    awal = AwalTestClient(
        APIClient(), "awal-client", secret_after("signing secret:", hmac_out), secret_after("X-Domain:", hmac_out)
    )
    awaled = awal.request(
        "POST",
        "/contacts",
        query="phone_number_id=9001",
        body=encode_form({
            "name": "Sara", "phone": "966501234567", "branch_id": str(branch["id"]),
            "contact_group_id": str(group["id"]),
        }),
    )  # fmt: skip
    sfmc = APIClient()
    token = sfmc.post(
        "/sfmc/v2/token",
        {
            "grant_type": "client_credentials",
            "client_id": "sfmc-client",
            "client_secret": secret_after("client_secret:", oauth_out),
        },
        format="json",
    ).json()["access_token"]
    sfmced = sfmc.post(
        "/sfmc/contacts/v1/contacts",
        {
            "contactKey": "sf@example.com",
            "attributeSets": [
                {
                    "name": "Email Addresses",
                    "items": [
                        {
                            "values": [
                                {"name": "Email Address", "value": "sf@example.com"},
                                {"name": "HTML Enabled", "value": True},
                            ]
                        }
                    ],
                }
            ],
        },
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert [r.status_code for r in (called, mobbed, shipped, awaled, sfmced)] == [200, 200, 201, 201, 200], (
        sfmced.content
    )
    seen = native.get("/api/v1/contacts?ordering=created_at").json()["results"]
    assert [
        (c["name"] or c["full_name"], c["phone"], c["email"], c["contact_key"], c["tags"], c["groups"], c["branch"],
         c["team"], c["custom_fields"])
        for c in seen
    ] == [
        ("Cal", "+14155550101", None, None, ["VIP"], [], None, {"id": team["id"], "name": "Support"}, {"plan": "pro"}),
        (None, "+4479000000001", None, None, [], [], None, None, {"CITY": "London"}),
        ("Juan", "+12124567890", None, None, [], [], None, None, {"CITY": "Mexico City"}),
        ("Sara", "+966501234567", None, None, [], [{"id": group["id"], "name": "Riyadh"}],
         {"id": branch["id"], "name": "North"}, None, {}),
        (None, None, "sf@example.com", "sf@example.com", [], [], None, None, {}),
    ]  # fmt: skip
    assert Contact.objects.filter(organization=organization).count() == 5
