"""Salesforce's Node SDK, fuel-rest 3 with fuel-auth 3, against a live server: token, a paged GET, a contact
create, and recovery from expired tokens through the 401 `WWW-Authenticate: Bearer ... error="invalid_token"`
that makes fuel-rest drop its token and fetch a new one.

The SDK is installed with `npm ci` from package-lock.json into a temporary folder; without node and npm the test
is skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from django.core.signals import request_started
from django.utils import timezone

from contacts.models import AccessToken, Contact
from contacts.services import credentials

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npm") is None,
        reason="node and npm are not installed, so Salesforce's Node SDK (fuel-rest) cannot run",
    ),
]

HERE = Path(__file__).parent
CLIENT_ID = "fuel-rest-client"
SECRET = "fuel-rest-secret-for-tests"
RUN_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="session")
def fuel_rest(tmp_path_factory) -> Path:
    """A folder with the script and its node_modules, installed exactly as package-lock.json pins them."""
    folder = tmp_path_factory.mktemp("fuel-rest")
    for name in ("package.json", "package-lock.json", "sfmc_fuel_rest.js"):
        shutil.copy(HERE / name, folder / name)
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture
def oauth_client(organization):
    client, _ = credentials.create_oauth_client(
        organization=organization, name="fuel-rest", client_id=CLIENT_ID, secret=SECRET
    )
    return client


def expire_every_token() -> None:
    AccessToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))


def run_script(folder: Path, auth_url: str) -> list[dict]:
    """Run the script, expiring every token whenever it asks; its reported steps in order."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(folder)),
        "AUTH_URL": auth_url,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": SECRET,
    }
    process = subprocess.Popen(
        ["node", "sfmc_fuel_rest.js"],
        cwd=folder,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(RUN_TIMEOUT_SECONDS, process.kill)
    watchdog.start()
    steps = []
    try:
        for line in process.stdout:
            step = json.loads(line)
            if step["step"] == "expire":
                expire_every_token()
                process.stdin.write("go\n")
                process.stdin.flush()
            else:
                steps.append(step)
        stderr = process.stderr.read()
        assert process.wait() == 0, stderr
    finally:
        watchdog.cancel()
        process.kill()
    return steps


@pytest.fixture
def requests_seen():
    """(method, path, query) of every request the live server receives, in order."""
    seen: list[tuple[str, str, str]] = []

    def record(sender, environ, **kwargs):
        seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("QUERY_STRING", "")))

    request_started.connect(record)
    yield seen
    request_started.disconnect(record)


def test_fuel_rest_authenticates_reads_creates_and_refreshes_expired_tokens(
    live_server, fuel_rest, oauth_client, organization, requests_seen
):
    steps = run_script(fuel_rest, f"{live_server.url}/sfmc/v2/token")

    assert [(step["step"], step["status"]) for step in steps] == [
        ("definitions", 200),
        ("create", 200),
        ("definitions after expiry", 404),
        ("definitions again", 200),
        ("create after expiry", 404),
        ("create again", 200),
    ]
    assert {step["restUrl"] for step in steps} == {f"{live_server.url}/sfmc/"}
    definitions = "/sfmc/contacts/v1/attributesetdefinitions"
    assert requests_seen == [
        ("POST", "/sfmc/v2/token", ""),
        # fuel-rest lowercases the whole URL it resolves against rest_instance_url.
        ("GET", definitions, "$pagesize=2&$page=2"),
        ("POST", "/sfmc/contacts/v1/contacts", ""),
        # The token expired: 401 with error="invalid_token", so fuel-rest drops its token, fetches a new one and
        # retries, but it derives the retry URL by cutting the already resolved URL after ".com/", which this
        # URL does not contain (docs/dialects/sfmc.md, "Clients").
        ("GET", definitions, "$pagesize=1"),
        ("POST", "/sfmc/v2/token", ""),
        ("GET", "/sfmc/undefined", ""),
        # The next call goes out with the new token.
        ("GET", definitions, "$pagesize=1"),
        ("POST", "/sfmc/contacts/v1/contacts", ""),
        ("POST", "/sfmc/v2/token", ""),
        ("POST", "/sfmc/undefined", ""),
        ("POST", "/sfmc/contacts/v1/contacts", ""),
    ]

    page = steps[0]["body"]
    assert (page["page"], page["pageSize"], page["count"]) == (2, 2, 7)
    assert [item["key"] for item in page["items"]] == ["MobileConnectDemographics", "MobilePushDemographics"]
    first = Contact.objects.get(organization=organization, contact_key="fuel@example.com")
    assert steps[1]["body"]["operationStatus"] == "OK"
    assert (steps[1]["body"]["contactId"], steps[1]["body"]["isNewContactKey"]) == (first.pk, True)

    not_found = {"message": "Resource not found", "errorcode": 10006, "documentation": ""}
    assert steps[2]["body"] == not_found
    assert steps[4]["body"] == not_found
    # A new token after each expiry, kept for the calls that follow.
    assert steps[2]["token"] != steps[1]["token"]
    assert steps[3]["token"] == steps[2]["token"]
    assert steps[4]["token"] != steps[3]["token"]
    assert steps[5]["token"] == steps[4]["token"]
    assert steps[3]["body"]["pageSize"] == 1
    assert AccessToken.objects.count() == 3
    # The refused create wrote nothing; the next one created the contact once.
    again = Contact.objects.get(organization=organization, contact_key="again@example.com")
    assert (steps[5]["body"]["contactId"], steps[5]["body"]["isNewContactKey"]) == (again.pk, True)
    assert Contact.objects.count() == 2
