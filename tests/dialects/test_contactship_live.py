"""The Contactship contract's own client examples, and concurrent creates, against a real HTTP server."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from contacts.models import Contact, CustomField

FIXTURES = Path(__file__).parent / "fixtures" / "contactship"
# The contract's client scripts, kept once with every vendor example (tests/test_contract_examples.py runs them too).
CONTRACT_EXAMPLES = Path(__file__).parent.parent / "fixtures" / "contract_examples"
CONTRACT_BASE_URL = "https://api.contactship.ai"
CONTRACT_KEY = "your-api-key"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

pytestmark = pytest.mark.django_db(transaction=True)


def contract_example(name: str, base_url: str, key: str, tmp_path: Path) -> Path:
    """The example exactly as the contract prints it, pointed at this server with a real key."""
    source = (CONTRACT_EXAMPLES / name).read_text(encoding="utf-8")
    assert CONTRACT_BASE_URL in source and CONTRACT_KEY in source
    script = tmp_path / name.removesuffix(".txt")
    script.write_text(source.replace(CONTRACT_BASE_URL, base_url).replace(CONTRACT_KEY, key), encoding="utf-8")
    return script


def test_the_contract_python_requests_example_creates_the_contact(live_server, api_key, organization, tmp_path):
    script = contract_example(
        "contactship_create_contact.py.txt", f"{live_server.url}/contactship", api_key[1], tmp_path
    )

    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 0, result.stderr
    contact = Contact.objects.get()
    assert result.stdout == (
        f"Contact created successfully with ID: {contact.uuid}\n"
        f"Created at: {contact.created_at.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
    )
    assert (contact.organization, contact.phone_e164, contact.full_name) == (organization, "+12124567890", "Juan Pérez")
    assert contact.custom_fields == {
        "dirección": "Av. Insurgentes 123",
        "notas": "Cliente potencial para servicio premium",
    }


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed, so the JavaScript example cannot run")
def test_the_contract_javascript_fetch_example_creates_the_contact(live_server, api_key, organization, tmp_path):
    script = contract_example("contactship_create_contact.js", f"{live_server.url}/contactship", api_key[1], tmp_path)

    result = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    contact = Contact.objects.get()
    assert result.stdout.startswith("Contact created: {")
    assert f"id: '{contact.uuid}'" in result.stdout
    assert "phone_number: '+12124567890'" in result.stdout
    assert f"organization_id: '{organization.public_id}'" in result.stdout
    assert contact.custom_fields == {"dirección": "Av. Insurgentes 123"}


@pytest.mark.postgres
@pytest.mark.parametrize("example", ["create_basic_request.json", "create_complete_request.json"])
def test_concurrent_creates_of_one_phone_end_as_one_row_and_409s(live_server, api_key, organization, example):
    workers = 20
    barrier = threading.Barrier(workers)
    # The complete example also defines its two additional_data fields concurrently.
    body = json.loads((FIXTURES / example).read_text(encoding="utf-8"))

    def create(index: int) -> requests.Response:
        barrier.wait(timeout=30)
        return requests.post(
            f"{live_server.url}/contactship/v1/contacts",
            json={**body, "description": f"attempt {index}"},
            headers={"x-api-key": api_key[1]},
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=workers) as pool:
        responses = list(pool.map(create, range(workers)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * (workers - 1), [response.text for response in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.json() == {
                "statusCode": 409,
                "error": "Conflict",
                "message": "A contact with this phone number already exists",
            }
        else:
            assert re.fullmatch(UUID, response.json()["id"])
    assert Contact.objects.filter(organization=organization).count() == 1
    assert CustomField.objects.filter(organization=organization).count() == len(body.get("additional_data", []))
