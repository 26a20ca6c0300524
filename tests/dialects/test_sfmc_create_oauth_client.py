"""`manage.py create_oauth_client`: OAuth clients for the SFMC dialect, secret shown once."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from contacts.models import OAuthClient
from contacts.services import credentials

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("create_oauth_client", *args, stdout=out)
    return out.getvalue()


def test_creates_a_client_and_prints_its_secret_once(organization, api_client):
    output = run("--organization", "acme", "--name", "SFMC sync")

    match = re.fullmatch(
        r"OAuth client 'SFMC sync' created in organization 'Acme'\.\n"
        r"  client_id:     (oc_[0-9a-f]{24})\n"
        r"  client_secret: (\S{40,})\n"
        r"  scope:         list_and_subscribers_read list_and_subscribers_write\n"
        r"Store the secret now: only its digest is kept, so it cannot be shown again\.\n",
        output,
    )
    assert match, output
    client_id, secret = match.groups()
    client = OAuthClient.objects.get()
    assert (client.client_id, client.name, client.organization) == (client_id, "SFMC sync", organization)
    assert sorted(client.scopes) == ["contacts:create", "contacts:delete", "contacts:read", "contacts:update"]
    assert secret not in client.secret_digest
    assert client.secret_digest == credentials.digest(secret)
    # The printed secret works at the token endpoint.
    response = api_client.post(
        "/sfmc/v2/token",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        format="json",
    )
    assert response.status_code == 200


def test_sfmc_and_canonical_scope_names_are_accepted(organization):
    output = run(
        "--organization", "acme", "--client-id", "reader", "--scope", "list_and_subscribers_read contacts:create"
    )

    assert "  scope:         list_and_subscribers_read contacts:create\n" in output
    assert sorted(OAuthClient.objects.get(client_id="reader").scopes) == ["contacts:create", "contacts:read"]


def test_unknown_organization_is_an_error(organization):
    with pytest.raises(CommandError, match="No organization with slug 'nope'"):
        run("--organization", "nope")
    assert OAuthClient.objects.count() == 0


def test_unknown_scope_is_an_error(organization):
    with pytest.raises(CommandError, match="Unknown scope email_read"):
        run("--organization", "acme", "--scope", "email_read")
    assert OAuthClient.objects.count() == 0


def test_taken_client_id_is_an_error(organization):
    run("--organization", "acme", "--client-id", "taken")

    with pytest.raises(CommandError, match="An OAuth client with client_id 'taken' already exists"):
        run("--organization", "acme", "--client-id", "taken")
    assert OAuthClient.objects.count() == 1
