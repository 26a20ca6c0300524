import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from contacts import demo
from contacts.models import ApiKey, Contact, HmacClient, OAuthClient, Organization, SenderNumber
from contacts.services import credentials

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def run(*args, **kwargs) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


def test_demo_is_idempotent_and_prints_working_credentials(settings):
    settings.DEBUG = True
    first = run("demo")
    counts = (Organization.objects.count(), Contact.objects.count(), ApiKey.objects.count())
    second = run("demo")
    assert (Organization.objects.count(), Contact.objects.count(), ApiKey.objects.count()) == counts
    assert counts == (1, 5, 1)
    assert first == second
    assert "http://127.0.0.1:8000/admin/" in first
    assert f"{demo.DEMO_ADMIN_USERNAME} / {demo.DEMO_ADMIN_PASSWORD}" in first
    assert demo.DEMO_API_KEY in first
    # The printed credentials work.
    assert credentials.authenticate_api_key(demo.DEMO_API_KEY).organization.slug == demo.DEMO_ORG_SLUG
    assert credentials.get_hmac_client(demo.DEMO_HMAC_CLIENT_ID)[1] == demo.DEMO_HMAC_SECRET
    client = credentials.authenticate_oauth_client(demo.DEMO_OAUTH_CLIENT_ID, demo.DEMO_OAUTH_CLIENT_SECRET)
    assert client.organization.slug == demo.DEMO_ORG_SLUG
    assert SenderNumber.objects.get().external_id == demo.DEMO_SENDER_NUMBER_ID
    admin = get_user_model().objects.get(username=demo.DEMO_ADMIN_USERNAME)
    assert admin.check_password(demo.DEMO_ADMIN_PASSWORD) and admin.is_superuser
    assert HmacClient.objects.count() == OAuthClient.objects.count() == 1


def test_demo_refuses_public_credentials_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="public"):
        run("demo")
    assert not Organization.objects.exists()


def test_create_organization_and_api_key_with_mobivate_scope_names():
    output = run("create_organization", "Acme Ltd", "--slug", "acme", "--region", "gb")
    assert "Created organization Acme Ltd (slug acme" in output
    assert Organization.objects.get(slug="acme").default_region == "GB"

    output = run("create_api_key", "--org", "acme", "--name", "SMS", "--scopes", "create:Contacts,read:Contacts")
    secret = output.strip().splitlines()[-1]
    key = credentials.authenticate_api_key(secret)
    assert key.scopes == ["contacts:create", "contacts:read"]
    assert "(create:Contacts, read:Contacts)" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nope", "--name", "x"], "No organization with slug 'nope'"),
        (["--org", "acme", "--name", "x", "--scopes", "fly:Contacts"], "Unknown scope 'fly:Contacts'"),
        (["--org", "acme", "--name", "x", "--expires-in-days", "0"], "--expires-in-days must be positive"),
    ],
)
def test_create_api_key_rejects_bad_input(args, message):
    run("create_organization", "Acme", "--slug", "acme")
    with pytest.raises(CommandError, match=message):
        run("create_api_key", *args)
    assert not ApiKey.objects.exists()


def test_create_organization_rejects_duplicates_and_bad_regions():
    run("create_organization", "Acme", "--slug", "acme")
    with pytest.raises(CommandError, match="already exists"):
        run("create_organization", "Acme again", "--slug", "acme")
    with pytest.raises(CommandError, match="not an ISO 3166-1 region"):
        run("create_organization", "Other", "--region", "XX")
    assert Organization.objects.count() == 1


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**env, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
