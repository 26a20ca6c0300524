import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from contacts import crypto
from contacts.errors import ValidationFailed
from contacts.models import ApiKey, HmacClient, OAuthClient
from contacts.services import credentials
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db


def test_api_key_is_stored_as_digest_and_verifies(organization):
    key, secret = make_api_key(organization, scopes=["create:Contacts", "contacts:read"])
    stored = ApiKey.objects.get(pk=key.pk)
    assert secret.startswith("crm_") and len(secret) > 40
    assert stored.prefix == secret[:16]
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(stored.__dict__)
    assert stored.scopes == ["contacts:create", "contacts:read"]
    assert credentials.authenticate_api_key(secret).pk == key.pk
    stored.refresh_from_db()
    assert stored.last_used_at is not None


@pytest.mark.parametrize("mutate", ["wrong", "revoked", "expired", "garbage", "empty"])
def test_api_key_rejected(organization, mutate):
    key, secret = make_api_key(organization)
    if mutate == "wrong":
        secret = secret[:-1] + ("a" if secret[-1] != "a" else "b")
    elif mutate == "revoked":
        credentials.revoke(key)
    elif mutate == "expired":
        key.expires_at = timezone.now() - dt.timedelta(seconds=1)
        key.save()
    elif mutate == "garbage":
        secret = "not-a-key"
    else:
        secret = ""
    with pytest.raises(credentials.InvalidCredential):
        credentials.authenticate_api_key(secret)


def test_unknown_scope_is_rejected(organization):
    with pytest.raises(ValidationFailed) as raised:
        make_api_key(organization, scopes=["delete:Everything"])
    assert raised.value.field == "scopes"
    assert ApiKey.objects.count() == 0


def test_hmac_secret_is_encrypted_and_recoverable(organization):
    client, secret = credentials.create_hmac_client(organization=organization, name="awal")
    stored = HmacClient.objects.get(pk=client.pk)
    assert secret not in stored.secret_encrypted
    assert crypto.decrypt(stored.secret_encrypted) == secret
    found, recovered = credentials.get_hmac_client(client.client_id)
    assert (found.pk, recovered) == (client.pk, secret)
    credentials.revoke(found)
    with pytest.raises(credentials.InvalidCredential):
        credentials.get_hmac_client(client.client_id)


def test_oauth_client_and_short_lived_hashed_tokens(organization):
    client, secret = credentials.create_oauth_client(organization=organization, name="sfmc")
    assert OAuthClient.objects.get(pk=client.pk).secret_digest == hashlib.sha256(secret.encode()).hexdigest()
    with pytest.raises(credentials.InvalidCredential):
        credentials.authenticate_oauth_client(client.client_id, "wrong")
    with pytest.raises(credentials.InvalidCredential):
        credentials.authenticate_oauth_client("unknown", secret)
    authenticated = credentials.authenticate_oauth_client(client.client_id, secret)
    token, raw = credentials.issue_access_token(authenticated, scopes=["contacts:read"], scope_text="read")
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert dt.timedelta(minutes=19) < token.expires_at - timezone.now() <= dt.timedelta(minutes=20)
    assert credentials.authenticate_access_token(raw).pk == token.pk
    token.expires_at = timezone.now() - dt.timedelta(seconds=1)
    token.save()
    with pytest.raises(credentials.InvalidCredential):
        credentials.authenticate_access_token(raw)
